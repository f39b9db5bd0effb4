import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatExfat, planExfat, type ExfatPlan } from '../../../src/fs/exfat/index.js';
import { decodeExfatBootSector } from '../../../src/fs/exfat/boot-sector.js';
import { checkBootRegion } from '../../../src/fs/exfat/boot-region.js';
import { decodeAllocationBitmapEntry, decodeUpcaseTableEntry, decodeVolumeGuidEntry, decodeVolumeLabelEntry } from '../../../src/fs/exfat/dir-entry.js';
import { expandUpcaseTable, upcaseMapping, upcaseTableChecksum } from '../../../src/fs/exfat/upcase.js';
import type { Chunk } from '../../../src/plan/layout.js';
import { allChunks, exfatInput, formatToMemory } from './helpers.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

const len = (c: Chunk): number => ('bytes' in c ? c.bytes.length : c.zeroBytes);

function checkChunks(plan: ExfatPlan, group: Iterable<Chunk>, where: string): { bytes: number; count: number } {
  let end = -1;
  let bytes = 0;
  let count = 0;
  for (const c of group) {
    count++;
    assert.is(c.offsetBytes % plan.bytesPerSector, 0, `${where}: chunk offset aligned`);
    assert.is(len(c) % plan.bytesPerSector, 0, `${where}: chunk length aligned`);
    assert.ok(c.offsetBytes >= end, `${where}: chunks ascend without overlap`);
    assert.ok(c.offsetBytes + len(c) <= plan.volumeSizeBytes, `${where}: inside the volume`);
    end = c.offsetBytes + len(c);
    if ('bytes' in c) {
      bytes += c.bytes.length;
      assert.ok(c.bytes.length <= MIB, `${where}: no byte chunk over 1 MiB (${c.bytes.length})`);
    }
  }
  return { bytes, count };
}

test('chunks: aligned, ascending, inside the volume; bytes held stay flat from 1 MiB to 16 TiB', () => {
  const held: number[] = [];
  for (const size of [MIB, 64 * MIB, GIB, 33 * GIB, TIB, 16 * TIB]) {
    for (const sector of [512, 4096] as const) {
      const plan = planExfat(exfatInput({ partitionSizeBytes: size, logicalSectorSize: sector }));
      const fs = formatExfat(plan);
      const body = checkChunks(plan, fs.body(), `body ${size}/${sector}`);
      const backup = [...fs.bootBackup()];
      const main = [...fs.boot()];
      assert.equal(backup.map((c) => [c.offsetBytes, len(c)]), [[12 * sector, 12 * sector]]);
      assert.equal(main.map((c) => [c.offsetBytes, len(c)]), [[0, 12 * sector]]);
      assert.ok(body.count <= 8, `few chunks: ${body.count}`);
      held.push(body.bytes);
    }
  }
  assert.ok(Math.max(...held) <= 64 * 1024, `bytes written besides zero ranges: ${held.join(', ')}`);
});

test('zero regions are zero ranges covering the whole FAT, bitmap clusters, up-case and root clusters', () => {
  const plan = planExfat(exfatInput({ partitionSizeBytes: GIB }));
  const body = [...formatExfat(plan).body()];
  const covered = body.reduce((n, c) => n + len(c), 0);
  const bitmapClusters = Math.ceil(plan.bitmapLengthBytes / plan.clusterSize);
  const expected = plan.fatLength * plan.bytesPerSector + (bitmapClusters + 1 + 1) * plan.clusterSize; // up-case: 1 cluster at 32 KiB, root: 1
  assert.is(covered, expected);
  const fatChunks = body.filter((c) => c.offsetBytes < plan.clusterHeapOffset * plan.bytesPerSector);
  assert.is(fatChunks[0].offsetBytes, plan.fatOffset * plan.bytesPerSector);
  assert.is(fatChunks.reduce((n, c) => n + len(c), 0), plan.fatLength * plan.bytesPerSector);
  assert.ok('zeroBytes' in fatChunks[fatChunks.length - 1], 'the FAT tail is a zero range');
});

test('formatted volume decodes: boot regions, FAT chains, bitmap, up-case table, root entries', async () => {
  for (const sector of [512, 4096] as const) {
    for (const withGuid of [false, true]) {
      const base = planExfat(exfatInput({ partitionSizeBytes: 64 * MIB, logicalSectorSize: sector, label: 'Données' }));
      const plan = { ...base, volumeGuidEntry: withGuid };
      const t = await formatToMemory(plan);
      const region = await t.read(0, 24 * sector);
      assert.equal(region.subarray(0, 12 * sector), region.subarray(12 * sector), 'backup region equals main');
      assert.equal(checkBootRegion(region, sector, 'main'), []);
      const bs = decodeExfatBootSector(region.subarray(0, sector));
      assert.is(bs.volumeSerialNumber, plan.volumeSerialNumber);
      assert.is(bs.partitionOffset, 2048);
      const heap = bs.clusterHeapOffset * sector;
      const at = (c: number): number => heap + (c - 2) * plan.clusterSize;
      const root = await t.read(at(bs.firstClusterOfRootDirectory), plan.clusterSize);
      assert.is(decodeVolumeLabelEntry(root.subarray(0, 32)).volumeLabel, 'Données');
      const bm = decodeAllocationBitmapEntry(root.subarray(32, 64));
      const up = decodeUpcaseTableEntry(root.subarray(64, 96));
      if (withGuid) assert.is(decodeVolumeGuidEntry(root.subarray(96, 128)).volumeGuid, plan.volumeGuid);
      else assert.ok(root.subarray(96).every((b) => b === 0), 'end of directory after the up-case entry');
      const table = await t.read(at(up.firstCluster), up.dataLength);
      assert.is(upcaseTableChecksum(table), up.tableChecksum);
      assert.equal(expandUpcaseTable(table), upcaseMapping());
      const bitmap = await t.read(at(bm.firstCluster), 8);
      assert.is(bitmap[0], 0x0f); // bitmap, 2 up-case clusters, root
      const fat = new DataView((await t.read(bs.fatOffset * sector, 32)).buffer);
      assert.equal([0, 1, 2, 3, 4, 5, 6].map((i) => fat.getUint32(4 * i, true)), [0xfffffff8, 0xffffffff, 0xffffffff, 4, 0xffffffff, 0xffffffff, 0]);
    }
  }
});

test('a reused disk: old bytes in the FAT, bitmap and root cluster are overwritten with zeros', async () => {
  const plan = planExfat(exfatInput({ partitionSizeBytes: 8 * MIB }));
  const t = await formatToMemory(plan, new Uint8Array(plan.volumeSizeBytes).fill(0xa5));
  const fatEnd = (plan.fatOffset + plan.fatLength) * plan.bytesPerSector;
  const fat = await t.read(plan.fatOffset * plan.bytesPerSector, fatEnd - plan.fatOffset * plan.bytesPerSector);
  assert.ok(fat.subarray(28).every((b) => b === 0), 'FAT beyond the used head is zero');
  const heap = plan.clusterHeapOffset * plan.bytesPerSector;
  const bitmap = await t.read(heap, plan.clusterSize);
  assert.ok(bitmap.subarray(1).every((b) => b === 0), 'bitmap beyond the used clusters is zero');
  const root = await t.read(heap + (plan.firstClusterOfRootDirectory - 2) * plan.clusterSize, plan.clusterSize);
  assert.ok(root.subarray(96).every((b) => b === 0), 'root cluster beyond the entries is zero');
});

test('same plan, same bytes', () => {
  const a = allChunks(planExfat(exfatInput()));
  const b = allChunks(planExfat(exfatInput()));
  assert.equal(a, b);
  const c = allChunks(planExfat(exfatInput({ seed: 'other' })));
  assert.not.equal(a, c);
});

test.run();
