// Every $MFT byte of a copied tree is written once when the source is read in record order (a directory source):
// the pieces holding resident files (data inside their record) go out whole, once those files are read, instead of
// being written with zeros and again record by record. A tar read in another order keeps the two writes for the
// pieces it mixes, and gives the same volume. Judged on the recorded writes, and by ntfsck and ntfs-3g.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planDisk } from '../../src/plan/plan-disk.js';
import { loadCopySources, parseCopyFrom } from '../../src/source/copy-from.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import type { Layout } from '../../src/plan/layout.js';
import { injectFault, type FaultTarget } from '../helpers/fault-target.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { NTFS_TOOLS, ntfsckClean, withNtfs3g, withPartition } from './ntfs-judges.js';
import { TIMESTAMP } from './trees.js';

for (const tool of [...NTFS_TOOLS, 'tar']) requireTool(tool);

const MiB = 1024 * 1024;
const SECTOR = 512;
/** Files per directory: two directories of them take more than two $MFT pieces (256 records each). */
const PER_DIR = 300;

/** Byte `i` of file `n`: every file different, so a record written with another file's data shows. */
const fileBytes = (n: number, size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (n * 31 + i * 7) & 0xff);

/** Two directories of small files (resident: 1–400 bytes) with a larger one (non-resident) every tenth. */
function makeTree(src: string): string[] {
  const paths: string[] = [];
  for (const dir of ['a', 'b']) {
    mkdirSync(join(src, dir), { recursive: true });
    for (let i = 0; i < PER_DIR; i++) {
      const n = paths.length;
      const path = `${dir}/f${String(i).padStart(3, '0')}.bin`;
      writeFileSync(join(src, path), fileBytes(n, i % 10 === 0 ? 5000 + i : 1 + ((i * 37) % 400)));
      paths.push(path);
    }
  }
  return paths;
}

async function copy(source: string, layoutOf: (tree: Parameters<typeof planDisk>[0]['files']) => Layout): Promise<{ layout: Layout; disk: FaultTarget; bytes: Uint8Array }> {
  const loaded = await loadCopySources([parseCopyFrom(source)], { timestamp: TIMESTAMP, symlinks: 'follow' });
  const layout = layoutOf(loaded.tree);
  const disk = injectFault(openMemoryTarget({ sizeBytes: layout.geometry.sizeBytes }), null);
  const reader = loaded.openReader();
  await writeDisk(layout, disk, { content: reader });
  await reader.close();
  return { layout, disk, bytes: await disk.read(0, layout.geometry.sizeBytes) };
}

/** How many writes covered each sector of [start, end). */
function writesPerSector(disk: FaultTarget, start: number, end: number): Uint32Array {
  const counts = new Uint32Array((end - start) / SECTOR);
  for (const op of disk.ops) {
    if (op.kind !== 'write') continue;
    const from = Math.max(op.offsetBytes, start);
    const to = Math.min(op.offsetBytes + op.bytes.length, end);
    for (let s = from; s < to; s += SECTOR) counts[(s - start) / SECTOR]++;
  }
  return counts;
}

test('NTFS copy: each $MFT sector written once from a directory; a tar in another order gives the same volume', async () => {
  const tmp = makeTempDir('guestdisk-ntfs-once-');
  try {
    const src = join(tmp.path, 'src');
    const paths = makeTree(src);
    const geometry = { sizeBytes: 64 * MiB, logicalSectorSize: SECTOR, physicalSectorSize: SECTOR } as const;
    const layoutOf = (files: Parameters<typeof planDisk>[0]['files']): Layout => planDisk({ table: 'gpt', fs: 'ntfs', seed: 'once', timestamp: TIMESTAMP, files }, geometry);

    const fromDir = await copy(src, layoutOf);
    const fs = fromDir.layout.filesystem;
    if (!fs || fs.kind !== 'ntfs') throw new Error('expected an NTFS plan');
    const mftStart = fromDir.layout.partitions[0].startLba * SECTOR + fs.mftLcn * fs.clusterSize;
    // The copied tree's records: 64 system records, the root's two directories, then their files.
    const mftEnd = mftStart + (64 + 2 + paths.length) * fs.mftRecordSize;
    const counts = writesPerSector(fromDir.disk, mftStart, mftEnd);
    const twice = counts.findIndex((n) => n !== 1);
    assert.is(twice, -1, `$MFT sector ${twice} written ${counts[twice]} times`);

    // The tar lists the files alternately from both directories: the pieces holding both are read mixed.
    const order = paths.flatMap((p, i) => (i < PER_DIR ? [p, paths[i + PER_DIR]] : []));
    const list = join(tmp.path, 'order.txt');
    writeFileSync(list, `a\nb\n${order.join('\n')}\n`);
    const tar = join(tmp.path, 'tree.tar');
    mustRun('tar', ['-cf', tar, '-C', src, '--no-recursion', '-T', list]);
    const fromTar = await copy(tar, layoutOf);
    const tarCounts = writesPerSector(fromTar.disk, mftStart, mftEnd);
    assert.ok(tarCounts.some((n) => n === 2), 'the mixed pieces are written twice (zeros, then each resident record)');
    assert.ok(tarCounts.every((n) => n === 1 || n === 2), 'no $MFT sector is written more than twice, none left out');
    assert.ok(Buffer.from(fromTar.bytes).equals(Buffer.from(fromDir.bytes)), 'the tar and the directory give the same volume');

    const image = join(tmp.path, 'disk.img');
    writeFileSync(image, fromDir.bytes);
    withPartition(image, SECTOR, (device) => {
      ntfsckClean(device);
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (dir) => {
        paths.forEach((p, n) => assert.ok(readFileSync(join(dir, p)).equals(readFileSync(join(src, p))), `${p} read back through ntfs-3g (file ${n})`));
      });
    });
  } finally {
    tmp.remove();
  }
});

test.run();
