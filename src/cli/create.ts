// `guestdisk create`: parses the options and renders; the workflow itself (lock, in-use checks, refusing existing
// data, plan, write, what a stopped run left) is the library's createDisk (src/create/). The CLI adds what is not a
// disk: lvcreate before (host-steps.ts), virsh after, the progress line, and the words around errors.
import { randomBytes } from 'node:crypto';
import { GuestdiskError, quoted } from '../errors.js';
import { createDisk, findTargetData, planCreate, type CreateDiskResult, type StopSignal } from '../create/create-disk.js';
import { isExtentsSize } from '../host/lvm.js';
import type { Geometry, LogicalSectorSize } from '../disk-types.js';
import type { Layout } from '../plan/layout.js';
import { planDisk } from '../plan/plan-disk.js';
import { parseFsKind, parseSectorSize, parseSize, parseTableKind, parseTimestamp, type DiskSpec } from '../plan/spec.js';
import type { PartitionReread } from '../target/block-device.js';
import type { TargetKind } from '../target/open-target.js';
import type { NextWrite } from '../write/write-chunks.js';
import type { WriteResult } from '../write/write-disk.js';
import { formatBytes, renderLayout } from './render.js';
import { writeJson } from './json-output.js';
import type { CliIo } from './io.js';
import { attachAfterCreate, checkHostOptions, libvirtDomainDisks, lvExtentBytes, prepareLvm, type HostOptions } from './host-steps.js';
import type { LoadedSources } from '../source/copy-from.js';
import { contentSizedDisk, copyJson, loadCopyFrom, lvSizeUnit, parseHeadroom, renderCopy } from './copy-from.js';

export type { CliIo }; // its home is io.ts; re-exported for callers that import it from here

/** `create`'s options as commander hands them over; the LVM/libvirt ones are host-steps.ts's HostOptions. */
export interface CreateOptions extends HostOptions {
  size?: string;
  table: string;
  fs: string;
  label?: string;
  sectorSize?: string;
  clusterSize?: string;
  partitionName?: string;
  seed?: string;
  timestamp?: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  exfatVolumeGuid?: boolean;
  /** --copy-from SRC[:/DEST], repeatable; --symlinks follow|skip (cli/copy-from.ts). */
  copyFrom?: string[];
  symlinks?: string;
  maxSize?: string;
}

function pickSeed(options: CreateOptions): string {
  if (options.seed !== undefined) {
    if (options.seed === '') throw new GuestdiskError('INVALID_SPEC', '--seed must not be empty');
    return options.seed;
  }
  return randomSeed();
}

/** 16 random bytes as hex: the seed a run draws when none is given (printed, so the run can be repeated). */
function randomSeed(): string {
  return randomBytes(16).toString('hex');
}

function pickTimestamp(options: CreateOptions, io: CliIo): number {
  if (options.timestamp !== undefined) return parseTimestamp(options.timestamp);
  const sde = io.env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && sde !== '') return parseTimestamp(sde, 'SOURCE_DATE_EPOCH');
  return Math.floor(io.now() / 1000);
}

/** Spec fields from the options: parsing only, no I/O. */
function specFrom(options: CreateOptions, timestamp: number, copy: LoadedSources | null): DiskSpec {
  if (options.partitionName !== undefined && parseTableKind(options.table) === 'mbr') {
    throw new GuestdiskError('INVALID_SPEC', '--partition-name names a GPT partition; an MBR has no partition names (drop it, or use --table gpt)', { table: 'mbr' });
  }
  return {
    table: parseTableKind(options.table),
    fs: parseFsKind(options.fs),
    label: options.label,
    clusterSize: options.clusterSize !== undefined ? parseSize(options.clusterSize, 'cluster size') : undefined,
    partitionName: options.partitionName,
    seed: pickSeed(options),
    timestamp,
    ...(options.exfatVolumeGuid ? { exfatVolumeGuid: true } : {}),
    ...(copy ? { files: copy.tree } : {}),
    ...(options.maxSize !== undefined ? { maxSize: parseSize(options.maxSize, '--max-size') } : {}),
  };
}

/** The CLI's signal handler as the library's stop signal. */
function stopSignalOf(io: CliIo): StopSignal {
  return {
    get aborted() {
      return io.interrupted() !== null;
    },
    get reason() {
      return io.interrupted() ?? undefined;
    },
  };
}

export async function runCreate(targetArg: string | undefined, options: CreateOptions, io: CliIo): Promise<number> {
  if (options.lvm !== undefined && targetArg !== undefined) {
    throw new GuestdiskError('INVALID_SPEC', 'give either TARGET or --lvm VG/LV, not both');
  }
  if (options.lvm === undefined && targetArg === undefined) {
    throw new GuestdiskError('INVALID_SPEC', 'missing TARGET (an image file or block device), or --lvm VG/LV');
  }
  if (options.dryRun && options.lvm !== undefined) {
    throw new GuestdiskError('INVALID_SPEC', '--dry-run with --lvm: plan against the volume after creating it (guestdisk create /dev/VG/LV --dry-run)');
  }
  checkHostOptions(options, io); // --lvm/--size/--bus/--target-dev/--cache/virsh are checked before anything is written
  // The sources are read (and their names checked) before anything is created, an LV included.
  const timestamp = pickTimestamp(options, io);
  const copy = await loadCopyFrom(options, timestamp);
  const headroom = parseHeadroom(options.size);
  if (headroom !== null && !copy) {
    throw new GuestdiskError('INVALID_SPEC', '--size +HEADROOM sizes the disk from --copy-from content: give --copy-from, or a size');
  }
  const spec = specFrom(options, timestamp, copy);
  const sectorSize = options.sectorSize !== undefined ? parseSectorSize(options.sectorSize) : undefined;
  // --size +HEADROOM: an image in whole MiB; a new LV in whole MiB and whole extents, the size lvcreate is given.
  const unitBytes = headroom !== null && options.lvm !== undefined ? lvSizeUnit(await lvExtentBytes(options, io)) : undefined;
  const contentSized = headroom !== null ? contentSizedDisk(spec, headroom, sectorSize ?? 512, unitBytes) : null;
  const sizeBytes = options.lvm !== undefined ? undefined : contentSized ?? (options.size !== undefined ? parseSize(options.size) : undefined);
  // --lvm: plan with the size asked for before lvcreate, so a bad spec leaves no volume behind.
  if (options.lvm !== undefined) planDisk(spec, lvmPlanningGeometry(options, sectorSize, contentSized));
  const lv = options.lvm !== undefined ? await prepareLvm(options, io, contentSized) : null;
  const targetPath = targetArg ?? lv!.path;
  const request = { path: targetPath, sizeBytes, logicalSectorSize: sectorSize };

  if (options.dryRun) {
    const planned = await planCreate(spec, request);
    const found = await findTargetData(planned);
    const note = found.length > 0 ? `\nnote: ${targetPath} already holds data (${found.join('; ')}): the real run needs --force, which erases it` : '';
    if (options.json) await writeJson(io, { dryRun: true, target: targetPath, existingData: found, layout: planned.layout, ...(copy ? { copy: copyJson(planned.layout, copy) } : {}) });
    else io.stdout(`${renderLayout(planned.layout, targetPath)}${copy ? `\n${renderCopy(planned.layout, copy, options.copyFrom ?? [])}` : ''}\n(dry run: nothing written)${note}`);
    return 0;
  }

  let created: CreateDiskResult;
  // Made at the first write, when the disk's size is known.
  let progress: ReturnType<typeof makeProgress> | undefined;
  try {
    created = await createDisk(spec, request, {
      force: options.force ?? false,
      signal: stopSignalOf(io),
      onProgress: options.json ? undefined : (next, diskBytes) => (progress ??= makeProgress(io, diskBytes))?.update(next),
      domainDisks: libvirtDomainDisks(io),
      freshVolume: lv?.created ?? false,
      ...(copy ? { openContent: () => copy.openReader() } : {}),
    });
  } catch (e) {
    throw lv?.created && e instanceof GuestdiskError ? afterNewVolume(e, lv.name, targetPath, options, spec) : e;
  } finally {
    progress?.end();
  }
  if (created.erasedStaleData.length > 0) {
    io.stderr(`erased stale signatures from the new volume's freed extents: ${created.erasedStaleData.join('; ')}`);
  }
  if (options.attach !== undefined || options.printXml) {
    try {
      await attachAfterCreate(targetPath, created.kind, options, io);
    } catch (e) {
      throw e instanceof GuestdiskError ? afterCompleteDisk(e, targetPath, created.kind, options) : e;
    }
  }
  // The layout carries the copied tree, if any: its JSON goes out in pieces (json-output.ts).
  if (options.json) await writeJson(io, { target: targetPath, layout: created.layout, result: created.write, partitionReread: created.partitionReread, erasedStaleData: created.erasedStaleData });
  else io.stdout(summary(created.layout, targetPath, created.write, created.partitionReread));
  return 0;
}

/** The geometry --lvm plans with before lvcreate: the size asked for (extents such as 100%FREE: a 1 GiB stand-in,
 *  which still checks everything but the size), and --sector-size or 512. */
function lvmPlanningGeometry(options: CreateOptions, sectorSize: LogicalSectorSize | undefined, contentSized: number | null): Geometry {
  const size = contentSized ?? (options.size !== undefined && !isExtentsSize(options.size) ? parseSize(options.size) : 2 ** 30);
  const logicalSectorSize = sectorSize ?? 512;
  return { sizeBytes: size - (size % logicalSectorSize), logicalSectorSize, physicalSectorSize: logicalSectorSize };
}

/** A failure after lvcreate: say that the LV exists now, unformatted or not, and how to finish the job. */
function afterNewVolume(e: GuestdiskError, name: string, path: string, options: CreateOptions, spec: DiskSpec): GuestdiskError {
  const state = e.details.diskState;
  const what = state === 'complete' ? 'formatted' : state === 'incomplete-no-table' ? 'partly written (no partition table yet)' : 'unformatted';
  const finish = `guestdisk create ${path} --force${rerunFlags(options, spec)}`;
  return new GuestdiskError(e.code, `${e.message}. The logical volume ${name} (${path}) was created and exists now, ${what}: finish with ${finish} (or remove it: lvremove ${name})`, { ...e.details, lvm: name, lvPath: path, lvCreated: true, finish }, { cause: e });
}

/** A failure in a step after a complete write (attach): the disk itself is done. */
function afterCompleteDisk(e: GuestdiskError, path: string, kind: TargetKind, options: CreateOptions): GuestdiskError {
  const attach = options.attach !== undefined ? ` Attach it with: guestdisk attach ${path} ${quoted(options.attach)}${options.targetDev ? ` --target-dev ${options.targetDev}` : ''}${options.bus ? ` --bus ${options.bus}` : ''}${options.persistent ? ' --persistent' : ''}` : '';
  return new GuestdiskError(e.code, `${e.message}. The disk ${path} was written and is complete (${kind === 'file' ? 'image file' : 'block device'}; check it with guestdisk verify ${path}).${attach}`, { ...e.details, diskWritten: true, diskState: 'complete', path }, { cause: e });
}

/** The options that decide the disk's bytes, to repeat them in advice; the seed and time this run used (drawn
 *  when not given), so that the advice makes the same disk. */
function rerunFlags(options: CreateOptions, spec: DiskSpec): string {
  const flags: string[] = [];
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) flags.push(`${name} ${/^[\w.:/+-]+$/.test(value) ? value : quoted(value)}`);
  };
  add('--table', options.table);
  add('--fs', options.fs);
  add('--label', options.label);
  add('--cluster-size', options.clusterSize);
  add('--partition-name', options.partitionName);
  add('--max-size', options.maxSize);
  add('--seed', spec.seed);
  add('--timestamp', String(spec.timestamp));
  if (options.exfatVolumeGuid) flags.push('--exfat-volume-guid');
  return flags.length ? ` ${flags.join(' ')}` : '';
}

/** A progress line on a terminal for runs longer than a second: bytes sent, rate, position, ETA. */
export function makeProgress(io: CliIo, diskBytes: number): { update(next: NextWrite): void; end(): void } | null {
  const show = io.progress;
  if (!show) return null;
  const started = io.now();
  let bytes = 0;
  let furthest = 0;
  let lastShown = 0;
  let shown = false;
  return {
    update(next) {
      bytes += next.lengthBytes;
      furthest = Math.max(furthest, next.offsetBytes + next.lengthBytes);
      const now = io.now();
      if (now - started < 1000 || now - lastShown < 200) return;
      lastShown = now;
      shown = true;
      const seconds = (now - started) / 1000;
      const fraction = Math.min(1, furthest / diskBytes);
      const eta = fraction > 0 ? Math.max(0, seconds / fraction - seconds) : 0;
      show(`writing: ${formatBytes(bytes)} sent, ${formatBytes(Math.round(bytes / seconds))}/s, at ${(fraction * 100).toFixed(1)}% of the disk, ETA ${Math.ceil(eta)} s`);
    },
    end() {
      if (shown) show(null);
    },
  };
}

function summary(layout: Layout, target: string, result: WriteResult, reread: PartitionReread | null): string {
  const lines = [renderLayout(layout, target), '', `wrote ${formatBytes(result.bytesWritten)} in ${result.writes} writes (${formatBytes(result.zeroBytes)} zero ranges), ${result.flushes} flushes`];
  if (reread) lines.push(reread.message);
  return lines.join('\n');
}
