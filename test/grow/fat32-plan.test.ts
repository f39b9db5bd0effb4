// The FAT32 grow planner, pure: a fast-check sweep over FAT geometries and partition sizes. The grown volume never
// has more clusters than its FAT has entries for (nor fewer than FAT32's minimum); the free count gains exactly the
// new clusters; a size past what the FAT addresses is refused with UNSUPPORTED_GEOMETRY; and the head written at
// the commit differs from the one read only in TotSec32 and FSInfo's counts, in the boot sector, FSInfo and backups.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { GuestdiskError } from '../../src/errors.js';
import { decodeFat32BootSector, encodeFat32BootSector, FAT32_BOOT_SECTOR, type Fat32BootSector } from '../../src/fs/fat32/boot-sector.js';
import { FAT32_MAX_CLUSTERS, FAT32_MIN_CLUSTERS } from '../../src/fs/fat32/fat.js';
import { decodeFsInfo, encodeFsInfo, makeFsInfo } from '../../src/fs/fat32/fsinfo.js';
import { encodeGrownFat32Head, fat32ClustersIn, fat32MaxClusters, planFat32Grow, type Fat32GrowSource } from '../../src/fs/fat32/grow.js';

function source(bps: 512 | 4096, spc: number, fatSectors: number, oldClusters: number, freeCount: number): Fat32GrowSource {
  const rsvd = 32;
  const dataStartSector = rsvd + 2 * fatSectors;
  const totalSectors = dataStartSector + oldClusters * spc;
  const boot: Fat32BootSector = {
    jmpBoot: new Uint8Array([0xeb, 0x58, 0x90]), oemName: 'mkfs.fat', bytsPerSec: bps, secPerClus: spc, rsvdSecCnt: rsvd, numFats: 2,
    rootEntCnt: 0, totSec16: 0, media: 0xf8, fatSz16: 0, secPerTrk: 63, numHeads: 255, hiddSec: 2048, totSec32: totalSectors,
    fatSz32: fatSectors, extFlags: 0, fsVer: 0, rootClus: 2, fsInfo: 1, bkBootSec: 6, reserved: new Uint8Array(12), drvNum: 0x80,
    reserved1: 0, bootSig: 0x29, volId: 0x1234, volLab: 'GROWN      ', filSysType: 'FAT32   ', bootCode: new Uint8Array(420).fill(0xcc), signatureWord: 0xaa55,
  };
  const head = new Uint8Array(8 * bps);
  const b = encodeFat32BootSector(boot, bps);
  const f = encodeFsInfo(makeFsInfo(freeCount, 3), bps);
  head.set(b, 0);
  head.set(f, bps);
  head.set(b, 6 * bps);
  head.set(f, 7 * bps);
  head.fill(0x77, 2 * bps, 3 * bps); // bytes the commit must rewrite as they were
  return {
    kind: 'fat32', bytesPerSector: bps, sectorsPerCluster: spc, totalSectors, clusterCount: oldClusters, dataStartSector,
    fatStartSector: rsvd, fatSectors, numFats: 2, fsInfoSector: 1, backupBootSector: 6, head, staleFatTail: [false, false], fatTailSector: [new Uint8Array(bps), new Uint8Array(bps)],
  };
}

const geometry = fc.record({
  bps: fc.constantFrom(512 as const, 4096 as const),
  spc: fc.constantFrom(1, 2, 4, 8, 16, 32, 64),
  fatSectors: fc.integer({ min: 600, max: 1 << 20 }),
  slackPct: fc.integer({ min: 0, max: 40 }),
  growSectors: fc.integer({ min: 0, max: 1 << 24 }),
  usedPct: fc.integer({ min: 0, max: 100 }),
});

test('sweep: clusters within the FAT, free count gains the new clusters, refusals above the FAT', () => {
  fc.assert(fc.property(geometry, (g) => {
    const entries = Math.min((g.fatSectors * g.bps) / 4 - 2, FAT32_MAX_CLUSTERS);
    const oldClusters = Math.max(FAT32_MIN_CLUSTERS, Math.floor((entries * (100 - g.slackPct)) / 100));
    fc.pre(oldClusters <= entries && 32 + 2 * g.fatSectors + (entries + 1) * g.spc < 2 ** 32); // BPB_TotSec32 is a u32
    const free = Math.floor((oldClusters * g.usedPct) / 100);
    const src = source(g.bps, g.spc, g.fatSectors, oldClusters, free);
    const partitionSectors = src.totalSectors + g.growSectors;
    fc.pre(partitionSectors < 2 ** 32); // BPB_TotSec32
    const wanted = fat32ClustersIn(src, partitionSectors);
    if (wanted > fat32MaxClusters(src)) {
      const e = (() => { try { planFat32Grow(src, partitionSectors); return null; } catch (x) { return x; } })();
      assert.ok(e instanceof GuestdiskError && e.code === 'UNSUPPORTED_GEOMETRY');
      return;
    }
    const plan = planFat32Grow(src, partitionSectors);
    assert.is(plan.after.totalSectors, partitionSectors);
    assert.ok(plan.after.clusterCount <= plan.maxClusterCount && plan.after.clusterCount >= FAT32_MIN_CLUSTERS);
    assert.ok(plan.after.clusterCount >= plan.before.clusterCount);
    assert.is(plan.freeCount.after, free + plan.after.clusterCount - plan.before.clusterCount);
    assert.equal(JSON.parse(JSON.stringify(plan)), plan);
    const head = encodeGrownFat32Head(src, plan);
    assert.is(head.length, src.head.length);
    for (const at of [0, 6]) {
      assert.is(decodeFat32BootSector(head.subarray(at * g.bps, at * g.bps + FAT32_BOOT_SECTOR.sizeBytes)).totSec32, partitionSectors);
      assert.equal(head.subarray(at * g.bps + 0x24, (at + 1) * g.bps), src.head.subarray(at * g.bps + 0x24, (at + 1) * g.bps), 'only TotSec32 changes in the boot sector');
    }
    for (const at of [1, 7]) assert.is(decodeFsInfo(head.subarray(at * g.bps, at * g.bps + 512)).freeCount, plan.freeCount.after);
    assert.equal(head.subarray(2 * g.bps, 6 * g.bps), src.head.subarray(2 * g.bps, 6 * g.bps), 'sectors 2–5 rewritten as read');
  }), { numRuns: 300 });
});

test('an unknown free count stays unknown', () => {
  const src = source(512, 8, 2048, 262_000, 0xffffffff);
  const plan = planFat32Grow(src, src.totalSectors + 8 * 100);
  assert.is(plan.freeCount.after, 0xffffffff);
  assert.is(plan.after.clusterCount, 262_100);
});

test('stale FAT entries past the old end: the copies holding them are cleared', () => {
  const src = { ...source(512, 8, 2048, 262_000, 10), staleFatTail: [false, true] };
  assert.equal(planFat32Grow(src, src.totalSectors + 8 * 100).fatCopiesToClear, [1]);
});

test.run();
