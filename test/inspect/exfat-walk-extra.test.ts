// The exFAT walk on what mkfs.exfat and exfat-fuse never write but the spec allows: a Vendor Allocation entry
// (type 0xE1) owning clusters, and a TexFAT volume (NumberOfFats = 2) whose VolumeFlags.ActiveFat names the second
// FAT and allocation bitmap. Both are made by editing a volume mkfs.exfat + exfat-fuse made; each must read as
// clean, and damage through them (a vendor allocation over a file's cluster, damage in the active FAT) must show.
import { mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXFAT_BITMAP_FLAG_SECOND, EXFAT_VOLUME_FLAG_ACTIVE_FAT } from '../../src/fs/exfat/active-fat.js';
import { EXFAT_BOOT_SECTOR } from '../../src/fs/exfat/boot-sector.js';
import { bootRegionChecksum, entrySetChecksum } from '../../src/fs/exfat/checksum.js';
import { ALLOCATION_BITMAP_ENTRY, ENTRY_TYPE } from '../../src/fs/exfat/dir-entry.js';
import { FILE_DIRECTORY_ENTRY, GENERAL_SECONDARY_FLAG, STREAM_EXTENSION_ENTRY } from '../../src/fs/exfat/file-entry.js';
import { GENERIC_SECONDARY_ENTRY, VENDOR_ALLOCATION_ENTRY_TYPE } from '../../src/fs/exfat/generic-secondary-entry.js';
import { inspectExfatVolume } from '../../src/inspect/fs-exfat.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { openVolume } from '../../src/read/open-volume.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

for (const t of ['mkfs.exfat', 'fsck.exfat', 'mount.exfat-fuse', 'losetup', 'truncate']) requireTool(t);

const dir = makeTempDir('guestdisk-exfat-walk-extra-');
test.after(() => dir.remove());

/** mkfs.exfat with 4 KiB clusters, then exfat-fuse: a fragmented file (a FAT chain), then the file the edits use. */
const image = join(dir.path, 'fuse.img');
mustRun('truncate', ['-s', '32M', image]);
mustRun('mkfs.exfat', ['-c', '4096', '-L', 'EXTRA', image]);
{
  const mnt = join(dir.path, 'mnt');
  mkdirSync(mnt);
  const loop = attachLoop(image, { readOnly: false });
  try {
    mustRun('mount.exfat-fuse', [loop.device, mnt]);
    try {
      writeFileSync(join(mnt, 'frag.bin'), Buffer.alloc(40_000, 1));
      writeFileSync(join(mnt, 'gap.bin'), Buffer.alloc(9000, 2));
      appendFileSync(join(mnt, 'frag.bin'), Buffer.alloc(40_000, 3));
      writeFileSync(join(mnt, 'vendor.txt'), 'owned by a vendor entry too\n');
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
  }
}

const img = readFileSync(image);
const bs = EXFAT_BOOT_SECTOR.decode(img);
const bps = 2 ** bs.bytesPerSectorShift;
const clusterSize = bps * 2 ** bs.sectorsPerClusterShift;
const clusterAt = (c: number): number => bs.clusterHeapOffset * bps + (c - 2) * clusterSize;
const fatEntryAt = (fat: number, c: number): number => (bs.fatOffset + fat * bs.fatLength) * bps + 4 * c;
const lastCluster = bs.clusterCount + 1;

/** The volume byte of the File entry whose set holds this (single name entry) name. */
function setOf(bytes: Buffer, name: string): number {
  const at = bytes.indexOf(Buffer.from(name, 'utf16le'), bs.clusterHeapOffset * bps);
  assert.ok(at > 0 && (at - bs.clusterHeapOffset * bps) % 32 === 2, `entry set of ${name}`);
  return at - 2 - 64;
}
const firstClusterOf = (bytes: Buffer, name: string): number => STREAM_EXTENSION_ENTRY.decode(bytes.subarray(setOf(bytes, name) + 32)).firstCluster;
function resum(bytes: Buffer, set: number): void {
  const count = bytes[set + 1] + 1;
  bytes.writeUInt16LE(entrySetChecksum(bytes.subarray(set, set + count * 32)), set + FILE_DIRECTORY_ENTRY.fields.setChecksum.offset);
}
/** The root directory's Allocation Bitmap entry (byte offset) and the bitmap's first cluster. */
function bitmapEntryAt(bytes: Buffer): number {
  const root = clusterAt(bs.firstClusterOfRootDirectory);
  for (let o = root; o < root + clusterSize; o += 32) if (bytes[o] === ENTRY_TYPE.allocationBitmap) return o;
  throw new Error('no allocation bitmap entry');
}
const bitmapCluster = ALLOCATION_BITMAP_ENTRY.decode(img.subarray(bitmapEntryAt(img))).firstCluster;
function setBit(bytes: Buffer, bitmapFirstCluster: number, c: number, on: boolean): void {
  const at = clusterAt(bitmapFirstCluster) + ((c - 2) >> 3);
  const mask = 1 << ((c - 2) & 7);
  bytes[at] = on ? bytes[at] | mask : bytes[at] & ~mask;
}
const isFree = (bytes: Buffer, c: number): boolean => (bytes[clusterAt(bitmapCluster) + ((c - 2) >> 3)] & (1 << ((c - 2) & 7))) === 0;

/** A copy of the volume where vendor.txt's entry set gains a Vendor Allocation entry owning one cluster from `cluster`. */
function withVendorAllocation(cluster: number): Buffer {
  const bytes = Buffer.from(img);
  const set = setOf(bytes, 'vendor.txt');
  const count = bytes[set + 1];
  const at = set + (count + 1) * 32;
  assert.is(bytes[at], 0, 'vendor.txt\'s set is the last in its directory');
  bytes[set + 1] = count + 1;
  Buffer.from(GENERIC_SECONDARY_ENTRY.encode({ entryType: VENDOR_ALLOCATION_ENTRY_TYPE, generalSecondaryFlags: GENERAL_SECONDARY_FLAG.allocationPossible | GENERAL_SECONDARY_FLAG.noFatChain,
    customDefined: new Uint8Array(18).fill(0x5a), firstCluster: cluster, dataLength: clusterSize })).copy(bytes, at);
  resum(bytes, set);
  setBit(bytes, bitmapCluster, cluster, true);
  return bytes;
}

async function findingsOf(bytes: Uint8Array): Promise<string[]> {
  const t = openMemoryTarget({ sizeBytes: bytes.length, initial: bytes });
  return (await inspectExfatVolume(t, { partitionStartLba: null, partitionSizeBytes: bytes.length })).findings.map((f) => `${f.severity} ${f.code}`);
}
function fsckExit(bytes: Uint8Array, name: string): number {
  const file = join(dir.path, `${name}.img`);
  writeFileSync(file, bytes);
  return runTool('fsck.exfat', ['-n', file]).status;
}

test('the exfat-fuse volume itself: fsck.exfat -n clean, no finding', async () => {
  assert.is(fsckExit(img, 'clean'), 0);
  assert.equal(await findingsOf(img), []);
});

test('a Vendor Allocation entry owning a cluster marked in the bitmap: no finding (the cluster is not leaked)', async () => {
  let free = lastCluster;
  while (!isFree(img, free)) free--;
  const bytes = withVendorAllocation(free);
  assert.equal(await findingsOf(bytes), []);
  // No fsck.exfat -n here: exfatprogs 1.2.0 rejects any secondary entry after the names ("failed to get name
  // dentry"), though the spec (§6.4, §8.2) allows benign ones there and has implementations keep their clusters.
});

test('a Vendor Allocation entry over a file\'s cluster: EXFAT_CROSS_LINKED', async () => {
  const bytes = withVendorAllocation(firstClusterOf(img, 'frag.bin'));
  assert.ok((await findingsOf(bytes)).includes('error EXFAT_CROSS_LINKED'), JSON.stringify(await findingsOf(bytes)));
});

/**
 * The volume made TexFAT: a second FAT (a copy of the first) and a second allocation bitmap (a copy of the first,
 * in free clusters marked in both), NumberOfFats 2 and both boot regions' checksums redone. Then the FAT and bitmap
 * that `stale` names are damaged the way a rolled-back transaction leaves them: frag.bin's chain cut, a cluster of
 * gap.bin free.
 */
function texfat(activeFat: 0 | 1, stale: 0 | 1): Buffer {
  const bytes = Buffer.from(img);
  const bitmapBytes = Math.ceil(bs.clusterCount / 8);
  const bitmapClusters = Math.ceil(bitmapBytes / clusterSize);
  let second = lastCluster - bitmapClusters + 1;
  while (![...Array(bitmapClusters).keys()].every((k) => isFree(img, second + k))) second--;
  for (let k = 0; k < bitmapClusters; k++) {
    setBit(bytes, bitmapCluster, second + k, true);
    bytes.writeUInt32LE(k + 1 < bitmapClusters ? second + k + 1 : 0xffffffff, fatEntryAt(0, second + k));
  }
  bytes.copy(bytes, fatEntryAt(1, 0), fatEntryAt(0, 0), fatEntryAt(0, 0) + bs.fatLength * bps);
  bytes.copy(bytes, clusterAt(second), clusterAt(bitmapCluster), clusterAt(bitmapCluster) + bitmapBytes);
  const firstEntry = bitmapEntryAt(bytes);
  let slot = firstEntry;
  while (bytes[slot] !== 0) slot += 32;
  Buffer.from(ALLOCATION_BITMAP_ENTRY.encode({ ...ALLOCATION_BITMAP_ENTRY.decode(bytes.subarray(firstEntry)), bitmapFlags: EXFAT_BITMAP_FLAG_SECOND, firstCluster: second })).copy(bytes, slot);
  const region = bytes.subarray(0, 12 * bps);
  region[EXFAT_BOOT_SECTOR.fields.numberOfFats.offset] = 2;
  region.writeUInt16LE((bs.volumeFlags & ~EXFAT_VOLUME_FLAG_ACTIVE_FAT) | (activeFat === 1 ? EXFAT_VOLUME_FLAG_ACTIVE_FAT : 0), EXFAT_BOOT_SECTOR.fields.volumeFlags.offset);
  const sum = bootRegionChecksum(region, bps);
  for (let o = 11 * bps; o < 12 * bps; o += 4) region.writeUInt32LE(sum, o);
  region.copy(bytes, 12 * bps);
  bytes.writeUInt32LE(0, fatEntryAt(stale, firstClusterOf(img, 'frag.bin')));
  setBit(bytes, stale === 0 ? bitmapCluster : second, firstClusterOf(img, 'gap.bin'), false);
  return bytes;
}

test('TexFAT with the second FAT active: read through it (the stale first FAT and bitmap are not judged)', async () => {
  assert.equal(await findingsOf(texfat(1, 0)), []);
  assert.equal(await findingsOf(texfat(0, 1)), []);
});

test('TexFAT: damage in the active FAT and bitmap is reported, whichever is active', async () => {
  for (const active of [0, 1] as const) {
    const found = await findingsOf(texfat(active, active));
    for (const code of ['error EXFAT_CHAIN_INVALID', 'error EXFAT_BITMAP_IN_USE_FREE']) assert.ok(found.includes(code), `active FAT ${active}: ${JSON.stringify(found)}`);
  }
});

test('TexFAT: the reader follows the active FAT too (a chained file reads whole whichever FAT is stale)', async () => {
  const want = Buffer.concat([Buffer.alloc(40_000, 1), Buffer.alloc(40_000, 3)]);
  for (const [active, stale] of [[1, 0], [0, 1]] as const) {
    const bytes = texfat(active, stale);
    const reader = await openVolume(openMemoryTarget({ sizeBytes: bytes.length, initial: bytes }));
    const pieces: Buffer[] = [];
    for await (const piece of reader.read('/frag.bin')) pieces.push(Buffer.from(piece));
    assert.ok(Buffer.concat(pieces).equals(want), `active FAT ${active}: frag.bin reads back whole`);
  }
});

test.run();
