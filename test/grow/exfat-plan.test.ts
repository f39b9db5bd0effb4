// Wide sweeps of the exFAT grow planner on memory disks (fast-check): any new size up to 16 TiB (2 TiB for MBR),
// both tables, both sector sizes, several cluster sizes. Invariants: every write step is sector-aligned, inside
// the disk and overlaps no other (the bitmap's FAT chain and the freed FAT tail may share one sector, in that order);
// the grown boot region passes every §3.1 check and its checksum; the FAT addresses every cluster and ends before
// the cluster heap; the heap fits the volume and the volume its partition; the new bitmap lies in clusters free
// in the old volume, away from the old bitmap; the order is bitmap, table, directory entry, backup boot region,
// main boot region; the plan is plain JSON and the same every time. Refusals leave the disk untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { GuestdiskError } from '../../src/errors.js';
import { checkBootRegion } from '../../src/fs/exfat/boot-region.js';
import { decodeExfatBootSector } from '../../src/fs/exfat/boot-sector.js';
import { encodeGrownBootRegion, type ExfatGrowPlan } from '../../src/fs/exfat/grow.js';
import { growDisk, planGrowFrom } from '../../src/grow/grow-disk.js';
import type { GrowPlan } from '../../src/grow/types.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { digestMemory } from '../helpers/classify.js';
import { GiB, grownDisk, MiB, type GrowCase } from './disks.js';

const TIB = 1024 * GiB;
const OLD: GrowCase[] = [
  { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB },
  { table: 'gpt', fs: 'exfat', sectorSize: 4096, oldBytes: 96 * MiB, newBytes: 96 * MiB },
  { table: 'mbr', fs: 'exfat', sectorSize: 512, oldBytes: 80 * MiB, newBytes: 80 * MiB },
  { table: 'mbr', fs: 'exfat', sectorSize: 4096, oldBytes: 64 * MiB, newBytes: 64 * MiB },
  { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB, clusterSize: 512 },
  { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: 8 * GiB, newBytes: 8 * GiB, clusterSize: 32768 },
];
const disks = new Map<GrowCase, MemoryTarget>();
async function oldDisk(c: GrowCase): Promise<MemoryTarget> {
  let d = disks.get(c);
  if (!d) disks.set(c, (d = await grownDisk(c)));
  return d;
}

async function checkPlan(c: GrowCase, disk: MemoryTarget, plan: GrowPlan, newBytes: number, source: Awaited<ReturnType<typeof planGrowFrom>>['source']): Promise<void> {
  const s = c.sectorSize;
  const writes = plan.steps.filter((st) => st.kind !== 'flush');
  for (const st of writes) {
    assert.ok(st.offsetBytes % s === 0 && st.lengthBytes % s === 0 && st.lengthBytes > 0, `${st.kind} aligned`);
    assert.ok(st.offsetBytes >= 0 && st.offsetBytes + st.lengthBytes <= newBytes, `${st.kind} inside the disk`);
  }
  for (const [i, a] of writes.entries()) {
    for (const b of writes.slice(i + 1)) {
      const overlap = a.offsetBytes < b.offsetBytes + b.lengthBytes && b.offsetBytes < a.offsetBytes + a.lengthBytes;
      const fatShare = a.kind === 'exfat-bitmap-chain' && b.kind === 'exfat-fat-tail';
      assert.ok(!overlap || fatShare, `${a.kind} [${a.offsetBytes}, +${a.lengthBytes}) overlaps ${b.kind} [${b.offsetBytes}, +${b.lengthBytes})`);
    }
  }
  const kinds = writes.map((w) => w.kind);
  const order = ['exfat-bitmap', 'exfat-bitmap-chain', 'exfat-fat-tail', 'mbr', 'exfat-bitmap-entry', 'exfat-backup-boot', 'exfat-boot'].map((k) => kinds.indexOf(k as never)).filter((i) => i >= 0);
  assert.equal(order, [...order].sort((a, b) => a - b), `write order: ${kinds.join(', ')}`);
  assert.is(kinds[kinds.length - 1], 'exfat-boot', 'the main boot region is the last write (the commit)');
  assert.is(plan.steps[plan.steps.length - 1].kind, 'flush');

  const fs = plan.filesystem as ExfatGrowPlan;
  assert.is(fs.kind, 'exfat');
  assert.ok(source.filesystem.kind === 'exfat');
  const region = encodeGrownBootRegion(source.filesystem, fs);
  const bs = decodeExfatBootSector(region.subarray(0, 512));
  assert.equal(checkBootRegion(region, s, 'grown'), []);
  const spc = 2 ** bs.sectorsPerClusterShift;
  assert.is(bs.volumeLength * s, plan.partition.after.sizeLba * s, 'the volume fills its partition');
  assert.ok(bs.clusterHeapOffset + bs.clusterCount * spc <= bs.volumeLength, 'the heap fits the volume');
  assert.ok((bs.clusterCount + 2) * 4 <= bs.fatLength * s && bs.fatOffset + bs.fatLength <= bs.clusterHeapOffset, 'the FAT addresses every cluster, before the heap');
  assert.ok(fs.after.clusterCount >= fs.before.clusterCount);
  // Every cluster the partition can hold is used, unless the FAT cannot address it (then the note says so).
  const room = Math.floor((bs.volumeLength - bs.clusterHeapOffset) / spc);
  assert.is(fs.after.clusterCount + fs.clustersBeyondFat, Math.min(room, 0xfffffff5));
  if (fs.clustersBeyondFat > 0) assert.ok(plan.notes.some((n) => n.includes('stay unused')));
  assert.is(fs.newBitmap.dataLength, Math.ceil(fs.after.clusterCount / 8));
  if (fs.after.clusterCount > fs.before.clusterCount) {
    const nb = fs.newBitmap;
    const ob = fs.oldBitmap;
    assert.ok(nb.clusters * fs.clusterSize >= nb.dataLength);
    assert.ok(nb.firstCluster >= 2 && nb.firstCluster + nb.clusters <= fs.before.clusterCount + 2, 'the new bitmap lies in the old volume');
    assert.ok(nb.firstCluster >= ob.firstCluster + ob.clusters || nb.firstCluster + nb.clusters <= ob.firstCluster, 'away from the old bitmap');
    // Free in the old bitmap.
    const base = plan.partition.startLba * s;
    const heap = (await disk.read(base, 512)).subarray(0, 512);
    const old = decodeExfatBootSector(heap);
    const bitmapAt = base + old.clusterHeapOffset * s + (ob.firstCluster - 2) * fs.clusterSize;
    const bits = await disk.read(bitmapAt + Math.floor((nb.firstCluster - 2) / 8), Math.ceil(nb.clusters / 8) + 1);
    for (let k = nb.firstCluster - 2; k < nb.firstCluster - 2 + nb.clusters; k++) {
      const at = (k >> 3) - Math.floor((nb.firstCluster - 2) / 8);
      assert.is(bits[at] & (1 << (k & 7)), 0, `cluster ${k + 2} was free`);
    }
  }
  assert.equal(JSON.parse(JSON.stringify(plan)), plan, 'the plan is plain JSON');
}

for (const c of OLD) {
  const maxBytes = c.table === 'mbr' ? 2 * TIB : 16 * TIB;
  test(`exFAT grow plans for ${c.table}/${c.sectorSize}${c.clusterSize ? `/${c.clusterSize}` : ''} from ${c.oldBytes / MiB} MiB to any size up to ${maxBytes / TIB} TiB`, async () => {
    const disk = await oldDisk(c);
    await fc.assert(fc.asyncProperty(fc.integer({ min: (c.oldBytes + MiB) / MiB, max: maxBytes / MiB - 1 }), fc.integer({ min: 0, max: MiB / c.sectorSize - 1 }), async (mib, extra) => {
      const newBytes = mib * MiB + extra * c.sectorSize;
      const { plan, source } = await planGrowFrom(disk, newBytes);
      await checkPlan(c, disk, plan, newBytes, source);
      const again = await planGrowFrom(disk, newBytes);
      assert.equal(again.plan, plan, 'same disk, same size: same plan');
    }), { numRuns: 40, seed: 7 });
  });
}

test('exFAT growth by size/7 steps from the old size to 16 TiB: each plan holds its invariants', async () => {
  const c = OLD[0];
  const disk = await oldDisk(c);
  for (let newBytes = c.oldBytes + MiB; newBytes <= 16 * TIB; newBytes = Math.ceil((newBytes + newBytes / 7) / MiB) * MiB) {
    const { plan, source } = await planGrowFrom(disk, newBytes);
    await checkPlan(c, disk, plan, newBytes, source);
  }
});

async function refuses(disk: MemoryTarget, phrase: RegExp): Promise<void> {
  const before = await digestMemory(disk);
  const error = await growDisk(disk).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof GuestdiskError, `expected a GuestdiskError, got ${String(error)}`);
  assert.is(error.code, 'INVALID_SPEC', error.message);
  assert.match(error.message, phrase);
  assert.is(await digestMemory(disk), before, 'the disk is untouched');
}

test('a dirty exFAT volume (VolumeFlags.VolumeDirty) is refused, nothing written', async () => {
  const old = await grownDisk({ table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 128 * MiB });
  const sector = await old.read(MiB, 512);
  sector[0x6a] |= 0x02; // VolumeFlags is outside the boot checksum (§3.4): the region stays valid
  await old.write(MiB, sector);
  await refuses(old, /marked dirty/);
});

test('an exFAT volume with no free run for the grown bitmap is refused, nothing written', async () => {
  const old = await grownDisk({ table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 160 * MiB });
  // Mark every cluster in use in the old bitmap (guestdisk places it in cluster 2, the heap's first).
  const bs = decodeExfatBootSector(await old.read(MiB, 512));
  const bitmapAt = MiB + bs.clusterHeapOffset * 512;
  await old.write(bitmapAt, new Uint8Array(Math.ceil(Math.ceil(bs.clusterCount / 8) / 512) * 512).fill(0xff));
  await refuses(old, /no run of \d+ free clusters/);
});

test.run();
