import type { TreeProblem } from '../disk-types.js';

// What every source needs to know to describe its tree, and the problems it reports back. Problems are collected,
// never thrown one by one: `create` refuses the whole copy with one error that lists every offender.

/**
 * What a symbolic link in the source becomes. Windows cannot use a Linux symlink on FAT32 or exFAT, and a disk
 * handed to a VM is read for its content, so by default a link is followed and its target's content copied (as
 * `cp -L`, mcopy and 7-Zip's extraction on Windows do); `skip` leaves it out with a warning. Links that lead
 * nowhere, or in a circle, are problems either way when followed.
 */
export type SymlinkPolicy = 'follow' | 'skip';
export const SYMLINK_POLICIES: readonly SymlinkPolicy[] = ['follow', 'skip'];

export interface SourceOptions {
  /** Index of this source in the --copy-from list (ContentRef.source). */
  readonly sourceIndex: number;
  /** Unix seconds: later modification times are clamped to it (the reproducible-builds SOURCE_DATE_EPOCH rule). */
  readonly timestamp: number;
  readonly symlinks: SymlinkPolicy;
}

/** A path inside the source ('/' separated, from its root) and what is wrong with it. */
export type SourceProblem = TreeProblem;

/** Whole Unix seconds of a time in milliseconds, clamped to the spec's timestamp. */
export function clampMtime(mtimeMs: number, timestamp: number): number {
  return Math.min(Math.floor(mtimeMs / 1000), timestamp);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A name from the source's bytes; null when they are not UTF-8 (Windows names are Unicode: we do not guess). */
export function decodeName(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Bytes shown safely in a message: printable ASCII as is, the rest as \xNN. */
export function showBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}
