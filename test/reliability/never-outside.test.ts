// Never outside the target: over random valid specs (sizes from the minimum to 256 TiB, both sector sizes, every
// table and filesystem, cluster sizes), the plan's write steps are sector-aligned, inside the disk, inside their
// partition except the table's own, and overlap only where documented (wipes are overwritten later by design; the
// three filesystem steps share the partition's range). Then real writeDisk runs on sparse memory disks show every
// write inside the step that made it.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import type { FsKind, Layout, Step, TableKind } from '../../src/plan/layout.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;
const FS_STEPS = new Set(['fs-body', 'fs-boot-backup', 'fs-boot']);
const TABLE_STEPS = new Set(['gpt-backup-entries', 'gpt-backup-header', 'gpt-primary-entries', 'gpt-primary-header', 'mbr']);

interface Spec { table: TableKind; fs: FsKind; sectorSize: 512 | 4096; sizeBytes: number; clusterSize: number | undefined; seed: string }

/** Sizes spread over the decades: 2^e plus a fraction of it, from 2 MiB to 256 TiB, a whole number of sectors. */
function specArbitrary(maxBytes: number): fc.Arbitrary<Spec> {
  return fc
    .record({
      table: fc.constantFrom<TableKind>('gpt', 'mbr'),
      fs: fc.constantFrom<FsKind>('none', 'ntfs', 'exfat', 'fat32'),
      sectorSize: fc.constantFrom<512 | 4096>(512, 4096),
      exponent: fc.integer({ min: 21, max: Math.log2(maxBytes) }),
      fraction: fc.integer({ min: 0, max: 2 ** 20 - 1 }),
      cluster: fc.option(fc.integer({ min: 9, max: 25 }), { nil: undefined }),
      seed: fc.string({ minLength: 1, maxLength: 8 }),
    })
    .map(({ table, fs, sectorSize, exponent, fraction, cluster, seed }) => {
      const raw = Math.min(maxBytes, 2 ** exponent + Math.floor((2 ** exponent * fraction) / 2 ** 20));
      const sizeBytes = Math.max(sectorSize, raw - (raw % sectorSize));
      return { table, fs, sectorSize, sizeBytes, clusterSize: fs === 'none' || cluster === undefined ? undefined : 2 ** cluster, seed };
    });
}

/** The plan, or null when the spec is one the planner refuses (too small, cluster size, MBR past 2^32 sectors…). */
function tryPlan(spec: Spec): Layout | null {
  try {
    return planDisk(
      { table: spec.table, fs: spec.fs, clusterSize: spec.clusterSize, seed: spec.seed, timestamp: 1_700_000_000 },
      { sizeBytes: spec.sizeBytes, logicalSectorSize: spec.sectorSize, physicalSectorSize: spec.sectorSize },
    );
  } catch (e) {
    if (e instanceof GuestdiskError && ['TARGET_TOO_SMALL', 'INVALID_SPEC', 'UNSUPPORTED_GEOMETRY'].includes(e.code)) return null;
    throw e;
  }
}

const end = (s: { offsetBytes: number; lengthBytes: number }): number => s.offsetBytes + s.lengthBytes;
const overlaps = (a: Step, b: Step): boolean => a.offsetBytes < end(b) && b.offsetBytes < end(a);

/** Every invariant of the step list; returns the violations (empty when the plan is sound). */
function checkSteps(layout: Layout): string[] {
  const bad: string[] = [];
  const s = layout.geometry.logicalSectorSize;
  const size = layout.geometry.sizeBytes;
  const p = layout.partitions[0];
  const pStart = p.startLba * s;
  const pEnd = (p.startLba + p.sizeLba) * s;
  if (pStart % MiB !== 0) bad.push(`partition starts at ${pStart}, not on a MiB boundary`);
  if (pEnd > size) bad.push(`partition ends at ${pEnd}, past the disk (${size})`);
  if (layout.table.kind === 'gpt' && (p.startLba < layout.table.firstUsableLba || p.startLba + p.sizeLba - 1 > layout.table.lastUsableLba)) {
    bad.push('partition outside the GPT usable range');
  }
  if (layout.table.kind === 'mbr' && p.startLba + p.sizeLba > 2 ** 32) bad.push('MBR partition past sector 2^32');
  if (layout.filesystem && layout.filesystem.volumeSizeBytes > pEnd - pStart) bad.push('volume larger than its partition');
  const writing = layout.steps.filter((st) => st.kind !== 'flush');
  for (const st of writing) {
    const where = `${st.kind} [${st.offsetBytes}, +${st.lengthBytes})`;
    if (st.offsetBytes % s !== 0 || st.lengthBytes % s !== 0) bad.push(`${where}: not aligned to ${s}`);
    if (!Number.isSafeInteger(st.offsetBytes) || !Number.isSafeInteger(st.lengthBytes) || st.lengthBytes <= 0) bad.push(`${where}: not a positive safe range`);
    if (st.offsetBytes < 0 || end(st) > size) bad.push(`${where}: outside the disk (${size})`);
    if (FS_STEPS.has(st.kind) && (st.offsetBytes < pStart || end(st) > pEnd)) bad.push(`${where}: outside its partition [${pStart}, ${pEnd})`);
    if (TABLE_STEPS.has(st.kind) && st.offsetBytes < pEnd && pStart < end(st)) bad.push(`${where}: table structure inside the partition`);
  }
  for (let i = 0; i < writing.length; i++) {
    for (let j = i + 1; j < writing.length; j++) {
      const a = writing[i];
      const b = writing[j];
      if (!overlaps(a, b)) continue;
      if (a.kind === 'wipe' && b.kind !== 'wipe') continue; // a wipe is overwritten later, by design
      if (FS_STEPS.has(a.kind) && FS_STEPS.has(b.kind)) continue; // the three fs steps share the partition range
      bad.push(`${a.kind} and ${b.kind} overlap`);
    }
  }
  const kinds = layout.steps.map((st) => st.kind);
  if (kinds.lastIndexOf('mbr') !== kinds.length - 2 || kinds.at(-1) !== 'flush') bad.push(`the MBR is not the last write before the final flush: ${kinds.join(',')}`);
  if (JSON.stringify(JSON.parse(JSON.stringify(layout))) !== JSON.stringify(layout)) bad.push('Layout does not survive JSON');
  return bad;
}

test('plan steps: aligned, inside the disk and their partition, no undocumented overlap (minimum to 256 TiB)', () => {
  let planned = 0;
  const byFs = new Map<string, number>();
  fc.assert(
    fc.property(specArbitrary(256 * TiB), (spec) => {
      const layout = tryPlan(spec);
      if (!layout) return true;
      planned++;
      byFs.set(spec.fs, (byFs.get(spec.fs) ?? 0) + 1);
      const bad = checkSteps(layout);
      if (bad.length > 0) throw new Error(`${JSON.stringify(spec)}: ${bad.join('; ')}`);
      return true;
    }),
    { numRuns: 1500, seed: 8 },
  );
  for (const fs of ['none', 'ntfs', 'exfat', 'fat32']) assert.ok((byFs.get(fs) ?? 0) >= 30, `only ${byFs.get(fs) ?? 0} valid ${fs} plans: widen the arbitrary`);
  assert.ok(planned >= 200, `only ${planned} of 1500 specs were valid`);
  console.log(`  ${planned} valid plans: ${JSON.stringify(Object.fromEntries(byFs))}`);
});

test('plan steps at the edges: smallest disks and the largest each table and fs allow', () => {
  const edges: Spec[] = [];
  for (const table of ['gpt', 'mbr'] as const) {
    for (const fs of ['none', 'ntfs', 'exfat', 'fat32'] as const) {
      for (const sectorSize of [512, 4096] as const) {
        const top = table === 'mbr' ? 2 ** 32 * sectorSize : 256 * TiB;
        for (const sizeBytes of [2 * MiB, 2 * MiB + 16 * 1024 + sectorSize, 3 * MiB, 33 * MiB, 259 * MiB, 2 * TiB - MiB, 2 * TiB, 16 * TiB, top - sectorSize, top]) {
          edges.push({ table, fs, sectorSize, sizeBytes: sizeBytes - (sizeBytes % sectorSize), clusterSize: undefined, seed: 'edge' });
        }
      }
    }
  }
  let planned = 0;
  for (const spec of edges) {
    const layout = tryPlan(spec);
    if (!layout) continue;
    planned++;
    assert.equal(checkSteps(layout), [], JSON.stringify(spec));
  }
  assert.ok(planned >= 80, `${planned} edge plans`);
});

test('real runs on sparse memory disks: every write inside the disk, aligned, inside the step that made it', async () => {
  let ran = 0;
  await fc.assert(
    fc.asyncProperty(specArbitrary(4 * GiB), async (spec) => {
      const layout = tryPlan(spec);
      if (!layout) return true;
      ran++;
      const disk = openMemoryTarget({ sizeBytes: spec.sizeBytes, logicalSectorSize: spec.sectorSize });
      const boundaries: { step: Step; logEnd: number }[] = [];
      await writeDisk(layout, disk, { onStep: (step) => boundaries.push({ step, logEnd: disk.log.length }) });
      assert.is(boundaries.length, layout.steps.length);
      let from = 0;
      for (const { step, logEnd } of boundaries) {
        for (const w of disk.log.slice(from, logEnd)) {
          const where = `${JSON.stringify(spec)} ${step.kind}: ${w.kind} [${w.offsetBytes}, +${w.lengthBytes})`;
          if (step.kind === 'flush') {
            assert.is(w.kind, 'flush', where);
            continue;
          }
          assert.ok(w.kind !== 'flush', `${where}: a flush inside a writing step`);
          assert.ok(w.offsetBytes % spec.sectorSize === 0 && w.lengthBytes % spec.sectorSize === 0, `${where}: not aligned`);
          assert.ok(w.offsetBytes >= step.offsetBytes && w.offsetBytes + w.lengthBytes <= end(step), `${where}: outside its step [${step.offsetBytes}, ${end(step)})`);
        }
        from = logEnd;
      }
      assert.is(from, disk.log.length, 'no write after the last step');
      assert.ok(disk.allocatedBytes() < 512 * MiB, `${JSON.stringify(spec)}: ${disk.allocatedBytes()} bytes held: zero ranges must stay holes`);
      return true;
    }),
    { numRuns: 150, seed: 8 },
  );
  assert.ok(ran >= 15, `only ${ran} real runs`);
  console.log(`  ${ran} real runs`);
});

test.run();
