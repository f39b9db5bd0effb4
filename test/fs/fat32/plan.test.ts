// The planner: Windows' sample volume decoded and compared; a layout sweep; default cluster sizes; named errors.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../../src/errors.js';
import { decodeFat32BootSector } from '../../../src/fs/fat32/boot-sector.js';
import { FAT32_MAX_CLUSTERS, FAT32_MIN_CLUSTERS, fat32SectorsFor } from '../../../src/fs/fat32/fat.js';
import {
  FAT32_CLUSTER_SIZES, defaultFat32ClusterSize, layoutFat32, minFat32VolumeBytes, planFat32,
} from '../../../src/fs/fat32/plan.js';
import { fat32Input } from './volume-file.js';
import { join } from 'node:path';
import { CORPUS_DIR } from '../../helpers/paths.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;
const CORPUS = join(CORPUS_DIR, 'msuhanov-dfir_ntfs', 'fat32_bs.bin');

function loadCorpus(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`fixture ${path} missing: see ../shared/corpus/README.md (msuhanov/dfir_ntfs test_data/fat32_bs.bin)`, { cause: e });
  }
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.instance(e, GuestdiskError);
    return { code: (e as GuestdiskError).code, message: (e as Error).message };
  }
  throw new Error('expected a GuestdiskError');
}

test("Windows' 29 GiB sample: decoded, and our plan for the same volume compared field by field", () => {
  const windows = decodeFat32BootSector(loadCorpus(CORPUS));
  assert.is(windows.oemName, 'MSDOS5.0');
  assert.is(windows.bytsPerSec, 512);
  assert.is(windows.secPerClus, 32);
  assert.is(windows.totSec32, 61_282_631);
  assert.is(windows.rsvdSecCnt, 2860);
  assert.is(windows.fatSz32, 14_954);
  assert.is(windows.rsvdSecCnt + 2 * windows.fatSz32, 32_768);
  assert.is(windows.volLab, 'NO NAME    ');
  assert.equal([windows.media, windows.drvNum, windows.bootSig, windows.rootClus, windows.fsInfo, windows.bkBootSec],
    [0xf8, 0x80, 0x29, 2, 1, 6]);
  assert.equal([windows.secPerTrk, windows.numHeads, windows.extFlags, windows.fsVer], [63, 255, 0, 0]);

  const ours = planFat32(fat32Input({ partitionSizeBytes: windows.totSec32 * 512, partitionStartLba: windows.hiddSec, label: undefined }));
  // Same: cluster size by default (16 KiB for 29 GiB), total sectors, 2 FATs, root 2, FSInfo 1, backup 6, and the
  // rule for the FAT: the smallest that holds every cluster (Windows' 14,954 is exactly that for its 1,914,058).
  assert.is(ours.clusterSize, 16 * KiB);
  assert.is(ours.secPerClus, windows.secPerClus);
  assert.is(fat32SectorsFor(Math.floor((windows.totSec32 - 32_768) / 32), 512), windows.fatSz32);
  assert.is(ours.totSec32, windows.totSec32);
  assert.is(ours.numFats, windows.numFats);
  assert.equal([ours.rootClus, ours.fsInfo, ours.bkBootSec], [2, 1, 6]);
  // Different, on purpose (plan.ts explains): Windows pads the reserved region to put the data region at 16 MiB
  // (sector 32,768); we pad to the next 1 MiB boundary, 15 MiB (sector 30,720): 64 clusters more, so one more
  // FAT sector.
  const differences = {
    rsvdSecCnt: { windows: windows.rsvdSecCnt, ours: ours.rsvdSecCnt },
    fatSz32: { windows: windows.fatSz32, ours: ours.fatSz32 },
    dataStartLba: { windows: windows.rsvdSecCnt + 2 * windows.fatSz32, ours: ours.dataStartLba },
    clusterCount: { windows: Math.floor((windows.totSec32 - 32_768) / 32), ours: ours.clusterCount },
  };
  assert.equal(differences, {
    rsvdSecCnt: { windows: 2860, ours: 810 },
    fatSz32: { windows: 14_954, ours: 14_955 },
    dataStartLba: { windows: 32_768, ours: 30_720 },
    clusterCount: { windows: 1_914_058, ours: 1_914_122 },
  });
});

test("default cluster sizes follow Windows' table, never below the sector size", () => {
  const rows: [number, number][] = [
    [40 * MiB, 512], [64 * MiB, 512], [100 * MiB, 1024], [200 * MiB, 2048], [1 * GiB, 4096], [8 * GiB, 4096],
    [12 * GiB, 8192], [30 * GiB, 16384], [33 * GiB, 32768], [2 * TiB - MiB, 32768],
  ];
  for (const [size, cluster] of rows) {
    assert.is(defaultFat32ClusterSize(size, 512), cluster, `${size}`);
    if (size >= 300 * MiB) assert.is(planFat32(fat32Input({ partitionSizeBytes: size })).clusterSize, cluster, `${size}`);
  }
  assert.is(defaultFat32ClusterSize(300 * MiB, 4096), 4096);
  // Just above 64 MiB the table's 1 KiB leaves too few clusters: step down to 512 with a note.
  const p = planFat32(fat32Input({ partitionSizeBytes: 64 * MiB + 512 * KiB }));
  assert.is(p.clusterSize, 512);
  assert.match(p.notes.join('\n'), /using 512 bytes/);
});

test('layout sweep: minimum to 2 TiB by size/7 × 512/4096 × cluster sizes: counts in range, data 1 MiB aligned', () => {
  let checked = 0;
  for (const sector of [512, 4096] as const) {
    for (const cluster of FAT32_CLUSTER_SIZES.filter((c) => c >= sector)) {
      for (let size = minFat32VolumeBytes(sector, cluster); size <= 2 * TiB; size += Math.max(sector, Math.floor(size / 7 / sector) * sector)) {
        const sectors = Math.floor(size / sector);
        const g = layoutFat32(sectors, sector, cluster);
        const spc = cluster / sector;
        if (g.clusterCount > FAT32_MAX_CLUSTERS) break;
        assert.ok(g.clusterCount >= FAT32_MIN_CLUSTERS, `${sector}/${cluster}/${size}: ${g.clusterCount} clusters`);
        assert.ok(g.rsvdSecCnt >= 32 && g.rsvdSecCnt <= 0xffff, `reserved ${g.rsvdSecCnt}`);
        assert.is(g.rsvdSecCnt + 2 * g.fatSz32, g.dataStartLba);
        assert.is((g.dataStartLba * sector) % MiB, 0, 'data region on a 1 MiB boundary');
        assert.is(g.dataStartLba % spc, 0, 'data region on a cluster boundary');
        assert.ok(g.dataStartLba + g.clusterCount * spc <= sectors, 'clusters inside the volume');
        assert.ok(sectors - (g.dataStartLba + g.clusterCount * spc) < spc, 'no whole cluster left over');
        assert.is(g.fatSz32, fat32SectorsFor(g.clusterCount, sector), 'smallest FAT that holds every cluster');
        // No earlier boundary would have fitted (we do not waste a MiB).
        const earlier = g.dataStartLba - MiB / sector;
        if (earlier >= 32) {
          assert.ok(earlier < 32 + 2 * fat32SectorsFor(Math.floor((sectors - earlier) / spc), sector), 'earliest boundary');
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 300, `${checked} layouts`);
});

test('plans for 512 and 4096 sectors across sizes: in range, JSON round trip, same input same plan', () => {
  for (const sector of [512, 4096] as const) {
    for (const size of [minFat32VolumeBytes(sector, sector), 1 * GiB, 33 * GiB, 1 * TiB, 2 * TiB - MiB * 2]) {
      const input = fat32Input({ partitionSizeBytes: size, logicalSectorSize: sector, physicalSectorSize: sector, partitionStartLba: MiB / sector });
      const p = planFat32(input);
      assert.ok(p.clusterCount >= FAT32_MIN_CLUSTERS && p.clusterCount <= FAT32_MAX_CLUSTERS);
      assert.is(p.volumeSizeBytes, p.totSec32 * sector);
      assert.is(p.hiddSec, MiB / sector);
      assert.equal(JSON.parse(JSON.stringify(p)), p);
      assert.equal(planFat32(input), p);
      assert.is(p.notes.some((n) => /above 32 GiB/.test(n)), size > 32 * GiB);
    }
  }
});

test('volume id comes from the seed; the label defaults to none', () => {
  const a = planFat32(fat32Input({ partitionSizeBytes: GiB, seed: 'a', label: undefined }));
  const b = planFat32(fat32Input({ partitionSizeBytes: GiB, seed: 'b' }));
  assert.is.not(a.volId, b.volId);
  assert.is(a.label, null);
  assert.is(b.label, 'GUESTDISK');
});

test('bad input: named errors that say what would work', () => {
  const tooSmall = codeOf(() => planFat32(fat32Input({ partitionSizeBytes: 32 * MiB })));
  assert.is(tooSmall.code, 'TARGET_TOO_SMALL');
  assert.match(tooSmall.message, /too small/);
  assert.is(codeOf(() => planFat32(fat32Input({ partitionSizeBytes: 200 * MiB, logicalSectorSize: 4096 }))).code, 'TARGET_TOO_SMALL');
  // Cluster size not valid for the filesystem or the sector size.
  for (const bad of [0, 3000, 65536, 131072]) {
    assert.is(codeOf(() => planFat32(fat32Input({ partitionSizeBytes: GiB, clusterSize: bad }))).code, 'INVALID_SPEC');
  }
  assert.match(codeOf(() => planFat32(fat32Input({ partitionSizeBytes: GiB, clusterSize: 512, logicalSectorSize: 4096 }))).message, /4096, 8192/);
  // Cluster size valid but too big for the volume: names a size that works.
  const big = codeOf(() => planFat32(fat32Input({ partitionSizeBytes: GiB, clusterSize: 32768 })));
  assert.is(big.code, 'INVALID_SPEC');
  assert.match(big.message, /use a cluster size of 8192 \(or smaller/);
  // Too many clusters for the cluster size: names a bigger one.
  const many = codeOf(() => planFat32(fat32Input({ partitionSizeBytes: 2 * TiB - 2 * MiB, clusterSize: 4096 })));
  assert.is(many.code, 'INVALID_SPEC');
  assert.match(many.message, /use a cluster size of 8192 \(or larger/);
  // Beyond what FAT32 can address at all.
  assert.is(codeOf(() => planFat32(fat32Input({ partitionSizeBytes: 9 * TiB, logicalSectorSize: 4096 }))).code, 'UNSUPPORTED_GEOMETRY');
  assert.is(codeOf(() => planFat32(fat32Input({ partitionSizeBytes: 3 * TiB }))).code, 'UNSUPPORTED_GEOMETRY');
});

test('timestamps FAT cannot store (before 1980, after 2107) are refused, not moved', () => {
  for (const timestamp of [0, Date.UTC(1979, 11, 31, 23, 59, 58) / 1000, Date.UTC(2108, 0, 1) / 1000]) {
    assert.throws(() => planFat32(fat32Input({ partitionSizeBytes: GiB, timestamp })), (e: unknown) => e instanceof GuestdiskError && e.code === 'INVALID_SPEC' && /1980.*2107/.test(e.message));
  }
  assert.is(planFat32(fat32Input({ partitionSizeBytes: GiB, timestamp: Date.UTC(1980, 0, 1) / 1000 })).timestamp, Date.UTC(1980, 0, 1) / 1000);
});

test.run();
