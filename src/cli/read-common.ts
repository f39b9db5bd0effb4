// What ls, cat and get share: the DISK:/PATH argument, opening the disk's volume, the stream suffix of a path, and
// an entry as JSON.
import { GuestdiskError } from '../errors.js';
import { openDiskVolume, type DiskVolume } from '../read/open-volume.js';
import type { Entry, VolumeReader } from '../read/types.js';
import type { BlockTarget } from '../target/block-target.js';
import { openForInspect } from './inspect.js';

export interface VolumeOptions { partition?: string; sectorSize?: string }

/** "DISK:/PATH" → the disk and the volume path: split at the first ":/" (a disk path never contains one). "DISK"
 *  alone is the root. */
export function splitDiskPath(arg: string, needPath: boolean): { disk: string; path: string } {
  const at = arg.indexOf(':/');
  if (at < 0) {
    if (needPath) throw new GuestdiskError('INVALID_SPEC', `${JSON.stringify(arg)}: give DISK:/PATH (e.g. disk.img:/dir/file.txt)`, { argument: arg });
    return { disk: arg, path: '/' };
  }
  if (at === 0) throw new GuestdiskError('INVALID_SPEC', `${JSON.stringify(arg)}: the disk is missing before ":/"`, { argument: arg });
  return { disk: arg.slice(0, at), path: arg.slice(at + 1) };
}

function parsePartition(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(value)) throw new GuestdiskError('INVALID_SPEC', `--partition must be a partition number (1, 2, …), got ${JSON.stringify(value)}`, { partition: value });
  return Number(value);
}

export interface OpenedVolume extends DiskVolume {
  readonly target: BlockTarget;
}

/** Opens the disk read-only and the volume on it; the caller closes `target`. */
export async function openVolumeForRead(disk: string, options: VolumeOptions): Promise<OpenedVolume> {
  const partition = parsePartition(options.partition);
  const opened = await openForInspect(disk, options.sectorSize);
  try {
    return { ...(await openDiskVolume(opened.target, partition === undefined ? {} : { partition })), target: opened.target };
  } catch (e) {
    await opened.target.close();
    throw e;
  }
}

/**
 * The file and stream a path names. `--stream NAME` is explicit; otherwise a last component "name:stream" (or
 * "name:stream:$DATA", Windows' full form) names a stream of "name" — unless an entry with the whole name exists
 * (NTFS Win32 names cannot hold ":", POSIX-namespace ones can).
 */
export async function resolveStreamPath(reader: VolumeReader, path: string, stream: string | undefined): Promise<{ path: string; stream: string }> {
  if (stream !== undefined) return { path, stream };
  const slash = path.lastIndexOf('/');
  const last = path.slice(slash + 1);
  const colon = last.indexOf(':');
  if (colon < 0) return { path, stream: '' };
  try {
    await reader.stat(path);
    return { path, stream: '' };
  } catch (e) {
    if (!(e instanceof GuestdiskError) || e.code !== 'PATH_NOT_FOUND') throw e;
  }
  let name = last.slice(colon + 1);
  if (name.endsWith(':$DATA')) name = name.slice(0, -':$DATA'.length);
  return { path: path.slice(0, slash + 1) + last.slice(0, colon), stream: name };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** One entry of `ls --json` (schema in docs/read.md). */
export function entryJson(path: string, e: Entry): Record<string, unknown> {
  return {
    path,
    name: e.name,
    kind: e.kind,
    sizeBytes: e.sizeBytes,
    allocatedBytes: e.allocatedBytes,
    modified: iso(e.times.modifiedMs),
    created: iso(e.times.createdMs),
    accessed: iso(e.times.accessedMs),
    changed: iso(e.times.changedMs),
    attributes: e.attributes,
    linkTarget: e.linkTarget,
    reparseTag: e.reparseTag,
    streams: e.streams,
    id: e.id,
    links: e.links,
  };
}

/** Names in UTF-16 code unit order: what `ls` shows, stable across filesystems and runs. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
