// FAT32 disks to grow, made by tools we did not write (sgdisk or sfdisk, then mkfs.fat on the partition) or by
// guestdisk create, with files written through mtools; and the judges for them (fsck.fat -n, mtools).
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { mustCli } from '../helpers/cli.js';
import { attachLoop, mustRun, runTool } from '../helpers/tools.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import { MEMORY_CHUNK_BYTES } from '../helpers/fault-target.js';
import { MiB } from './disks.js';
import { partitionsOf } from './judge.js';

export interface FatDiskCase {
  readonly table: 'gpt' | 'mbr';
  readonly sectorSize: 512 | 4096;
  readonly maker: 'guestdisk' | 'mkfs.fat';
  readonly oldBytes: number;
}

export interface Part { offsetBytes: number; sizeBytes: number }

/** Partitions of an image file as sfdisk sees them (4Kn through a loop device with 4096-byte sectors). */
export function partitionsOfImage(image: string, sectorSize: 512 | 4096): Part[] {
  if (sectorSize === 512) return partitionsOf(image, 512);
  const loop = attachLoop(image, { sectorSize: 4096 });
  try {
    return partitionsOf(loop.device, 4096);
  } finally {
    loop.detach();
  }
}

/** A disk image of `c.oldBytes` with one FAT32 partition filling it, labelled GROWN. */
export async function makeFatDisk(image: string, c: FatDiskCase): Promise<void> {
  if (c.maker === 'guestdisk') {
    await mustCli(['create', image, '--size', String(c.oldBytes), '--table', c.table, '--fs', 'fat32', '--sector-size', String(c.sectorSize), '--seed', 'grow-fat32', '--timestamp', '1700000000', '--label', 'GROWN']);
    return;
  }
  mustRun('truncate', ['-s', String(c.oldBytes), image]);
  const loop = attachLoop(image, { sectorSize: c.sectorSize, readOnly: false });
  try {
    if (c.table === 'gpt') mustRun('sgdisk', ['-n', '1:0:0', '-t', '1:0700', loop.device]);
    else mustRun('sfdisk', [loop.device], { input: `label: dos\nstart=${MiB / c.sectorSize}, type=c\n` });
  } finally {
    loop.detach();
  }
  const [part] = partitionsOfImage(image, c.sectorSize);
  const ploop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, readOnly: false, sectorSize: c.sectorSize });
  try {
    // -s 1 (one sector per cluster) with 512-byte sectors: the FAT is large, and mkfs.fat sizes it for the clusters
    // of the whole partition before subtracting the FATs themselves, which leaves it room for a few MiB more.
    mustRun('mkfs.fat', ['-F', '32', '-n', 'GROWN', '-S', String(c.sectorSize), '-s', '1', '-h', String(part.offsetBytes / c.sectorSize), ploop.device]);
  } finally {
    ploop.detach();
  }
}

export function fatPayload(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const big = new Uint8Array(3 * MiB + 123);
  for (let i = 0; i < big.length; i += 32) big.set(createHash('sha256').update(String(i)).digest().subarray(0, Math.min(32, big.length - i)), i);
  files.set('DATA/BIG.BIN', big);
  files.set('Long file name.txt', new TextEncoder().encode('grown\n'));
  for (let i = 0; i < 30; i++) files.set(`MANY/F${i}.TXT`, new TextEncoder().encode(`file ${i}\n`.repeat(i * 7)));
  return files;
}

/** The mtools drive of a partition: `image@@offset` (mtools takes the sector size from the BPB). */
export function mtoolsDrive(image: string, part: Part): string {
  return `${image}@@${part.offsetBytes}`;
}

export function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** fsck.fat -n on the volume at `part` of `image` (a loop device with the disk's sector size). */
export function fsckFat(image: string, part: Part, sectorSize: 512 | 4096): { ok: boolean; output: string } {
  const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, readOnly: true, sectorSize });
  try {
    const r = runTool('fsck.fat', ['-n', loop.device]);
    return { ok: r.status === 0, output: (r.stdout + r.stderr).trim() };
  } finally {
    loop.detach();
  }
}

/** An image file's content on a memory disk of `sizeBytes` (non-zero chunks only). */
export function loadImage(image: string, sectorSize: 512 | 4096, sizeBytes: number): Promise<MemoryTarget> {
  const out = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize, physicalSectorSize: sectorSize });
  const fd = openSync(image, 'r');
  const writes: Promise<void>[] = [];
  try {
    const size = statSync(image).size;
    for (let at = 0; at < size; at += MEMORY_CHUNK_BYTES) {
      const bytes = new Uint8Array(Math.min(MEMORY_CHUNK_BYTES, size - at));
      readSync(fd, bytes, 0, bytes.length, at);
      if (bytes.some((b) => b !== 0)) writes.push(out.write(at, bytes));
    }
  } finally {
    closeSync(fd);
  }
  return Promise.all(writes).then(() => {
    (out.log as unknown[]).length = 0;
    return out;
  });
}
