// Reasons a block device must not be written, found before the first byte goes out: mounted (itself or one of
// its partitions), held by another kernel device (device-mapper, RAID: sysfs holders/), an active swap area,
// used by a running libvirt domain, a partition of a bigger disk (unless forced), or read-only. Each reason is
// named in the TARGET_BUSY error so the user knows what to undo. O_EXCL at open time is the last line of defence
// (it also catches a process holding the device exclusively), not the message.
import * as nodeFs from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { GuestdiskError } from '../errors.js';
import { describeWriters, findWriters, type OpenFile } from './open-files.js';

/** Where the kernel's views live; tests point these at a fake tree to cover what CI cannot create for real. */
export interface KernelViews {
  readonly sysRoot: string;
  readonly procRoot: string;
  /** MAJ:MIN of a path if it is a block device, else null (injected so a fake /proc/swaps can name fake nodes). */
  statBlockDevice(path: string): Promise<string | null>;
}

export const REAL_KERNEL_VIEWS: KernelViews = {
  sysRoot: '/sys',
  procRoot: '/proc',
  statBlockDevice: async (path) => {
    try {
      const st = await nodeFs.stat(path);
      return st.isBlockDevice() ? majorMinorOf(st.rdev) : null;
    } catch {
      return null;
    }
  },
};

/** Linux dev_t → "MAJ:MIN" (glibc gnu_dev_major / gnu_dev_minor). */
export function majorMinorOf(rdev: number): string {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev >>> 0;
  const major = ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0);
  const minor = (low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) * 2 ** 20);
  return `${major}:${minor}`;
}

export interface DevicePartition {
  readonly name: string;
  readonly majorMinor: string;
}

/** What sysfs says about one block device node. */
export interface DeviceIdentity {
  readonly path: string;
  readonly majorMinor: string;
  /** Kernel name: loop0, sda, dm-3, nvme0n1p2. */
  readonly name: string;
  readonly sysfsDir: string;
  readonly isPartition: boolean;
  /** For a partition, the disk it belongs to (kernel name); else null. */
  readonly parentName: string | null;
  readonly readOnly: boolean;
  readonly partitions: readonly DevicePartition[];
}

async function readText(path: string): Promise<string | null> {
  try {
    return await nodeFs.readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await nodeFs.readdir(path);
  } catch {
    return [];
  }
}

export async function identifyDevice(path: string, majorMinor: string, views: KernelViews = REAL_KERNEL_VIEWS): Promise<DeviceIdentity> {
  const link = `${views.sysRoot}/dev/block/${majorMinor}`;
  let sysfsDir: string;
  try {
    sysfsDir = await nodeFs.realpath(link);
  } catch (e) {
    throw new GuestdiskError('IO_FAILED', `cannot find ${path} (${majorMinor}) in sysfs at ${link}`, { path, majorMinor }, { cause: e });
  }
  const isPartition = (await readText(`${sysfsDir}/partition`)) !== null;
  const partitions: DevicePartition[] = [];
  if (!isPartition) {
    for (const entry of (await listDir(sysfsDir)).sort()) {
      if ((await readText(`${sysfsDir}/${entry}/partition`)) === null) continue;
      const dev = (await readText(`${sysfsDir}/${entry}/dev`))?.trim();
      if (dev) partitions.push({ name: entry, majorMinor: dev });
    }
  }
  return {
    path,
    majorMinor,
    name: basename(sysfsDir),
    sysfsDir,
    isPartition,
    parentName: isPartition ? basename(dirname(sysfsDir)) : null,
    readOnly: (await readText(`${sysfsDir}/ro`))?.trim() === '1',
    partitions,
  };
}

export type DeviceUseKind = 'read-only' | 'partition' | 'mounted' | 'holders' | 'swap' | 'libvirt' | 'loop' | 'open-for-writing';

export interface DeviceUse {
  readonly kind: DeviceUseKind;
  readonly message: string;
}

/** One disk of a running libvirt domain, as `virsh domblklist` names it. */
export interface DomainDiskSource {
  readonly domain: string;
  readonly source: string;
}

/** The disks of running libvirt domains; injected (host/virsh.ts), since target/ runs no program. */
export type DomainDisksLookup = () => Promise<readonly DomainDiskSource[]>;

export interface DeviceCheckOptions {
  /** Allow a partition of a bigger disk. Nothing else is forceable: those are live users of the device. */
  readonly force?: boolean;
  readonly domainDisks?: DomainDisksLookup;
  readonly views?: KernelViews;
}

/** /proc/self/mountinfo and /proc/swaps escape space, tab, newline and backslash as \ooo. */
export function unescapeProcField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

interface MountEntry { majorMinor: string; mountPoint: string; fsType: string; source: string }

/** proc(5) mountinfo: id parent MAJ:MIN root mount-point options [optional…] - fstype source super-options. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 7 || dash < 6) continue;
    out.push({
      majorMinor: fields[2],
      mountPoint: unescapeProcField(fields[4]),
      fsType: fields[dash + 1] ?? '',
      source: unescapeProcField(fields[dash + 2] ?? ''),
    });
  }
  return out;
}

/** proc(5) swaps: a header line, then "Filename Type Size Used Priority" separated by whitespace. */
export function parseSwaps(text: string): string[] {
  return text.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '').map((l) => unescapeProcField(l.split(/\s+/)[0]));
}

/** An attached loop device: what backs it (a file, or a block device) and where its window starts. */
export interface LoopDevice {
  readonly name: string;
  readonly majorMinor: string;
  /** sysfs loop/backing_file: the path as the kernel sees it now (" (deleted)" appended when unlinked). */
  readonly backingFile: string;
  readonly offsetBytes: number;
}

/** Every attached loop device (those with a loop/backing_file in sysfs). */
export async function listLoopDevices(views: KernelViews = REAL_KERNEL_VIEWS): Promise<LoopDevice[]> {
  const out: LoopDevice[] = [];
  for (const name of (await listDir(`${views.sysRoot}/block`)).filter((n) => /^loop\d+$/.test(n)).sort()) {
    const dir = `${views.sysRoot}/block/${name}`;
    const backingFile = (await readText(`${dir}/loop/backing_file`))?.replace(/\n$/, '');
    const majorMinor = (await readText(`${dir}/dev`))?.trim();
    if (!backingFile || !majorMinor) continue;
    out.push({ name, majorMinor, backingFile, offsetBytes: Number((await readText(`${dir}/loop/offset`))?.trim() ?? 0) || 0 });
  }
  return out;
}

/** A device stacked on the target: a loop device whose backing file is the target, or one stacked on such a loop. */
interface StackedDevice {
  readonly path: string;
  readonly majorMinor: string;
  /** Its own partitions (a loop device with partscan). */
  readonly partitions: readonly DevicePartition[];
  /** "a loop device on /dev/loop3 at byte 1048576" */
  readonly how: string;
}

/** Loop devices backed by `device` (or one of its partitions), and loop devices backed by those, to any depth. */
async function findStackedLoops(device: DeviceIdentity, views: KernelViews): Promise<StackedDevice[]> {
  const names = new Map<string, string>([[device.majorMinor, device.path], ...device.partitions.map((p): [string, string] => [p.majorMinor, `/dev/${p.name}`])]);
  const loops = await listLoopDevices(views);
  const out: StackedDevice[] = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const loop of loops) {
      if (names.has(loop.majorMinor)) continue;
      const under = await views.statBlockDevice(loop.backingFile);
      if (under === null || !names.has(under)) continue;
      const path = `/dev/${loop.name}`;
      const partitions = await identifyDevice(path, loop.majorMinor, views).then((d) => d.partitions, () => []);
      out.push({ path, majorMinor: loop.majorMinor, partitions, how: `a loop device on ${names.get(under)}${loop.offsetBytes ? ` at byte ${loop.offsetBytes}` : ''}` });
      names.set(loop.majorMinor, path);
      for (const p of partitions) names.set(p.majorMinor, `/dev/${p.name}`);
      grew = true;
    }
  }
  return out;
}

function nodeNamer(device: DeviceIdentity, stacked: readonly StackedDevice[]): (majorMinor: string) => string {
  return (majorMinor) => {
    if (majorMinor === device.majorMinor) return device.path;
    const part = device.partitions.find((p) => p.majorMinor === majorMinor);
    if (part) return `its partition /dev/${part.name}`;
    for (const s of stacked) {
      if (s.majorMinor === majorMinor) return `${s.path} (${s.how})`;
      const p = s.partitions.find((q) => q.majorMinor === majorMinor);
      if (p) return `/dev/${p.name} (a partition of ${s.path}, ${s.how})`;
    }
    return majorMinor;
  };
}

/** Processes holding any of `devices` open for writing, one use per device. */
async function writersOf(devices: ReadonlySet<string>, nodeName: (majorMinor: string) => string, procRoot: string): Promise<DeviceUse[]> {
  const writers = await findWriters((st) => st.isBlockDevice() && devices.has(majorMinorOf(st.rdev)), { procRoot, selfPid: process.pid });
  const byDevice = new Map<string, OpenFile[]>();
  for (const w of writers) {
    const mm = majorMinorOf(w.rdev);
    byDevice.set(mm, [...(byDevice.get(mm) ?? []), w]);
  }
  return [...byDevice].map(([mm, ws]) => ({ kind: 'open-for-writing' as const, message: `${nodeName(mm)} is open for writing by ${describeWriters(ws)}: stop it first` }));
}

/** Every reason found (empty: the device may be written). Reads sysfs and procfs; runs nothing itself. */
export async function findDeviceUses(device: DeviceIdentity, options: DeviceCheckOptions = {}): Promise<DeviceUse[]> {
  const views = options.views ?? REAL_KERNEL_VIEWS;
  const uses: DeviceUse[] = [];
  const stacked = await findStackedLoops(device, views);
  const nodeName = nodeNamer(device, stacked);
  const ours = new Set([device.majorMinor, ...device.partitions.map((p) => p.majorMinor)]);
  // Anything stacked on the device is the device, for "mounted", "held", "swap" and "open for writing".
  const all = new Set([...ours, ...stacked.flatMap((s) => [s.majorMinor, ...s.partitions.map((p) => p.majorMinor)])]);

  if (device.readOnly) uses.push({ kind: 'read-only', message: `${device.path} is read-only (sysfs ${device.name}/ro = 1; e.g. losetup -r or a write-protected disk)` });
  if (device.isPartition && !options.force) {
    uses.push({ kind: 'partition', message: `${device.path} is partition ${device.name} of /dev/${device.parentName}: a Windows disk is a whole disk; pass --force to write a partition table inside this partition anyway` });
  }
  for (const s of stacked) {
    uses.push({ kind: 'loop', message: `${s.path} is ${s.how}: detach it first (losetup -d ${s.path}), after unmounting anything on it` });
  }

  const mountinfo = (await readText(`${views.procRoot}/self/mountinfo`)) ?? '';
  for (const m of parseMountinfo(mountinfo)) {
    let hit = all.has(m.majorMinor) ? m.majorMinor : null;
    // FUSE mounts (ntfs-3g, exfat-fuse) carry an anonymous 0:N; their source names the device node.
    if (!hit && m.source.startsWith('/')) {
      const mm = await views.statBlockDevice(m.source);
      if (mm && all.has(mm)) hit = mm;
    }
    if (hit) uses.push({ kind: 'mounted', message: `${nodeName(hit)} is mounted on ${m.mountPoint} (${m.fsType}): unmount it first` });
  }

  const holderDirs = [
    { who: device.path, dir: `${device.sysfsDir}/holders` },
    ...device.partitions.map((p) => ({ who: `its partition /dev/${p.name}`, dir: `${device.sysfsDir}/${p.name}/holders` })),
    ...stacked.map((s) => ({ who: `${s.path} (${s.how})`, dir: `${views.sysRoot}/block/${s.path.slice('/dev/'.length)}/holders` })),
  ];
  for (const { who, dir } of holderDirs) {
    const holders = await listDir(dir);
    if (holders.length > 0) {
      uses.push({ kind: 'holders', message: `${who} is held by ${holders.map((h) => `/dev/${h}`).join(', ')} (device-mapper, LVM or RAID on top): remove those first` });
    }
  }

  for (const swap of parseSwaps((await readText(`${views.procRoot}/swaps`)) ?? '')) {
    const mm = await views.statBlockDevice(swap);
    if (mm && all.has(mm)) uses.push({ kind: 'swap', message: `${nodeName(mm)} is an active swap area (${swap}): swapoff it first` });
  }

  uses.push(...(await writersOf(all, nodeName, views.procRoot)));

  if (options.domainDisks) {
    const seen = new Set<string>();
    for (const disk of await options.domainDisks()) {
      // by device number, so /dev/VG/LV, /dev/mapper/VG-LV and /dev/dm-3 are one disk
      const mm = disk.source.startsWith('/') ? await views.statBlockDevice(disk.source) : null;
      if (!mm || !all.has(mm) || seen.has(`${disk.domain}\0${mm}`)) continue;
      seen.add(`${disk.domain}\0${mm}`);
      uses.push({ kind: 'libvirt', message: `${nodeName(mm)} is a disk of the running libvirt domain ${JSON.stringify(disk.domain)} (${disk.source}): detach it or shut the domain down first` });
    }
  }
  return uses;
}

/** Throws TARGET_BUSY naming every reason found; returns when the device may be written. */
export async function checkDeviceForWrite(device: DeviceIdentity, options: DeviceCheckOptions = {}): Promise<void> {
  const uses = await findDeviceUses(device, options);
  if (uses.length === 0) return;
  throw new GuestdiskError('TARGET_BUSY', `refusing to write ${device.path}: ${uses.map((u) => u.message).join('; ')}`, {
    path: device.path,
    majorMinor: device.majorMinor,
    reasons: uses.map((u) => u.kind),
    messages: uses.map((u) => u.message),
  });
}

/** Domains among `disks` whose source is the same file or device as `path` (by device and inode numbers). */
export async function domainsUsingPath(path: string, disks: readonly DomainDiskSource[]): Promise<string[]> {
  const key = async (p: string): Promise<string | null> => {
    try {
      const st = await nodeFs.stat(p);
      return st.isBlockDevice() ? `b${majorMinorOf(st.rdev)}` : `f${st.dev}:${st.ino}`;
    } catch {
      return null;
    }
  };
  const wanted = await key(path);
  if (wanted === null) return [];
  const out: string[] = [];
  for (const disk of disks) {
    if (!out.includes(disk.domain) && disk.source.startsWith('/') && (await key(disk.source)) === wanted) out.push(disk.domain);
  }
  return out;
}
