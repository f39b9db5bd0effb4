// Classifies the disk an interrupted run left, with tools we did not write (docs/reliability.md):
//   (a) unchanged           — byte for byte the disk before the run;
//   (b) not recognised      — no tool sees a partition table, or no filesystem sits in any partition a tool sees;
//   (c) complete            — a table a tool sees, holding the filesystem the run was making, and its checker passes.
// Anything else is a LIE: a tool sees a table and a filesystem in it, and the checker fails (or it is not the
// filesystem the run was making). A lie is what the reliability tests must never find.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Layout } from '../../src/plan/layout.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { MEMORY_CHUNK_BYTES } from './fault-target.js';
import { attachLoopDevice, mustRun, runTool, type RunResult } from './tools.js';

export type FsExpectation = 'none' | 'ntfs' | 'exfat' | 'fat32';
/** `old-intact`: the filesystem the disk held before the run, still passing its checker (the run had not yet
 *  committed anything that hides it): the user's old data, not a lie. */
export type DiskClass = 'unchanged' | 'old-intact' | 'no-table' | 'no-filesystem' | 'complete' | 'lie';

export interface Classification {
  readonly klass: DiskClass;
  /** What the tools said, for the assertion message. */
  readonly evidence: string;
}

export interface ClassifyInput {
  /** An image file or a block device (for a file with 4096-byte sectors a read-only loop device is attached). */
  readonly path: string;
  readonly logicalSectorSize: 512 | 4096;
  /** The filesystem the run was making. */
  readonly fs: FsExpectation;
  /** Where our planner puts partition 1 (probed even when only one tool sees a table). */
  readonly expectedPartition: { readonly offsetBytes: number; readonly sizeBytes: number };
  /** The filesystem the disk held before the run, if any. */
  readonly oldFs?: FsExpectation;
  /** blkid's UUID of the volume the run makes (`uuidOf(layout)`): a valid volume with another UUID is not it. */
  readonly expectedUuid?: string;
  /** blkid's UUID of the volume the disk held before, if any. */
  readonly oldUuid?: string;
}

/** The UUID blkid reports for a Layout's filesystem (NTFS: the 64-bit serial; exFAT/FAT: XXXX-XXXX). */
export function uuidOf(layout: Layout): string | undefined {
  const fs = layout.filesystem as { kind: string; serial?: string; volumeSerialNumber?: number; volId?: number } | null;
  if (!fs) return undefined;
  if (fs.kind === 'ntfs' && fs.serial) return fs.serial.toUpperCase();
  const n = fs.kind === 'exfat' ? fs.volumeSerialNumber : fs.volId;
  if (n === undefined) return undefined;
  const hex = n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}

const TOOL_TIMEOUT_MS = 60_000; // a hung FUSE daemon elsewhere on the machine must not hang the suite silently

/** blkid's TYPE → the checker that judges it. */
const CHECKERS: Record<string, { fs: FsExpectation; tool: string; args: string[] }> = {
  ntfs: { fs: 'ntfs', tool: 'ntfsfix', args: ['-n'] },
  exfat: { fs: 'exfat', tool: 'fsck.exfat', args: ['-n'] },
  vfat: { fs: 'fat32', tool: 'fsck.fat', args: ['-n'] },
};

function run(name: string, args: readonly string[]): RunResult {
  return runTool(name, args, { timeoutMs: TOOL_TIMEOUT_MS });
}

function exportTags(stdout: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) tags[line.slice(0, i)] = line.slice(i + 1);
  }
  return tags;
}

interface SeenPartition { offsetBytes: number; sizeBytes: number; by: string }

/** Every partition any of blkid, sfdisk, sgdisk sees; empty when none sees a table. */
function seenPartitions(device: string, s: number, expected: ClassifyInput['expectedPartition']): { parts: SeenPartition[]; evidence: string[] } {
  const evidence: string[] = [];
  const parts: SeenPartition[] = [];
  const blkid = exportTags(run('blkid', ['-p', '-o', 'export', device]).stdout);
  if (blkid.PTTYPE) {
    evidence.push(`blkid PTTYPE=${blkid.PTTYPE}`);
    parts.push({ ...expected, by: 'blkid' });
  }
  const sfdisk = run('sfdisk', ['-J', device]);
  if (sfdisk.status === 0 && sfdisk.stdout.trim()) {
    const pt = (JSON.parse(sfdisk.stdout) as { partitiontable: { label: string; partitions?: { start: number; size: number }[] } }).partitiontable;
    evidence.push(`sfdisk ${pt.label}: ${(pt.partitions ?? []).map((p) => `${p.start}+${p.size}`).join(', ') || 'no partitions'}`);
    for (const p of pt.partitions ?? []) parts.push({ offsetBytes: p.start * s, sizeBytes: p.size * s, by: 'sfdisk' });
  }
  // sgdisk -p recovers a GPT from its backup, and reads a GPT without a protective MBR: the most lenient reader.
  const sgdisk = run('sgdisk', ['-p', device]);
  const rows = [...sgdisk.stdout.matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s/gm)];
  if (rows.length > 0) {
    evidence.push(`sgdisk: ${rows.map((r) => `${r[2]}-${r[3]}`).join(', ')}`);
    for (const r of rows) parts.push({ offsetBytes: Number(r[2]) * s, sizeBytes: (Number(r[3]) - Number(r[2]) + 1) * s, by: 'sgdisk' });
  }
  const unique = new Map<string, SeenPartition>();
  for (const p of parts) {
    const key = `${p.offsetBytes}+${p.sizeBytes}`;
    const had = unique.get(key);
    unique.set(key, had ? { ...had, by: `${had.by},${p.by}` } : p);
  }
  return { parts: [...unique.values()], evidence };
}

/** Runs `fn` on a read-only loop device over `[offsetBytes, +sizeBytes)` of `path`. */
function withLoop<T>(path: string, options: { sectorSize?: number; offsetBytes?: number; sizeBytes?: number }, fn: (device: string) => T): T {
  const args = ['-r'];
  if (options.sectorSize) args.push('-b', String(options.sectorSize));
  if (options.offsetBytes) args.push('-o', String(options.offsetBytes));
  if (options.sizeBytes) args.push('--sizelimit', String(options.sizeBytes));
  const device = attachLoopDevice([...args, path], { timeoutMs: TOOL_TIMEOUT_MS });
  try {
    return fn(device);
  } finally {
    mustRun('losetup', ['-d', device], { timeoutMs: TOOL_TIMEOUT_MS });
  }
}

function isBlockDevice(path: string): boolean {
  return path.startsWith('/dev/');
}

/** (b), (c) or lie for a disk on a file or device. (a) needs the before-state: see `classifyAgainst`. */
export function classifyDisk(input: ClassifyInput): Classification {
  const { path, logicalSectorSize: s } = input;
  const probe = (device: string): Classification => {
    const { parts, evidence } = seenPartitions(device, s, input.expectedPartition);
    if (parts.length === 0) return { klass: 'no-table', evidence: 'no tool sees a partition table' };
    const found: string[] = [];
    let complete = false;
    for (const p of parts) {
      const tags = exportTags(run('blkid', ['-p', '-o', 'export', '-O', String(p.offsetBytes), '-S', String(p.sizeBytes), device]).stdout);
      if (!tags.TYPE) continue;
      const checker = CHECKERS[tags.TYPE];
      const where = `partition ${p.offsetBytes}+${p.sizeBytes} (seen by ${p.by})`;
      if (!checker) return { klass: 'lie', evidence: `${evidence.join('; ')}; blkid finds ${tags.TYPE} in ${where}, which the run never writes` };
      const check = withLoop(device, { offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes }, (part) => run(checker.tool, [...checker.args, part]));
      if (check.status !== 0) {
        return { klass: 'lie', evidence: `${evidence.join('; ')}; blkid finds ${tags.TYPE} in ${where} but ${checker.tool} exits ${check.status}: ${(check.stdout + check.stderr).trim().split('\n').slice(-4).join(' | ')}` };
      }
      const isOld = checker.fs === input.oldFs && (input.oldUuid === undefined || tags.UUID === input.oldUuid);
      if (isOld && (checker.fs !== input.fs || (input.expectedUuid !== undefined && tags.UUID !== input.expectedUuid))) {
        return { klass: 'old-intact', evidence: `${evidence.join('; ')}; the old ${tags.TYPE} in ${where} still passes ${checker.tool}` };
      }
      if (checker.fs !== input.fs) return { klass: 'lie', evidence: `${evidence.join('; ')}; a valid ${tags.TYPE} in ${where}, but the run was making ${input.fs}` };
      if (input.expectedUuid !== undefined && tags.UUID !== input.expectedUuid) {
        return { klass: 'lie', evidence: `${evidence.join('; ')}; a valid ${tags.TYPE} in ${where} with UUID ${tags.UUID}, but the run makes ${input.expectedUuid}` };
      }
      found.push(`${tags.TYPE} in ${where} passes ${checker.tool}`);
      complete = true;
    }
    if (input.fs === 'none') return { klass: 'complete', evidence: `${evidence.join('; ')}; no filesystem in any partition` };
    return complete
      ? { klass: 'complete', evidence: `${evidence.join('; ')}; ${found.join('; ')}` }
      : { klass: 'no-filesystem', evidence: `${evidence.join('; ')}; blkid finds no filesystem in any partition` };
  };
  // Tools read a file as 512-byte sectors; a 4Kn image is seen through a loop device with 4096-byte sectors.
  if (!isBlockDevice(path) && s === 4096) return withLoop(path, { sectorSize: 4096 }, probe);
  return probe(path);
}

/** (a) when the disk is byte for byte what it was, else `classifyDisk`. */
export function classifyAgainst(input: ClassifyInput, beforeSha256: string, nowSha256: string): Classification {
  if (beforeSha256 === nowSha256) return { klass: 'unchanged', evidence: 'same sha256 as before the run' };
  return classifyDisk(input);
}

/** A content digest of a memory disk that ignores how it got there (all-zero chunks count as holes). */
export async function digestMemory(disk: MemoryTarget): Promise<string> {
  const hash = createHash('sha256');
  for (const at of disk.touchedChunks()) {
    const bytes = await disk.read(at, Math.min(MEMORY_CHUNK_BYTES, disk.sizeBytes - at));
    if (!bytes.some((b) => b !== 0)) continue;
    hash.update(String(at));
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/**
 * A writable loop device over a sparse file, onto which memory disks are copied one after another (only the
 * chunks that differ from the previous one), so each state of a sweep is judged by the tools as a real disk with
 * the right sector size. Results are cached by content digest: many fault points leave the same disk.
 */
export class DiskStage {
  readonly device: string;
  private readonly fd: number;
  private shown = new Map<number, string>(); // chunk offset → sha256 of what the device holds there (absent: zeros)
  private readonly cache = new Map<string, Classification>();

  constructor(backingFile: string, readonly sizeBytes: number, readonly logicalSectorSize: 512 | 4096) {
    mustRun('truncate', ['-s', String(sizeBytes), backingFile]);
    this.device = attachLoopDevice(['-b', String(logicalSectorSize), backingFile], { timeoutMs: TOOL_TIMEOUT_MS });
    this.fd = openSync(this.device, 'r+');
  }

  /** Puts `disk`'s content on the device. */
  async show(disk: MemoryTarget): Promise<void> {
    const next = new Map<number, string>();
    const bytesAt = new Map<number, Uint8Array>();
    for (const at of disk.touchedChunks()) {
      const bytes = await disk.read(at, Math.min(MEMORY_CHUNK_BYTES, disk.sizeBytes - at));
      if (!bytes.some((b) => b !== 0)) continue;
      next.set(at, createHash('sha256').update(bytes).digest('hex'));
      bytesAt.set(at, bytes);
    }
    let wrote = false;
    for (const at of new Set([...this.shown.keys(), ...next.keys()])) {
      if (this.shown.get(at) === next.get(at)) continue;
      const bytes = bytesAt.get(at) ?? new Uint8Array(Math.min(MEMORY_CHUNK_BYTES, this.sizeBytes - at));
      writeSync(this.fd, bytes, 0, bytes.length, at);
      wrote = true;
    }
    if (wrote) fsyncSync(this.fd);
    this.shown = next;
  }

  /** Classifies `disk` (a) against `beforeDigest`, else through the tools; cached by content. */
  async classify(disk: MemoryTarget, beforeDigest: string, expect: Omit<ClassifyInput, 'path' | 'logicalSectorSize'>): Promise<Classification> {
    const digest = await digestMemory(disk);
    if (digest === beforeDigest) return { klass: 'unchanged', evidence: 'same content as before the run' };
    const key = `${digest}/${expect.fs}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    await this.show(disk);
    const result = classifyDisk({ ...expect, path: this.device, logicalSectorSize: this.logicalSectorSize });
    this.cache.set(key, result);
    return result;
  }

  close(): void {
    closeSync(this.fd);
    mustRun('losetup', ['-d', this.device], { timeoutMs: TOOL_TIMEOUT_MS });
  }
}
