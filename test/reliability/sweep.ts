// The interruption sweep shared by the interrupt-*.test.ts files: plan a create, then stop it at every write
// under each fault model (test/helpers/fault-target.ts) and judge each disk left with real tools
// (test/helpers/classify.ts). Memory targets keep it fast; only the judging touches a (loop) device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import type { FsKind, Layout, TableKind } from '../../src/plan/layout.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { DiskStage, digestMemory, uuidOf, type Classification, type DiskClass } from '../helpers/classify.js';
import { cloneMemoryTarget, injectFault, INJECTED_FAULT, persistedWithCache, replay, type FaultKind, type RecordedOp } from '../helpers/fault-target.js';
import { makeTempDir } from '../helpers/tools.js';

export const MiB = 2 ** 20;
export const TIMESTAMP = 1_700_000_000; // 2023-11-14, inside every filesystem's range

export interface SweepCase {
  readonly table: TableKind;
  readonly fs: FsKind;
  readonly sectorSize: 512 | 4096;
  readonly sizeBytes: number;
  /** What the disk held before: nothing, or another guestdisk layout (stale structures are where lies hide). */
  readonly before: 'blank' | { readonly table: TableKind; readonly fs: FsKind };
}

export interface SweepResult {
  /** Disk states judged, by class. */
  readonly counts: Record<DiskClass, number>;
  /** Each state that lied, with how it was made. */
  readonly lies: string[];
  /** Writes of the uninterrupted run. */
  readonly writes: number;
  readonly finalClass: DiskClass;
  readonly states: number;
}

export function planCase(c: { table: TableKind; fs: FsKind; sectorSize: 512 | 4096; sizeBytes: number }, seed: string): Layout {
  return planDisk({ table: c.table, fs: c.fs, seed, timestamp: TIMESTAMP }, { sizeBytes: c.sizeBytes, logicalSectorSize: c.sectorSize, physicalSectorSize: c.sectorSize });
}

async function startingDisk(c: SweepCase): Promise<MemoryTarget> {
  const disk = openMemoryTarget({ sizeBytes: c.sizeBytes, logicalSectorSize: c.sectorSize });
  if (c.before !== 'blank') await writeDisk(planCase({ ...c, ...c.before }, 'the-old-disk'), disk); // same seed as in sweep()
  (disk.log as unknown[]).length = 0;
  return disk;
}

function isInjected(e: unknown): boolean {
  return e instanceof GuestdiskError && e.code === 'IO_FAILED' && e.message.includes(INJECTED_FAULT);
}

/** Runs the sweep; `stage` is a loop device of the case's size and sector size. */
export type SweepModel = 'stop' | 'cache';

/**
 * Runs the sweep; `stage` is a loop device of the case's size and sector size. `stop`: the process or device
 * stops after every N writes (clean, torn, with flushes dropped). `cache`: a volatile cache that honours flushes
 * but writes back newest first.
 */
export async function sweep(c: SweepCase, stage: DiskStage, model: SweepModel): Promise<SweepResult> {
  const layout = planCase(c, 'the-new-disk');
  const before = await startingDisk(c);
  const beforeDigest = await digestMemory(before);
  const p = layout.partitions[0];
  const oldLayout = c.before === 'blank' ? null : planCase({ ...c, ...c.before }, 'the-old-disk');
  const expect = { fs: c.fs, oldFs: c.before === 'blank' ? undefined : c.before.fs, expectedUuid: uuidOf(layout), oldUuid: oldLayout ? uuidOf(oldLayout) : undefined, expectedPartition: { offsetBytes: p.startLba * c.sectorSize, sizeBytes: p.sizeLba * c.sectorSize } };

  const counts: Record<DiskClass, number> = { unchanged: 0, 'old-intact': 0, 'no-table': 0, 'no-filesystem': 0, complete: 0, lie: 0 };
  const lies: string[] = [];
  let states = 0;
  const judge = async (disk: MemoryTarget, how: string): Promise<Classification> => {
    const r = await stage.classify(disk, beforeDigest, expect);
    counts[r.klass]++;
    states++;
    if (r.klass === 'lie') lies.push(`${how}: ${r.evidence}`);
    return r;
  };

  // The uninterrupted run, recorded: its op list drives the reordering model below.
  const fullDisk = await cloneMemoryTarget(before);
  const full = injectFault(fullDisk, null);
  await writeDisk(layout, full);
  const ops: readonly RecordedOp[] = full.ops;
  const writes = ops.filter((o) => o.kind !== 'flush').length;
  const finalClass = (await judge(fullDisk, 'uninterrupted run')).klass;

  // Stopped after every N writes, for each fault kind: writeDisk itself runs against the failing target.
  for (const kind of (model === 'stop' ? ['fail-after', 'torn', 'drop-flush'] : []) as FaultKind[]) {
    for (let n = 0; n < writes; n++) {
      const disk = await cloneMemoryTarget(before);
      const target = injectFault(disk, { kind, writes: n });
      let error: unknown = null;
      await writeDisk(layout, target).catch((e: unknown) => { error = e; });
      if (!isInjected(error)) throw new Error(`${kind} ${n}: writeDisk should fail with the injected fault, got ${String(error)}`);
      if (target.callsAfterFault() !== 0) throw new Error(`${kind} ${n}: writeDisk went on after the fault (${target.callsAfterFault()} more calls)`);
      await judge(disk, `${kind} after ${n} of ${writes} writes`);
    }
  }

  // A cache that honours flushes but writes back newest first: crashed just before each flush (and at the end),
  // with only the newest k writes since the previous flush on disk, for every k.
  const flushAt = ops.flatMap((o, i) => (o.kind === 'flush' ? [i] : []));
  for (const end of model === 'cache' ? [...flushAt, ops.length] : []) {
    const upTo = ops.slice(0, end);
    const pending = upTo.length - (upTo.map((o) => o.kind).lastIndexOf('flush') + 1);
    for (let keep = 0; keep <= pending; keep++) {
      const disk = await cloneMemoryTarget(before);
      await replay(disk, persistedWithCache(upTo, keep));
      await judge(disk, `cache crash before op ${end} keeping the newest ${keep} of ${pending} unflushed writes`);
    }
  }
  return { counts, lies, writes, finalClass, states };
}

/** A stage (loop device) per size × sector size, made on demand and released by `close`. */
export function stages(): { get(sizeBytes: number, sectorSize: 512 | 4096): DiskStage; close(): void } {
  const dir = makeTempDir('guestdisk-reliability-');
  const made = new Map<string, DiskStage>();
  return {
    get(sizeBytes, sectorSize) {
      const key = `${sizeBytes}/${sectorSize}`;
      let stage = made.get(key);
      if (!stage) {
        stage = new DiskStage(`${dir.path}/stage-${sizeBytes}-${sectorSize}.img`, sizeBytes, sectorSize);
        made.set(key, stage);
      }
      return stage;
    },
    close() {
      for (const s of made.values()) s.close();
      dir.remove();
    },
  };
}

export function describeCase(c: SweepCase): string {
  const before = c.before === 'blank' ? 'blank disk' : `old ${c.before.table}/${c.before.fs} disk`;
  return `${c.table}/${c.fs}/${c.sectorSize} ${c.sizeBytes / MiB} MiB over a ${before}`;
}

/** The smallest disk of whole MiB our planner accepts for this table, fs and sector size (at least `floor`). */
export function smallestDisk(table: TableKind, fs: FsKind, sectorSize: 512 | 4096, floor = 0): number {
  for (let mib = Math.max(3, Math.ceil(floor / MiB)); mib < 4096; mib++) {
    try {
      planCase({ table, fs, sectorSize, sizeBytes: mib * MiB }, 'probe');
      return mib * MiB;
    } catch (e) {
      if (!(e instanceof GuestdiskError)) throw e;
    }
  }
  throw new Error(`no disk up to 4 GiB holds ${table}/${fs}/${sectorSize}`);
}

/** GPT and MBR × 512 and 4096, at 64 MiB (or the fs's smallest disk above it) over a blank disk and over an
 *  old disk with the other table and `oldFs`, over an old disk with the same table and fs (another seed), plus
 *  the fs's smallest disk over a blank one. */
export function casesFor(fs: FsKind, oldFs: FsKind): SweepCase[] {
  const cases: SweepCase[] = [];
  for (const table of ['gpt', 'mbr'] as const) {
    for (const sectorSize of [512, 4096] as const) {
      const sizeBytes = smallestDisk(table, fs, sectorSize, 64 * MiB);
      const oldSize = smallestDisk(table === 'gpt' ? 'mbr' : 'gpt', oldFs, sectorSize, sizeBytes);
      const old = oldSize === sizeBytes ? { table: table === 'gpt' ? ('mbr' as const) : ('gpt' as const), fs: oldFs } : { table, fs: 'none' as const };
      cases.push({ table, fs, sectorSize, sizeBytes, before: 'blank' });
      cases.push({ table, fs, sectorSize, sizeBytes, before: old });
      // The same table and filesystem from another run: stale boot sectors and tables sit exactly where the new
      // ones go, so only the UUID tells them apart.
      cases.push({ table, fs, sectorSize, sizeBytes, before: { table, fs } });
      const smallest = smallestDisk(table, fs, sectorSize);
      if (smallest !== sizeBytes) cases.push({ table, fs, sectorSize, sizeBytes: smallest, before: 'blank' });
    }
  }
  return cases;
}

/** The interrupt-*.test.ts files: for each case, under both fault models, no disk left may lie, and an
 *  uninterrupted run gives a complete disk. */
export function registerSweepTests(cases: readonly SweepCase[]): void {
  const pool = stages();
  for (const c of cases) {
    for (const model of ['stop', 'cache'] as const) {
      const what = model === 'stop' ? 'stopped after every write (clean, torn, flushes dropped)' : 'crashed with a reordering cache before every flush';
      test(`${what}, ${describeCase(c)}: never a disk that lies`, async () => {
        const r = await sweep(c, pool.get(c.sizeBytes, c.sectorSize), model);
        console.log(`  ${model} ${describeCase(c)}: ${r.writes} writes, ${r.states} states ${JSON.stringify(r.counts)}`);
        assert.ok(r.lies.length === 0, `${r.lies.length} lying disks:\n${r.lies.slice(0, 6).join('\n')}`);
        assert.is(r.finalClass, 'complete');
      });
    }
  }
  test.after(() => pool.close());
}
