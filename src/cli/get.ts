// `guestdisk get DISK:/PATH DEST [--force] [--json] [--partition N]`: copies a file or a whole tree out of a volume,
// read-only, like `cp -r`: into DEST when DEST is an existing directory, else as DEST. Modification and access times
// are kept, and the read-only attribute becomes a file mode without write permission. What the host cannot hold is
// reported and left out, never renamed: names with "/" or NUL, "." and "..", names over 255 bytes, unpaired UTF-16
// surrogates. Links (symlinks, junctions) are listed, not followed; NTFS alternate streams are listed, not copied
// (`cat --stream` reads them). Exit 1 when anything was left out for a reason other than being a link or a stream.
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../errors.js';
import { findLoneSurrogate } from '../binary/utf16.js';
import type { Entry, VolumeReader } from '../read/types.js';
import type { CliIo } from './io.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { childPath, compareNames, openVolumeForRead, resolveStreamPath, splitDiskPath, type VolumeOptions } from './read-common.js';

export interface GetOptions extends VolumeOptions { force?: boolean; json?: boolean; stream?: string }

export const GET_SCHEMA = 'guestdisk.get/1';
/** Linux NAME_MAX, in bytes of the UTF-8 name. */
const HOST_NAME_MAX_BYTES = 255;

interface GetReport {
  files: number;
  directories: number;
  bytes: number;
  skipped: { path: string; reason: string }[];
  links: { path: string; kind: string; target: string | null }[];
  streams: { path: string; stream: string; sizeBytes: number }[];
}

/** Why the host cannot store `name` as it is, or null. */
export function unstorableName(name: string): string | null {
  if (name === '' || name === '.' || name === '..') return `the name ${JSON.stringify(name)} is reserved on the host`;
  if (name.includes('/')) return 'the name contains "/"';
  if (name.includes('\0')) return 'the name contains NUL';
  if (findLoneSurrogate(name) >= 0) return 'the name holds an unpaired UTF-16 surrogate (not valid Unicode)';
  if (new TextEncoder().encode(name).length > HOST_NAME_MAX_BYTES) return `the name is longer than ${HOST_NAME_MAX_BYTES} bytes in UTF-8`;
  return null;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function runGet(arg: string, dest: string, options: GetOptions, io: CliIo): Promise<number> {
  const { disk, path } = splitDiskPath(arg, true);
  const opened = await openVolumeForRead(disk, options);
  const report: GetReport = { files: 0, directories: 0, bytes: 0, skipped: [], links: [], streams: [] };
  try {
    const reader = opened.reader;
    const where = await resolveStreamPath(reader, path, options.stream);
    const top = await reader.stat(where.path);
    const shown = where.path === '' ? '/' : where.path;
    const into = (await isDirectory(dest)) && top.name !== '' ? join(dest, where.stream ? `${top.name}:${where.stream}` : top.name) : dest;
    if (where.stream) {
      await copyFile(reader, shown, top, into, options, report, where.stream);
    } else if (top.kind === 'directory') {
      await copyTree(reader, shown, top, into, options, report);
    } else {
      await copyEntry(reader, shown, top, into, options, report);
    }
    if (options.json) {
      io.stdout(JSON.stringify({ schema: GET_SCHEMA, source: shown, destination: into, ...report, warnings: reader.warnings }, null, 2));
    } else {
      io.stdout(`copied ${report.files} file(s), ${report.directories} director${report.directories === 1 ? 'y' : 'ies'}, ${report.bytes} bytes to ${into}`);
      for (const s of report.skipped) io.stderr(`guestdisk: not copied: ${s.path}: ${s.reason}`);
      for (const l of report.links) io.stderr(`guestdisk: not followed: ${l.path} is a ${l.kind} to ${JSON.stringify(l.target)}`);
      for (const s of report.streams) io.stderr(`guestdisk: stream not copied: ${s.path}:${s.stream} (${s.sizeBytes} bytes; read it with cat --stream)`);
      for (const w of reader.warnings) io.stderr(`guestdisk: warning: ${w.code}: ${w.message}`);
    }
    return report.skipped.length > 0 ? EXIT_FINDINGS : EXIT_OK;
  } finally {
    await opened.target.close();
  }
}

async function copyEntry(reader: VolumeReader, path: string, e: Entry, dest: string, options: GetOptions, report: GetReport): Promise<void> {
  if (e.kind === 'directory') return copyTree(reader, path, e, dest, options, report);
  if (e.kind === 'file') return copyFile(reader, path, e, dest, options, report, '');
  report.links.push({ path, kind: e.kind, target: e.linkTarget });
}

async function copyTree(reader: VolumeReader, path: string, e: Entry, dest: string, options: GetOptions, report: GetReport): Promise<void> {
  try {
    await fsp.mkdir(dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await isDirectory(dest))) throw hostError(err, dest);
  }
  report.directories++;
  // One directory's entries at a time, sorted so runs are repeatable.
  const entries: Entry[] = [];
  for await (const child of reader.list(path)) entries.push(child);
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const child of entries) {
    const childSource = childPath(path, child.name);
    const why = unstorableName(child.name);
    if (why) {
      report.skipped.push({ path: childSource, reason: why });
      continue;
    }
    await copyEntry(reader, childSource, child, join(dest, child.name), options, report);
  }
  await setTimes(dest, e);
}

async function copyFile(reader: VolumeReader, path: string, e: Entry, dest: string, options: GetOptions, report: GetReport, stream: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (options.force ? constants.O_TRUNC : constants.O_EXCL);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(dest, flags, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GuestdiskError('TARGET_HAS_DATA', `${dest} exists: give --force to overwrite it`, { path: dest });
    }
    throw hostError(err, dest);
  }
  try {
    // All-zero pieces (sparse runs, mostly) are skipped and become holes; the size is set at the end. Each piece
    // is written (one write of up to 1 MiB) before the next is read into the same buffer.
    let at = 0;
    for await (const piece of reader.read(path, { stream, reuseBuffer: true })) {
      if (!isZero(piece)) await handle.write(piece, 0, piece.length, at);
      at += piece.length;
    }
    await handle.truncate(at);
    report.bytes += at;
  } finally {
    await handle.close();
  }
  report.files++;
  if (!stream) for (const s of e.streams) report.streams.push({ path, stream: s.name, sizeBytes: s.sizeBytes });
  await setTimes(dest, e);
  if (e.attributes.readOnly) await fsp.chmod(dest, 0o444);
}

async function setTimes(dest: string, e: Entry): Promise<void> {
  const mtime = e.times.modifiedMs / 1000;
  await fsp.utimes(dest, (e.times.accessedMs ?? e.times.modifiedMs) / 1000, mtime);
}

function hostError(err: unknown, path: string): GuestdiskError {
  return new GuestdiskError('IO_FAILED', `cannot write ${path}: ${(err as Error).message}`, { path }, { cause: err });
}

/** Four bytes at a time where the piece is aligned (it is: a view of the reader's buffer from its start). */
function isZero(bytes: Uint8Array): boolean {
  const wordCount = bytes.byteOffset % 4 === 0 ? bytes.length >> 2 : 0;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, wordCount);
  for (let i = 0; i < wordCount; i++) if (words[i] !== 0) return false;
  for (let i = wordCount * 4; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
