import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGuestdiskError } from '../../../src/errors.js';
import { defaultNtfsClusterSize } from '../../../src/fs/ntfs/plan.js';
import { GIB, MIB, TIB, ntfsInput, planNtfs } from './volume-helpers.js';

function expectCode(fn: () => unknown, code: string, what: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isGuestdiskError(e), `${what}: ${String(e)}`);
    assert.is(isGuestdiskError(e) && e.code, code, `${what}: ${String(e)}`);
    return;
  }
  assert.unreachable(`${what}: accepted`);
}

test('default cluster size follows Windows: 4 KiB to 16 TiB, then doubling, never below the sector', () => {
  assert.is(defaultNtfsClusterSize(64 * MIB, 512), 4096);
  assert.is(defaultNtfsClusterSize(16 * TIB - 4096, 512), 4096);
  assert.is(defaultNtfsClusterSize(16 * TIB + 4096, 512), 8192);
  assert.is(defaultNtfsClusterSize(32 * TIB + 8192, 512), 16384);
  assert.is(defaultNtfsClusterSize(64 * TIB + 65536, 512), 32768);
  assert.is(defaultNtfsClusterSize(128 * TIB + 65536, 512), 65536);
  assert.is(defaultNtfsClusterSize(256 * TIB + 65536, 512), 131072);
  assert.is(defaultNtfsClusterSize(64 * MIB, 4096), 4096);
});

test('plan: mkntfs geometry for a 64 MiB partition at LBA 2048', () => {
  const p = planNtfs(ntfsInput());
  assert.equal(
    [p.totalSectors, p.clusterCount, p.clusterSize, p.mftRecordSize, p.indexRecordSize, p.mftLcn, p.mftMirrLcn, p.logFileLcn, p.logFileSizeBytes, p.mftZoneEndLcn],
    [131071, 16383, 4096, 1024, 4096, 4, 8191, 8192, 2 * MIB, 2051],
  );
  assert.equal([p.hiddenSectors, p.sectorsPerTrack, p.heads, p.volumeSizeBytes], [2048, 63, 255, 64 * MIB - 512]);
  assert.match(p.serial, /^[0-9a-f]{16}$/);
  const k = planNtfs(ntfsInput({ logicalSectorSize: 4096, physicalSectorSize: 4096, partitionStartLba: 256 }));
  assert.equal([k.mftRecordSize, k.sectorsPerTrack, k.heads, k.totalSectors, k.hiddenSectors], [4096, 1, 1, 16383, 256]);
});

test('plan: deterministic, plain JSON, serial from the seed', () => {
  const a = planNtfs(ntfsInput());
  assert.equal(JSON.parse(JSON.stringify(a)), a);
  assert.equal(planNtfs(ntfsInput()), a);
  assert.is.not(planNtfs(ntfsInput({ seed: 'other' })).serial, a.serial);
});

test('plan sweep: sizes from 2 MiB to 16 TiB x sector sizes x cluster sizes hold the invariants', () => {
  for (const sector of [512, 4096] as const) {
    for (let size = 4 * MIB; size <= 16 * TIB; size = Math.ceil((size + size / 7) / 4096) * 4096) {
      for (const clusterSize of [undefined, sector, 4096, 65536, 2 * MIB]) {
        let p;
        try {
          p = planNtfs(ntfsInput({ partitionSizeBytes: size, logicalSectorSize: sector, physicalSectorSize: sector, clusterSize }));
        } catch (e) {
          assert.ok(isGuestdiskError(e) && (e.code === 'UNSUPPORTED_GEOMETRY' || e.code === 'TARGET_TOO_SMALL'), `${size}/${sector}/${clusterSize}: ${String(e)}`);
          continue;
        }
        const what = `${size}/${sector}/${p.clusterSize}`;
        assert.ok(p.clusterCount <= 0xffffffff, what);
        assert.is(p.totalSectors * sector, p.volumeSizeBytes, what);
        assert.ok(p.volumeSizeBytes < p.partitionSizeBytes, what);
        assert.ok(p.mftLcn * p.clusterSize >= 16384, what);
        assert.ok(p.logFileLcn + p.logFileSizeBytes / p.clusterSize < p.clusterCount, what);
        assert.ok(p.logFileSizeBytes >= 256 * 1024 && p.logFileSizeBytes <= 64 * MIB, what);
      }
    }
  }
});

test('bad input: named errors', () => {
  expectCode(() => planNtfs(ntfsInput({ label: 'x'.repeat(33) })), 'INVALID_SPEC', 'label 33 units');
  planNtfs(ntfsInput({ label: '😀'.repeat(16) })); // 32 units: accepted
  for (const bad of ['a*b', 'a?b', 'a/b', 'a\\b', 'a|b', 'a<b', 'a>b', 'a"b', 'a:b', 'tab\there', '\u0000']) {
    expectCode(() => planNtfs(ntfsInput({ label: bad })), 'INVALID_SPEC', `label ${JSON.stringify(bad)}`);
  }
  expectCode(() => planNtfs(ntfsInput({ label: 'a\ud800b' })), 'INVALID_SPEC', 'lone surrogate');
  expectCode(() => planNtfs(ntfsInput({ clusterSize: 3000 })), 'INVALID_SPEC', 'not a power of two');
  expectCode(() => planNtfs(ntfsInput({ clusterSize: 256 })), 'INVALID_SPEC', 'below the sector');
  expectCode(() => planNtfs(ntfsInput({ logicalSectorSize: 4096, physicalSectorSize: 4096, clusterSize: 2048 })), 'INVALID_SPEC', 'below a 4096 sector');
  expectCode(() => planNtfs(ntfsInput({ clusterSize: 4 * MIB })), 'INVALID_SPEC', 'above 2 MiB');
  expectCode(() => planNtfs(ntfsInput({ partitionSizeBytes: 4 * TIB, clusterSize: 512 })), 'UNSUPPORTED_GEOMETRY', 'too many clusters');
  expectCode(() => planNtfs(ntfsInput({ partitionSizeBytes: 1 * MIB })), 'TARGET_TOO_SMALL', '1 MiB');
  expectCode(() => planNtfs(ntfsInput({ partitionSizeBytes: 256 * MIB, clusterSize: 2 * MIB })), 'TARGET_TOO_SMALL', '2 MiB clusters on 256 MiB (mkntfs refuses: $LogFile)');
  planNtfs(ntfsInput({ partitionSizeBytes: 1 * GIB, clusterSize: 2 * MIB }));
  planNtfs(ntfsInput({ partitionSizeBytes: 2 * MIB }));
  assert.is(planNtfs(ntfsInput({ label: undefined })).label, '', 'no label: an empty $VOLUME_NAME, as mkntfs');
  expectCode(() => planNtfs(ntfsInput({ partitionSizeBytes: 64 * MIB + 100 })), 'INVALID_SPEC', 'partition not a whole number of sectors');
});

test.run();
