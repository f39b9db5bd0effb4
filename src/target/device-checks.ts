// Reasons a block device must not be written, found before the first byte goes out: mounted (itself or one of
// its partitions), held by another kernel device (device-mapper, RAID: sysfs holders/), an active swap area,
// used by a running libvirt domain, a partition of a bigger disk (unless forced), or read-only. Each reason is
// named in the TARGET_BUSY error so the user knows what to undo. O_EXCL at open time is the last line of defence
// (it also catches a process holding the device exclusively), not the message.
import * as nodeFs from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { GuestdiskError } from '../errors.js';

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

export type DeviceUseKind = 'read-only' | 'partition' | 'mounted' | 'holders' | 'swap' | 'libvirt';

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

function nodeName(device: DeviceIdentity, majorMinor: string): string {
  if (majorMinor === device.majorMinor) return device.path;
  const part = device.partitions.find((p) => p.majorMinor === majorMinor);
  return part ? `its partition /dev/${part.name}` : majorMinor;
}

/** Every reason found (empty: the device may be written). Reads sysfs and procfs; runs nothing itself. */
export async function findDeviceUses(device: DeviceIdentity, options: DeviceCheckOptions = {}): Promise<DeviceUse[]> {
  const views = options.views ?? REAL_KERNEL_VIEWS;
  const uses: DeviceUse[] = [];
  const ours = new Set([device.majorMinor, ...device.partitions.map((p) => p.majorMinor)]);

  if (device.readOnly) uses.push({ kind: 'read-only', message: `${device.path} is read-only (sysfs ${device.name}/ro = 1; e.g. losetup -r or a write-protected disk)` });
  if (device.isPartition && !options.force) {
    uses.push({ kind: 'partition', message: `${device.path} is partition ${device.name} of /dev/${device.parentName}: a Windows disk is a whole disk; pass --force to write a partition table inside this partition anyway` });
  }

  const mountinfo = (await readText(`${views.procRoot}/self/mountinfo`)) ?? '';
  for (const m of parseMountinfo(mountinfo)) {
    let hit = ours.has(m.majorMinor) ? m.majorMinor : null;
    // FUSE mounts (ntfs-3g, exfat-fuse) carry an anonymous 0:N; their source names the device node.
    if (!hit && m.source.startsWith('/')) {
      const mm = await views.statBlockDevice(m.source);
      if (mm && ours.has(mm)) hit = mm;
    }
    if (hit) uses.push({ kind: 'mounted', message: `${nodeName(device, hit)} is mounted on ${m.mountPoint} (${m.fsType}): unmount it first` });
  }

  const holderDirs = [{ who: device.path, dir: `${device.sysfsDir}/holders` }, ...device.partitions.map((p) => ({ who: `its partition /dev/${p.name}`, dir: `${device.sysfsDir}/${p.name}/holders` }))];
  for (const { who, dir } of holderDirs) {
    const holders = await listDir(dir);
    if (holders.length > 0) {
      uses.push({ kind: 'holders', message: `${who} is held by ${holders.map((h) => `/dev/${h}`).join(', ')} (device-mapper, LVM or RAID on top): remove those first` });
    }
  }

  for (const swap of parseSwaps((await readText(`${views.procRoot}/swaps`)) ?? '')) {
    const mm = await views.statBlockDevice(swap);
    if (mm && ours.has(mm)) uses.push({ kind: 'swap', message: `${nodeName(device, mm)} is an active swap area (${swap}): swapoff it first` });
  }

  if (options.domainDisks) {
    const seen = new Set<string>();
    for (const disk of await options.domainDisks()) {
      // by device number, so /dev/VG/LV, /dev/mapper/VG-LV and /dev/dm-3 are one disk
      const mm = disk.source.startsWith('/') ? await views.statBlockDevice(disk.source) : null;
      if (!mm || !ours.has(mm) || seen.has(`${disk.domain}\0${mm}`)) continue;
      seen.add(`${disk.domain}\0${mm}`);
      uses.push({ kind: 'libvirt', message: `${nodeName(device, mm)} is a disk of the running libvirt domain ${JSON.stringify(disk.domain)} (${disk.source}): detach it or shut the domain down first` });
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
