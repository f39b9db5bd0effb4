// `guestdisk grow TARGET [--size N] [--dry-run] [--json]` and `guestdisk grow --lvm VG/LV --size +N|N`: the last
// partition and its volume fill a disk that got bigger. Order: read and plan against the disk as it is (every
// refusal here, nothing written, no LV extended, no image extended) → dry run stops → lvextend / extend the image
// → open for writing (a block device is refused when in use) → plan again against what is there now → write.
import { GuestdiskError } from '../errors.js';
import { planGrowFrom, type PlannedGrow } from '../grow/grow-disk.js';
import type { GrowPlan } from '../grow/types.js';
import { extendLogicalVolume, findLogicalVolume, parseLvName, type LvGrowth } from '../host/lvm.js';
import { createExecRunner } from '../host/run.js';
import { parseSectorSize, parseSize } from '../plan/spec.js';
import { acquireFileLock, type FileLock } from '../target/file-lock.js';
import { describeTarget } from '../target/open-target.js';
import { openFileTarget } from '../target/file-target.js';
import { openBlockDeviceTarget, partitionRereadOf } from '../target/block-device.js';
import { writeGrow, type GrowWriteResult } from '../grow/write-grow.js';
import type { CliIo } from './create.js';
import { openForInspect } from './inspect.js';
import { formatBytes } from './render.js';

export interface GrowCliOptions {
  size?: string;
  lvm?: string;
  dryRun?: boolean;
  json?: boolean;
  sectorSize?: string;
}

/** "+N" grows by N, "N" grows to N. */
function parseGrowth(text: string): LvGrowth {
  const t = text.trim();
  return t.startsWith('+') ? { byBytes: parseSize(t.slice(1)) } : { toBytes: parseSize(t) };
}

export async function runGrow(targetArg: string | undefined, options: GrowCliOptions, io: CliIo): Promise<number> {
  if ((options.lvm === undefined) === (targetArg === undefined)) {
    throw new GuestdiskError('INVALID_SPEC', options.lvm === undefined ? 'missing TARGET (an image file or block device), or --lvm VG/LV --size +N' : 'give either TARGET or --lvm VG/LV, not both');
  }
  if (options.lvm !== undefined) return growLogicalVolume(options.lvm, options, io);
  const path = targetArg!;
  const info = await describeTarget(path);
  if (!info.exists) throw new GuestdiskError('INVALID_SPEC', `${path} does not exist`, { path });
  if (info.kind === 'block-device') {
    if (options.size !== undefined && parseSize(options.size) !== info.currentSizeBytes) {
      throw new GuestdiskError('INVALID_SPEC', `--size does not apply to a block device: ${path} is grown to its kernel size (${info.currentSizeBytes} bytes); grow the device itself first (lvextend, or use --lvm)`, { path });
    }
    return growDevice(path, options, io);
  }
  return growImage(path, options, io);
}

async function growImage(path: string, options: GrowCliOptions, io: CliIo): Promise<number> {
  const lock: FileLock | null = options.dryRun ? null : await acquireFileLock(path);
  try {
    const opened = await openForInspect(path, options.sectorSize);
    let planned: PlannedGrow;
    try {
      const s = opened.target.logicalSectorSize;
      const newSize = options.size !== undefined ? parseGrowthSize(options.size, opened.sourceSizeBytes) : opened.target.sizeBytes;
      if (newSize % s !== 0) throw new GuestdiskError('INVALID_SPEC', `--size ${newSize} is not a whole number of ${s}-byte sectors`, { sizeBytes: newSize });
      planned = await planGrowFrom(opened.target, newSize);
    } finally {
      await opened.target.close();
    }
    if (options.dryRun) return printDryRun(path, planned.plan, options, io);
    const { plan } = planned;
    // Extended in place (never truncated first: the disk's content stays); the new tail is a hole.
    const target = await openFileTarget({ path, mode: 'write', sizeBytes: plan.disk.afterBytes, logicalSectorSize: plan.logicalSectorSize, grow: true });
    let result: GrowWriteResult;
    try {
      result = await writeGrow(plan, planned.source, target, { between: stopOnSignal(io) });
      await target.flush();
    } finally {
      await target.close();
    }
    printResult(path, plan, result, null, options, io);
    return 0;
  } finally {
    await lock?.release();
  }
}

/** An image's --size: N, or +N over its current size. */
function parseGrowthSize(text: string, currentBytes: number): number {
  const g = parseGrowth(text);
  return 'toBytes' in g ? g.toBytes : currentBytes + g.byBytes;
}

async function growDevice(path: string, options: GrowCliOptions, io: CliIo): Promise<number> {
  if (options.dryRun) {
    const opened = await openForInspect(path, options.sectorSize);
    try {
      return printDryRun(path, (await planGrowFrom(opened.target, opened.target.sizeBytes)).plan, options, io);
    } finally {
      await opened.target.close();
    }
  }
  if (options.sectorSize !== undefined) parseSectorSize(options.sectorSize); // checked; a device's own size wins
  const target = await openBlockDeviceTarget({ path, mode: 'write' }); // refuses a device in use (mounted, held, a VM's disk)
  let planned: PlannedGrow;
  let result: GrowWriteResult;
  try {
    planned = await planGrowFrom(target, target.sizeBytes);
    result = await writeGrow(planned.plan, planned.source, target, { between: stopOnSignal(io) });
  } finally {
    await target.close();
  }
  printResult(path, planned.plan, result, partitionRereadOf(target)?.message ?? null, options, io);
  return 0;
}

async function growLogicalVolume(lvm: string, options: GrowCliOptions, io: CliIo): Promise<number> {
  if (options.size === undefined) throw new GuestdiskError('INVALID_SPEC', '--lvm needs --size +N (grow by N) or --size N (grow to N)');
  const name = parseLvName(lvm);
  const growth = parseGrowth(options.size);
  const runner = createExecRunner({ env: io.env });
  const lv = await findLogicalVolume(runner, name);
  if (!lv) throw new GuestdiskError('INVALID_SPEC', `logical volume ${name.vg}/${name.lv} does not exist`, { lvm });
  const newSize = 'toBytes' in growth ? growth.toBytes : lv.sizeBytes + growth.byBytes;
  if (newSize <= lv.sizeBytes) {
    throw new GuestdiskError('INVALID_SPEC', `${name.vg}/${name.lv} has ${lv.sizeBytes} bytes; --size ${options.size} is not larger: guestdisk never shrinks a disk`, { sizeBytes: newSize, currentSizeBytes: lv.sizeBytes });
  }
  // Everything is checked against the volume as it is before lvextend changes anything.
  const opened = await openForInspect(lv.path, options.sectorSize);
  let planned: PlannedGrow;
  try {
    const s = opened.target.logicalSectorSize;
    planned = await planGrowFrom(opened.target, Math.floor(newSize / s) * s);
  } finally {
    await opened.target.close();
  }
  if (options.dryRun) return printDryRun(lv.path, planned.plan, options, io);
  // A volume in use (mounted, held, a running VM's disk) is refused before lvextend changes anything.
  await (await openBlockDeviceTarget({ path: lv.path, mode: 'write' })).close();
  const grown = await extendLogicalVolume(runner, name, growth);
  io.stderr(`extended logical volume ${name.vg}/${name.lv}: ${lv.sizeBytes} → ${grown.sizeBytes} bytes`);
  return growDevice(grown.path, { ...options, size: undefined }, io);
}

function stopOnSignal(io: CliIo): () => void {
  return () => {
    const signal = io.interrupted();
    if (signal) throw new GuestdiskError('INTERRUPTED', `stopped by ${signal} between two writes: run the same grow again to finish it`, { signal });
  };
}

export function renderGrowPlan(path: string, plan: GrowPlan): string {
  const s = plan.logicalSectorSize;
  const p = plan.partition;
  const lines = [
    `disk       ${path}: ${formatBytes(plan.disk.beforeBytes)} → ${formatBytes(plan.disk.afterBytes)} (${plan.disk.afterBytes} bytes, ${s}-byte sectors)`,
    `table      ${plan.tableKind}${plan.table ? '' : ' (already grown)'}`,
    `partition  ${p.number}: LBA ${p.startLba}–${p.before.endLba} (${formatBytes(p.before.sizeLba * s)}) → LBA ${p.startLba}–${p.after.endLba} (${formatBytes(p.after.sizeLba * s)})`,
  ];
  const fs = plan.filesystem;
  if (fs?.kind === 'fat32') {
    lines.push(`filesystem fat32, ${fs.clusterSize}-byte clusters: ${fs.before.clusterCount} → ${fs.after.clusterCount} clusters (its FAT addresses ${fs.maxClusterCount}), ${formatBytes(fs.before.volumeSizeBytes)} → ${formatBytes(fs.after.volumeSizeBytes)}`);
  } else if (fs?.kind === 'exfat') {
    lines.push(`filesystem exfat, ${fs.clusterSize}-byte clusters: ${fs.before.clusterCount} → ${fs.after.clusterCount} clusters, ${formatBytes(fs.before.volumeLength * s)} → ${formatBytes(fs.after.volumeLength * s)}; FAT ${fs.before.fatLength} → ${fs.after.fatLength} sectors; allocation bitmap ${fs.oldBitmap.dataLength} → ${fs.newBitmap.dataLength} bytes (cluster ${fs.oldBitmap.firstCluster} → ${fs.newBitmap.firstCluster})`);
    if (fs.unusableBytes > 0) lines.push(`usable     ${formatBytes(fs.usableBytes)} of the grown volume (${fs.usableBytes} bytes); ${formatBytes(fs.unusableBytes)} (${fs.unusableBytes} bytes) past what its FAT addresses stay unused (see the note)`);
  } else if (fs) {
    lines.push(`filesystem ntfs, ${fs.clusterSize}-byte clusters: ${fs.before.clusterCount} → ${fs.after.clusterCount} clusters, ${formatBytes(fs.before.volumeSizeBytes)} → ${formatBytes(fs.after.volumeSizeBytes)}; $Bitmap ${fs.before.bitmapBytes} → ${fs.after.bitmapBytes} bytes (${fs.bitmapPlacement})`);
  } else {
    lines.push('filesystem none (the partition alone grows)');
  }
  lines.push(`steps      ${plan.steps.filter((st) => st.kind !== 'flush').length} writes, ${plan.steps.filter((st) => st.kind === 'flush').length} flushes`);
  for (const note of plan.notes) lines.push(`note       ${note}`);
  return lines.join('\n');
}

function printDryRun(path: string, plan: GrowPlan, options: GrowCliOptions, io: CliIo): number {
  io.stdout(options.json ? JSON.stringify({ dryRun: true, target: path, plan }, null, 2) : `${renderGrowPlan(path, plan)}\n(dry run: nothing written)`);
  return 0;
}

function printResult(path: string, plan: GrowPlan, result: GrowWriteResult, reread: string | null, options: GrowCliOptions, io: CliIo): void {
  if (options.json) {
    io.stdout(JSON.stringify({ target: path, plan, result, partitionReread: reread }, null, 2));
    return;
  }
  io.stdout(`${renderGrowPlan(path, plan)}\ngrown: ${result.writes} writes, ${result.bytesWritten} bytes written, ${result.flushes} flushes${reread ? `\n${reread}` : ''}`);
}
