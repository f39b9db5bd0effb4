// create --copy-from: reading the sources, sizing the disk from its content (--size +HEADROOM), and what --dry-run
// shows of the copy. The checks themselves live in the planners; the streaming in source/ and write/.
import { GuestdiskError } from '../errors.js';
import type { Geometry, Layout } from '../plan/layout.js';
import { planDisk } from '../plan/plan-disk.js';
import { copySpaceOf } from '../plan/copy-space.js';
import { parseSize, type DiskSpec } from '../plan/spec.js';
import { loadCopySources, parseCopyFrom, parseSymlinkPolicy, type LoadedSources } from '../source/copy-from.js';
import { formatBytes } from './render.js';

const MIB = 1024 * 1024;
/** Rounds of --size +HEADROOM sizing before giving up (each grows the disk by what the last one lacked). */
const MAX_SIZING_ROUNDS = 40;

export interface CopyOptions {
  copyFrom?: string[];
  symlinks?: string;
}

export async function loadCopyFrom(options: CopyOptions, timestamp: number): Promise<LoadedSources | null> {
  const list = options.copyFrom ?? [];
  if (list.length === 0) {
    if (options.symlinks !== undefined) throw new GuestdiskError('INVALID_SPEC', '--symlinks needs --copy-from');
    return null;
  }
  const symlinks = parseSymlinkPolicy(options.symlinks ?? 'follow');
  return loadCopySources(list.map(parseCopyFrom), { timestamp, symlinks });
}

/** "+512M": the disk is sized from its content (see contentSizedDisk); null for an ordinary size. */
export function parseHeadroom(size: string | undefined): number | null {
  if (size === undefined || !size.trim().startsWith('+')) return null;
  const rest = size.trim().slice(1);
  return rest === '' || /^0+$/.test(rest) ? 0 : parseSize(rest, 'size headroom');
}

/**
 * --size +HEADROOM: the smallest disk, in whole units of `unitBytes` (a MiB for an image file; with --lvm, the
 * least common multiple of a MiB and the volume group's extent size), whose volume holds the copied tree and still
 * has HEADROOM free. The planner decides cluster size and overhead from the disk's size, so this plans, measures
 * what is free, and grows the disk by what is missing until it fits (a few rounds).
 */
export function contentSizedDisk(spec: DiskSpec, headroomBytes: number, logicalSectorSize: 512 | 4096, unitBytes = MIB): number {
  const roundUp = (bytes: number): number => Math.ceil(bytes / unitBytes) * unitBytes;
  const lowest = roundUp(copySpaceOfSpec(spec) + headroomBytes);
  const fits = (size: number): { ok: boolean; grow: number } => {
    const geometry: Geometry = { sizeBytes: size, logicalSectorSize, physicalSectorSize: logicalSectorSize };
    try {
      const space = copySpaceOf(planDisk(spec, geometry).filesystem);
      const free = space?.freeBytes ?? Infinity;
      return { ok: free >= headroomBytes, grow: headroomBytes - free };
    } catch (e) {
      if (!(e instanceof GuestdiskError) || e.code !== 'TARGET_TOO_SMALL') throw e;
      const d = e.details as Record<string, unknown>;
      const floor = typeof d.minVolumeBytes === 'number' ? d.minVolumeBytes : typeof d.minimumBytes === 'number' ? d.minimumBytes : 0;
      return { ok: false, grow: Math.max(typeof d.missingBytes === 'number' ? d.missingBytes : 0, floor - size + 2 * MIB, size / 8) };
    }
  };
  // Grow until it fits (each round adds what the last one lacked), then search back down for the smallest whole
  // unit that still fits: cluster size and overhead change with the size, so the first fit may be generous.
  let size = lowest;
  let round = 0;
  for (let r = fits(size); !r.ok; r = fits(size)) {
    if (++round > MAX_SIZING_ROUNDS) {
      throw new GuestdiskError('INVALID_SPEC', `--size +${headroomBytes}: could not find a disk size that holds the content and the headroom; give --size explicitly`);
    }
    size = roundUp(size + Math.max(r.grow, unitBytes));
  }
  let low = lowest; // may not fit
  while (size - low > unitBytes) {
    const mid = roundUp(low + (size - low) / 2);
    if (mid >= size) break;
    if (fits(mid).ok) size = mid;
    else low = mid;
  }
  if (low < size && fits(low).ok) size = low;
  return size;
}

function copySpaceOfSpec(spec: DiskSpec): number {
  let total = 0;
  const stack = spec.files ? [spec.files.root] : [];
  while (stack.length > 0) {
    for (const node of stack.pop()!.entries) {
      if (node.kind === 'dir') stack.push(node);
      else total += node.sizeBytes;
    }
  }
  return total;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The unit a content-sized LV is made of: whole MiB (as every guestdisk disk) and whole extents. */
export function lvSizeUnit(extentBytes: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return (MIB / gcd(MIB, extentBytes)) * extentBytes;
}

/** The copy's lines for --dry-run and the summary: what is copied, the space it takes, the space left. */
export function renderCopy(layout: Layout, loaded: LoadedSources, sources: readonly string[]): string {
  const space = copySpaceOf(layout.filesystem);
  if (!space) return '';
  const lines = [
    `copy       ${plural(space.fileCount, 'file')} (${formatBytes(space.totalBytes)}), ${plural(space.dirCount, 'directory', 'directories')} from ${sources.join(', ')}`,
    `space      ${formatBytes(space.usedBytes)} used (metadata and ${space.clusterSize}-byte clusters included), ${formatBytes(space.freeBytes)} left`,
  ];
  for (const w of loaded.tree.warnings) lines.push(`warning    ${w}`);
  return lines.join('\n');
}

/** The copy in --json output: counts and space, not the whole tree (which the Layout carries). */
export function copyJson(layout: Layout, loaded: LoadedSources): Record<string, unknown> | null {
  const space = copySpaceOf(layout.filesystem);
  return space ? { ...space, warnings: loaded.tree.warnings } : null;
}
