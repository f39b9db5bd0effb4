// What a stopped `create` left on the disk, said so that the user knows what to do next. The write order
// (plan/plan-disk.ts planSteps) makes three states possible: nothing written, written but without a partition
// table (the MBR, the commit record, not yet there), complete.
import { GuestdiskError } from '../errors.js';

/**
 * unchanged: nothing was written; incomplete-no-table: some structures were written, the partition table was not,
 * so no tool sees a disk; complete: every structure, the table last; removed: the image file this run created was
 * deleted again.
 */
export type DiskState = 'unchanged' | 'incomplete-no-table' | 'complete' | 'removed';

export interface StoppedRun {
  readonly path: string;
  readonly wroteAny: boolean;
  readonly mbrWritten: boolean;
  readonly flushed: boolean;
  /** The run created the image file. */
  readonly createdFile: boolean;
  /** The file this run created was removed again. */
  readonly removed: boolean;
  /** The run's failure was "no space left" on the filesystem holding the image. */
  readonly noSpace: boolean;
}

export function diskStateOf(run: StoppedRun): DiskState {
  if (run.removed) return 'removed';
  if (!run.wroteAny) return 'unchanged';
  return run.mbrWritten ? 'complete' : 'incomplete-no-table';
}

/** One sentence: what the disk is now, and what to do. */
export function describeStoppedRun(run: StoppedRun): string {
  if (run.removed) {
    const advice = run.noSpace
      ? 'free space on the filesystem that holds it (or choose a directory on another filesystem), then run the same command again'
      : 'run the same command again';
    return `The new image ${run.path} was removed (it held nothing yet): ${advice}`;
  }
  if (!run.wroteAny) return run.createdFile ? 'Nothing was written (the new image is empty): run the command again' : 'Nothing was written: the disk is as it was';
  if (run.mbrWritten) {
    return run.flushed
      ? 'Every structure, the partition table last, was already written and is now flushed: the disk is complete (check it with guestdisk verify)'
      : 'Every structure was written but the final flush failed: run guestdisk verify, or the same command with --force';
  }
  return 'The disk was not finished and shows no partition table: run the same command with --force to redo it';
}

/** The error that stopped a run, with the disk's state added to its message and details. */
export function withDiskState(e: GuestdiskError, run: StoppedRun): GuestdiskError {
  return new GuestdiskError(e.code, `${e.message}. ${describeStoppedRun(run)}`, { ...e.details, diskState: diskStateOf(run) }, { cause: e });
}
