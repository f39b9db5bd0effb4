// An interrupted `create --copy-from`, judged by tools we did not write: stopped after every write (clean stop,
// torn write, flushes dropped) and crashed with a cache that writes back newest first, for NTFS (and exFAT and
// FAT32), every disk left is unchanged, unrecognised or complete (test/helpers/classify.ts) — and, looked at
// directly at the partition's offset with no partition table to guide them, blkid and the filesystem's checker
// (ntfsfix -n, fsck.exfat -n, fsck.fat -n) accept a volume only once it holds every file, byte for byte, as a
// reader (ntfs-3g, sleuthkit) shows: a partly copied volume never passes for a valid one with the files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FsKind, Layout, TableKind } from '../../src/plan/layout.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { loadCopySources, parseCopyFrom, type LoadedSources } from '../../src/source/copy-from.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { DiskStage, digestMemory, uuidOf, type DiskClass } from '../helpers/classify.js';
import { cloneMemoryTarget, injectFault, persistedWithCache, replay, type FaultKind, type RecordedOp } from '../helpers/fault-target.js';
import { makeTempDir, requireTool } from '../helpers/tools.js';
import { CHECKER, viewPartition, withoutTimes, type PartitionView } from './partition-view.js';
import { TIMESTAMP, listTree, type Entry } from './trees.js';

for (const tool of ['blkid', 'sfdisk', 'sgdisk', 'ntfsfix', 'ntfs-3g', 'fusermount3', 'fsck.exfat', 'mount.exfat-fuse', 'fsck.fat', 'mcopy', 'losetup']) requireTool(tool);

const MiB = 1024 * 1024;
/** The copy's writer keeps up to this many writes of a batch in flight (src/write/write-content.ts): when one
 *  fails, the others were already sent (the fault target refuses them, so none lands). */
const WRITES_IN_FLIGHT = 16;

interface Case { fs: FsKind; table: TableKind; sector: 512 | 4096; before: 'blank' | 'old copy'; diskBytes: number }
const CASES: Case[] = [
  { fs: 'ntfs', table: 'gpt', sector: 512, before: 'blank', diskBytes: 64 * MiB },
  // An earlier copy with the same table and filesystem: its boot sectors and $MFT sit where the new ones go.
  { fs: 'ntfs', table: 'mbr', sector: 4096, before: 'old copy', diskBytes: 64 * MiB },
  { fs: 'exfat', table: 'mbr', sector: 512, before: 'old copy', diskBytes: 64 * MiB },
  { fs: 'fat32', table: 'gpt', sector: 4096, before: 'blank', diskBytes: 260 * MiB },
];

/** A tree with a resident file, a multi-MiB file (several writes), an indexed directory, and a sparse file. */
function makeTree(root: string, variant: number): void {
  mkdirSync(join(root, 'many'), { recursive: true });
  writeFileSync(join(root, 'small.txt'), `small ${variant}\n`);
  writeFileSync(join(root, 'mid.bin'), new Uint8Array(200_000).map((_, i) => (i * 7 + variant) & 0xff));
  writeFileSync(join(root, 'large.bin'), new Uint8Array(3 * MiB + 5).map((_, i) => ((i >> 9) + variant) & 0xff));
  for (let i = 0; i < 80; i++) writeFileSync(join(root, 'many', `entry ${i} ${variant}.txt`), `${i}`);
  writeFileSync(join(root, 'sparse.bin'), '');
  truncateSync(join(root, 'sparse.bin'), 2 * MiB);
  writeFileSync(join(root, 'empty'), '');
}

async function load(src: string): Promise<LoadedSources> {
  return loadCopySources([parseCopyFrom(src)], { timestamp: TIMESTAMP, symlinks: 'follow' });
}

function plan(c: Case, seed: string, loaded: LoadedSources): Layout {
  return planDisk({ table: c.table, fs: c.fs, seed, timestamp: TIMESTAMP, files: loaded.tree },
    { sizeBytes: c.diskBytes, logicalSectorSize: c.sector, physicalSectorSize: c.sector });
}

async function writeWith(layout: Layout, loaded: LoadedSources, target: Parameters<typeof writeDisk>[1]): Promise<unknown> {
  const reader = loaded.openReader();
  try {
    await writeDisk(layout, target, { content: reader });
    return null;
  } catch (e) {
    return e;
  } finally {
    await reader.close();
  }
}

const scratch = makeTempDir('guestdisk-copy-interrupt-');
test.after(() => scratch.remove());

for (const c of CASES) {
  test(`copy into ${c.fs} ${c.table}/${c.sector} over a ${c.before} disk: stopped at every write or crashed with a reordering cache, no tool accepts a volume without every file`, async () => {
    const src = join(scratch.path, `src-${c.fs}-${c.table}-${c.sector}`);
    makeTree(src, 1);
    const loaded = await load(src);
    const layout = plan(c, 'new', loaded);
    const part = { offsetBytes: layout.partitions[0].startLba * c.sector, sizeBytes: layout.partitions[0].sizeLba * c.sector };
    const expectedTree = withoutTimes(listTree(src));

    const before = openMemoryTarget({ sizeBytes: c.diskBytes, logicalSectorSize: c.sector });
    let oldUuid: string | undefined;
    let oldTree: [string, Entry][] | null = null;
    if (c.before === 'old copy') {
      const oldSrc = `${src}-old`;
      makeTree(oldSrc, 2);
      oldTree = withoutTimes(listTree(oldSrc));
      const oldLoaded = await load(oldSrc);
      const oldLayout = plan(c, 'old', oldLoaded);
      assert.is(await writeWith(oldLayout, oldLoaded, before), null);
      oldUuid = uuidOf(oldLayout);
    }
    (before.log as unknown[]).length = 0;
    const beforeDigest = await digestMemory(before);

    const full = injectFault(await cloneMemoryTarget(before), null);
    assert.is(await writeWith(layout, loaded, full), null);
    const ops: readonly RecordedOp[] = full.ops;
    const writes = ops.filter((o) => o.kind !== 'flush').length;

    const stage = new DiskStage(join(scratch.path, `stage-${c.fs}-${c.table}-${c.sector}.img`), c.diskBytes, c.sector);
    const counts: Partial<Record<DiskClass | 'volume with every file' | 'the old copy, whole' | 'seen at the offset, refused', number>> = {};
    const views = new Map<string, PartitionView>();
    const failures: string[] = [];
    const judge = async (disk: MemoryTarget, how: string, finished: boolean): Promise<void> => {
      const expect = { fs: c.fs, oldFs: c.before === 'blank' ? undefined : c.fs, expectedUuid: uuidOf(layout), oldUuid, expectedPartition: part };
      const klass = await stage.classify(disk, beforeDigest, expect);
      counts[klass.klass] = (counts[klass.klass] ?? 0) + 1;
      if (klass.klass === 'lie') failures.push(`${how}: ${klass.evidence}`);
      if (finished && klass.klass !== 'complete') failures.push(`${how}: the finished disk is ${klass.klass}: ${klass.evidence}`);
      const digest = await digestMemory(disk);
      let view = views.get(digest);
      if (!view) {
        await stage.show(disk);
        view = viewPartition(c.fs, stage.device, part, scratch.path);
        views.set(digest, view);
      }
      if (view.blkidType === CHECKER[c.fs].blkidType && view.checkerStatus !== 0) counts['seen at the offset, refused'] = (counts['seen at the offset, refused'] ?? 0) + 1;
      if (view.checkerStatus === 0 && view.tree === null) failures.push(`${how}: ${CHECKER[c.fs].tool} accepts a volume its reader cannot open`);
      if (view.tree !== null) {
        const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
        if (same(view.tree, expectedTree)) counts['volume with every file'] = (counts['volume with every file'] ?? 0) + 1;
        else if (oldTree && same(view.tree, oldTree)) counts['the old copy, whole'] = (counts['the old copy, whole'] ?? 0) + 1;
        else failures.push(`${how}: the reader opens a volume that holds neither the source tree nor the old one (${CHECKER[c.fs].tool} exit ${view.checkerStatus}):\n${JSON.stringify(view.tree).slice(0, 400)}`);
      }
      if (finished && view.tree === null) failures.push(`${how}: the finished volume is refused (${view.checkerTail})`);
    };

    try {
      const fullDisk = await cloneMemoryTarget(before);
      await replay(fullDisk, ops);
      await judge(fullDisk, 'the uninterrupted run replayed', true);
      for (const kind of ['fail-after', 'torn', 'drop-flush'] as FaultKind[]) {
        for (let n = 0; n < writes; n++) {
          const disk = await cloneMemoryTarget(before);
          const target = injectFault(disk, { kind, writes: n });
          const error = await writeWith(layout, loaded, target);
          assert.ok(error !== null && target.fired(), `${kind} ${n}: the write should stop at the fault`);
          assert.ok(target.callsAfterFault() < WRITES_IN_FLIGHT, `${kind} ${n}: the writer went on after the fault (${target.callsAfterFault()} more calls)`);
          await judge(disk, `${kind} after ${n} of ${writes} writes`, false);
        }
      }
      const flushAt = ops.flatMap((o, i) => (o.kind === 'flush' ? [i] : []));
      for (const end of [...flushAt, ops.length]) {
        const upTo = ops.slice(0, end);
        const pending = upTo.length - (upTo.map((o) => o.kind).lastIndexOf('flush') + 1);
        for (let keep = 0; keep <= pending; keep++) {
          const disk = await cloneMemoryTarget(before);
          await replay(disk, persistedWithCache(upTo, keep));
          await judge(disk, `cache crash before op ${end} keeping the newest ${keep} of ${pending} unflushed writes`, false);
        }
      }
    } finally {
      stage.close();
    }
    console.log(`  ${c.fs} ${c.table}/${c.sector} over a ${c.before} disk: ${writes} writes, ${views.size} distinct disks, ${JSON.stringify(counts)}`);
    assert.equal(failures, [], failures.slice(0, 6).join('\n'));
    // The sweep saw the volume both absent and whole: it judged states on each side of the commit.
    assert.ok((counts['volume with every file'] ?? 0) > 0 && (counts['no-table'] ?? 0) + (counts.unchanged ?? 0) + (counts['old-intact'] ?? 0) > 0, JSON.stringify(counts));
  });
}

test.run();
