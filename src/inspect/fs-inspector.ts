// What a filesystem inspector is given and returns, and how its checks run: each filesystem decodes its header
// into a view of the volume, then runs a list of small named checks over that view. A leaf module: the
// inspectors (fs-*.ts) and the dispatch table (fs-dispatch.ts) both import it.
import type { BlockTarget } from '../target/block-target.js';
import type { InspectFinding } from './finding-codes.js';
import type { FsDetails } from './report.js';

export interface FsInspectContext {
  /** The partition's first LBA on the disk (null for a whole-disk volume): what hidden sectors should say. */
  readonly partitionStartLba: number | null;
  readonly partitionSizeBytes: number;
  /**
   * Whether to walk the whole volume (every MFT record and index, every directory and chain: verify) or to read
   * only its structures (boot sectors, system files, tables: inspect, fast on any volume). Absent: walk.
   */
  readonly wholeVolume?: boolean;
}

export interface FsInspectResult<R extends FsDetails = FsDetails> {
  /** The decoded header, plain JSON. */
  readonly report: R;
  /** Offsets relative to the volume's first byte (volume.ts moves them onto the disk). */
  readonly findings: readonly InspectFinding[];
}

export type FsInspector<R extends FsDetails = FsDetails> = (volume: BlockTarget, ctx: FsInspectContext) => Promise<FsInspectResult<R>>;

/** One check: a small named function over what an inspector decoded; it returns what it found (often nothing). */
export type VolumeCheck<V> = (view: V) => readonly InspectFinding[] | Promise<readonly InspectFinding[]>;

/** `checks` without the whole-volume ones when the context asks for structures only (inspect). */
export function checksFor<V>(checks: readonly VolumeCheck<V>[], wholeVolumeChecks: readonly VolumeCheck<V>[], ctx: FsInspectContext): readonly VolumeCheck<V>[] {
  return ctx.wholeVolume === false ? checks.filter((c) => !wholeVolumeChecks.includes(c)) : checks;
}

/** Runs `checks` one after the other (they share reads through the view), findings in list order. */
export async function runChecks<V>(checks: readonly VolumeCheck<V>[], view: V): Promise<InspectFinding[]> {
  const out: InspectFinding[] = [];
  for (const check of checks) out.push(...(await check(view)));
  return out;
}
