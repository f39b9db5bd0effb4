import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError, type ErrorCode } from '../../../src/errors.js';
import { planExfat } from '../../../src/fs/exfat/index.js';
import { EXFAT_MAX_CLUSTER_COUNT } from '../../../src/fs/exfat/boot-sector.js';
import { checkExfatBootSector } from '../../../src/fs/exfat/boot-sector.js';
import { exfatBootSectorFor } from '../../../src/fs/exfat/format.js';
import { defaultExfatClusterSize } from '../../../src/fs/exfat/plan.js';
import { deriveGuid, deriveU32 } from '../../../src/binary/identity.js';
import { exfatInput } from './helpers.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

function expectCode(fn: () => unknown, code: ErrorCode): GuestdiskError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, GuestdiskError);
    assert.is((e as GuestdiskError).code, code, (e as Error).message);
    return e as GuestdiskError;
  }
  throw new Error(`expected ${code}`);
}

test('identity from the seed; PartitionOffset from the partition start; plan is plain JSON', () => {
  const plan = planExfat(exfatInput({ partitionStartLba: 4096, seed: 'abc' }));
  assert.is(plan.kind, 'exfat');
  assert.is(plan.volumeSerialNumber, deriveU32('abc', 'exfat-serial/1'));
  assert.is(plan.volumeGuid, deriveGuid('abc', 'exfat-volume-guid/1'));
  assert.is(plan.partitionOffset, 4096);
  assert.equal(JSON.parse(JSON.stringify(plan)), plan);
  assert.equal(planExfat(exfatInput({ partitionStartLba: 4096, seed: 'abc' })), plan);
});

test('default cluster sizes follow Windows: 4 KiB to 256 MiB, 32 KiB to 32 GiB, 128 KiB above', () => {
  assert.is(defaultExfatClusterSize(256 * MIB), 4 * KIB);
  assert.is(defaultExfatClusterSize(256 * MIB + 512), 32 * KIB);
  assert.is(defaultExfatClusterSize(32 * GIB), 32 * KIB);
  assert.is(defaultExfatClusterSize(32 * GIB + 512), 128 * KIB);
  assert.is(planExfat(exfatInput({ partitionSizeBytes: 64 * MIB })).clusterSize, 4 * KIB);
  assert.is(planExfat(exfatInput({ partitionSizeBytes: GIB })).clusterSize, 32 * KIB);
  assert.is(planExfat(exfatInput({ partitionSizeBytes: 33 * GIB })).clusterSize, 128 * KIB);
});

test('small volumes: FAT at 64 KiB, heap at 128 KiB, as Windows (512-byte sectors)', () => {
  const p = planExfat(exfatInput({ partitionSizeBytes: 32 * MIB }));
  assert.is(p.fatOffset, 128);
  assert.is(p.clusterHeapOffset, 256);
  assert.is(p.fatLength, 72); // Windows' exfat_encrypted (32 MiB, 4 KiB clusters) has the same
  assert.is(p.clusterCount, 8160);
  const p4k = planExfat(exfatInput({ partitionSizeBytes: 32 * MIB, logicalSectorSize: 4096 }));
  assert.is(p4k.fatOffset, 32); // 24 boot sectors of 4 KiB fill 96 KiB
  assert.is(p4k.clusterHeapOffset * 4096 % (128 * KIB), 0);
});

test('labels: 11 UTF-16 units, forbidden characters and lone surrogates refused', () => {
  assert.is(planExfat(exfatInput({ label: 'Ünïcødé 日本' })).label, 'Ünïcødé 日本');
  assert.is(planExfat(exfatInput({ label: '12345678901' })).label, '12345678901');
  assert.is(planExfat(exfatInput({ label: undefined })).label, null);
  assert.is(planExfat(exfatInput({ label: '' })).label, null);
  expectCode(() => planExfat(exfatInput({ label: '123456789012' })), 'INVALID_SPEC');
  expectCode(() => planExfat(exfatInput({ label: '😀😀😀😀😀😀' })), 'INVALID_SPEC'); // 12 units
  for (const bad of ['a"b', 'a*b', 'a/b', 'a:b', 'a<b', 'a>b', 'a?b', 'a\\b', 'a|b', 'a\tb', 'a\u0000b', 'a\ud800b', 'a\udc00']) {
    expectCode(() => planExfat(exfatInput({ label: bad })), 'INVALID_SPEC');
  }
});

test('cluster sizes: any power of two from the sector to 32 MiB; others refused with their codes', () => {
  for (const c of [512, 4096, 65536, 32 * MIB]) assert.is(planExfat(exfatInput({ partitionSizeBytes: GIB, clusterSize: c })).clusterSize, c);
  expectCode(() => planExfat(exfatInput({ clusterSize: 3000 })), 'INVALID_SPEC');
  expectCode(() => planExfat(exfatInput({ clusterSize: 64 * MIB })), 'INVALID_SPEC');
  expectCode(() => planExfat(exfatInput({ clusterSize: 0 })), 'INVALID_SPEC');
  expectCode(() => planExfat(exfatInput({ clusterSize: 2048, logicalSectorSize: 4096 })), 'UNSUPPORTED_GEOMETRY');
  const e = expectCode(() => planExfat(exfatInput({ partitionSizeBytes: 16 * TIB, clusterSize: 512 })), 'UNSUPPORTED_GEOMETRY');
  // 4 KiB works: the 16 GiB FAT takes enough room that the rest holds fewer than 2^32 − 11 clusters
  assert.is(e.details.smallestClusterSize, 4096);
  assert.ok(planExfat(exfatInput({ partitionSizeBytes: 16 * TIB, clusterSize: 4096 })).clusterCount <= EXFAT_MAX_CLUSTER_COUNT);
});

test('too small: under 1 MiB, or no room for a file after the metadata', () => {
  expectCode(() => planExfat(exfatInput({ partitionSizeBytes: MIB - 512 })), 'TARGET_TOO_SMALL');
  assert.ok(planExfat(exfatInput({ partitionSizeBytes: MIB })).clusterCount > 4);
  expectCode(() => planExfat(exfatInput({ partitionSizeBytes: 64 * MIB, clusterSize: 32 * MIB })), 'TARGET_TOO_SMALL');
  expectCode(() => planExfat(exfatInput({ partitionSizeBytes: MIB, logicalSectorSize: 4096, clusterSize: 256 * KIB })), 'TARGET_TOO_SMALL');
});

test('layout sweep: sizes × 512/4096 × cluster sizes keep every spec invariant', () => {
  const sizes: number[] = [];
  for (let s = MIB; s <= 16 * TIB; s += Math.max(MIB, Math.floor(s / 7 / MIB) * MIB)) sizes.push(s);
  sizes.push(32 * MIB, 32 * MIB + 512, 256 * MIB, 32 * GIB, 33 * GIB, 2 * TIB, 16 * TIB);
  let planned = 0;
  for (const size of sizes) {
    for (const sector of [512, 4096] as const) {
      for (const cluster of [undefined, sector, 4 * KIB, 32 * KIB, 128 * KIB, MIB, 32 * MIB]) {
        if (cluster !== undefined && cluster < sector) continue;
        let plan;
        try {
          plan = planExfat(exfatInput({ partitionSizeBytes: size, logicalSectorSize: sector, clusterSize: cluster }));
        } catch (e) {
          assert.instance(e, GuestdiskError);
          assert.ok(['TARGET_TOO_SMALL', 'UNSUPPORTED_GEOMETRY'].includes((e as GuestdiskError).code), (e as Error).message);
          continue;
        }
        planned++;
        const where = `${size} bytes, ${sector}-byte sectors, cluster ${plan.clusterSize}`;
        assert.equal(checkExfatBootSector(exfatBootSectorFor(plan)), [], where);
        assert.ok(plan.clusterCount <= EXFAT_MAX_CLUSTER_COUNT, where);
        assert.ok(plan.fatLength * sector >= (plan.clusterCount + 2) * 4, `FAT large enough: ${where}`);
        assert.ok(plan.fatOffset >= 24 && plan.fatOffset + plan.fatLength <= plan.clusterHeapOffset, where);
        const heapBytes = plan.clusterHeapOffset * sector;
        assert.is(heapBytes % plan.clusterSize, 0, `heap on a cluster boundary: ${where}`);
        assert.is(heapBytes % (plan.volumeSizeBytes > 32 * MIB ? MIB : 128 * KIB), 0, `heap alignment: ${where}`);
        assert.ok(heapBytes + plan.clusterCount * plan.clusterSize <= plan.volumeSizeBytes, where);
        assert.ok(plan.volumeSizeBytes - heapBytes - plan.clusterCount * plan.clusterSize < plan.clusterSize, `no wasted cluster: ${where}`);
        assert.ok(plan.usedClusterCount < plan.clusterCount, where);
        assert.is(plan.bitmapLengthBytes, Math.ceil(plan.clusterCount / 8));
        assert.ok(plan.percentInUse >= 0 && plan.percentInUse <= 100);
      }
    }
  }
  assert.ok(planned > 1000, `planned ${planned}`);
});

test.run();
