// writeDisk: runs a Layout's steps, in order, against one BlockTarget. The order itself is decided (and
// explained) in plan/plan-disk.ts `planSteps`; this module only carries it out, and checks that every chunk an
// encoder makes stays inside its step's byte range.
import { GuestdiskError } from '../errors.js';
import { formatFilesystem, type FsChunks } from '../fs/registry.js';
import { encodeClassicMbr, encodeGpt, encodeProtectiveMbr, type EncodedGpt } from '../partition/gpt.js';
import type { Chunk, ContentReader } from '../disk-types.js';
import type { Layout, Step } from '../plan/layout.js';
import type { BlockTarget } from '../target/block-target.js';
import { writeChunks, type BetweenWrites, type ChunkWriteStats } from './write-chunks.js';
import { writeContentChunks } from './write-content.js';

export interface WriteOptions {
  /** Called before every write; throw from it to stop between writes (signals, fault-injection tests). */
  readonly between?: BetweenWrites;
  /** Called after each step. */
  readonly onStep?: (step: Step, index: number, stats: ChunkWriteStats) => void;
  /** Streams the bytes of copied files (create --copy-from: src/source/copy-from.ts); required when the Layout's
   *  filesystem holds a file tree. */
  readonly content?: ContentReader;
}

export interface WriteResult extends ChunkWriteStats {
  flushes: number;
  steps: number;
}

export async function writeDisk(layout: Layout, target: BlockTarget, options: WriteOptions = {}): Promise<WriteResult> {
  checkLayout(layout, target);
  const stats: WriteResult = { writes: 0, bytesWritten: 0, zeroBytes: 0, flushes: 0, steps: 0 };
  const between = options.between ?? (() => {});
  const s = layout.geometry.logicalSectorSize;
  const gpt: EncodedGpt | null = layout.table.kind === 'gpt' ? encodeGpt(layout.table, layout.partitions, s) : null;
  let fs: FsChunks | null = null;
  const fsChunks = (): FsChunks => (fs ??= formatFilesystem(layout.filesystem!));

  for (const [index, step] of layout.steps.entries()) {
    const limit = { startBytes: step.offsetBytes, endBytes: step.offsetBytes + step.lengthBytes, what: step.description };
    const run = (chunks: Iterable<Chunk>, base: number): Promise<void> => writeChunks(target, chunks, base, limit, stats, between, options.content ?? null);
    switch (step.kind) {
      case 'flush':
        between({ kind: 'flush', offsetBytes: 0, lengthBytes: 0 });
        await target.flush();
        stats.flushes++;
        break;
      case 'wipe':
        await run([{ offsetBytes: 0, zeroBytes: step.lengthBytes }], step.offsetBytes);
        break;
      case 'fs-body':
        await run(fsChunks().body(), step.offsetBytes);
        await writeContentChunks(target, fsChunks().files?.() ?? [], step.offsetBytes, limit, stats, between, options.content ?? null);
        break;
      case 'fs-boot-backup':
        await run(fsChunks().bootBackup(), step.offsetBytes);
        break;
      case 'fs-boot':
        await run(fsChunks().boot(), step.offsetBytes);
        break;
      case 'gpt-backup-entries':
      case 'gpt-primary-entries':
        await run([{ offsetBytes: 0, bytes: gpt!.entries }], step.offsetBytes);
        break;
      case 'gpt-backup-header':
        await run([{ offsetBytes: 0, bytes: gpt!.backupHeader }], step.offsetBytes);
        break;
      case 'gpt-primary-header':
        await run([{ offsetBytes: 0, bytes: gpt!.primaryHeader }], step.offsetBytes);
        break;
      case 'mbr': {
        const sector =
          layout.table.kind === 'gpt'
            ? encodeProtectiveMbr(layout.geometry.sizeBytes / s, s)
            : encodeClassicMbr(layout.table.diskSignature, layout.partitions, s);
        await run([{ offsetBytes: 0, bytes: sector }], step.offsetBytes);
        break;
      }
      default: {
        const never: never = step.kind;
        throw new GuestdiskError('INVALID_SPEC', `unknown step ${String(never)}`);
      }
    }
    stats.steps++;
    options.onStep?.(step, index, stats);
  }
  return stats;
}

const STEP_KINDS: ReadonlySet<string> = new Set<Step['kind']>([
  'wipe', 'flush', 'fs-body', 'fs-boot-backup', 'fs-boot', 'gpt-backup-entries', 'gpt-backup-header', 'gpt-primary-entries', 'gpt-primary-header', 'mbr',
]);

/**
 * The Layout is checked whole before its first write: it may come from JSON a caller stored or edited, and a
 * bad step found halfway would leave a half-written disk. A Layout made for another disk is refused too.
 */
function checkLayout(layout: Layout, target: BlockTarget): void {
  const bad = (why: string): GuestdiskError => new GuestdiskError('INVALID_SPEC', `not a usable Layout: ${why}`);
  if (layout === null || typeof layout !== 'object') throw bad('not an object');
  const g = layout.geometry;
  if (!g || typeof g !== 'object' || !Array.isArray(layout.steps) || !layout.table || !Array.isArray(layout.partitions)) {
    throw bad('geometry, table, partitions and steps are required (make it with planDisk)');
  }
  if (g.sizeBytes !== target.sizeBytes || g.logicalSectorSize !== target.logicalSectorSize) {
    throw new GuestdiskError(
      'INVALID_SPEC',
      `the layout was planned for ${g.sizeBytes} bytes with ${g.logicalSectorSize}-byte sectors, but ${target.description} has ${target.sizeBytes} bytes with ${target.logicalSectorSize}-byte sectors`,
      { layoutSizeBytes: g.sizeBytes, targetSizeBytes: target.sizeBytes, layoutSectorSize: g.logicalSectorSize, targetSectorSize: target.logicalSectorSize },
    );
  }
  const s = g.logicalSectorSize;
  for (const [i, step] of layout.steps.entries()) {
    if (!step || !STEP_KINDS.has(step.kind)) throw bad(`step ${i} has an unknown kind ${JSON.stringify(step?.kind)}`);
    const { offsetBytes: at, lengthBytes: n } = step;
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(n) || at < 0 || n < 0 || at + n > g.sizeBytes || at % s !== 0 || n % s !== 0) {
      throw new GuestdiskError('OUT_OF_BOUNDS', `step ${i} (${step.kind}) [${at}, +${n}) is not a sector-aligned range inside the ${g.sizeBytes}-byte disk`, { step: i, offsetBytes: at, lengthBytes: n });
    }
    if (step.kind.startsWith('fs-') && !layout.filesystem) throw bad(`step ${i} (${step.kind}) but no filesystem plan`);
    if (step.kind.startsWith('gpt-') && layout.table.kind !== 'gpt') throw bad(`step ${i} (${step.kind}) but the table is ${layout.table.kind}`);
  }
}
