// libvirt through virsh: attach a finished disk to a domain, print the <disk> element instead, and list the
// disks of running domains so that a disk a VM is using is never formatted. Named options (--domain, --source,
// --target) everywhere, so a domain name or path that begins with "-" or holds spaces stays one value.
import { GuestdiskError } from '../errors.js';
import { hostCommandFailed, runChecked, type HostCommandResult, type HostRunner } from './run.js';

export type DiskBus = 'virtio' | 'sata' | 'scsi';
export const DISK_BUSES: readonly DiskBus[] = ['virtio', 'sata', 'scsi'];
/** libvirt formatdomain "driver" cache attribute values. */
export const CACHE_MODES = ['none', 'writeback', 'writethrough', 'directsync', 'unsafe', 'default'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];
export type DiskSourceKind = 'block' | 'file';

export interface AttachSpec {
  readonly domain: string;
  /** Block device node or image file path. */
  readonly source: string;
  readonly sourceKind: DiskSourceKind;
  readonly targetDev: string;
  readonly bus: DiskBus;
  readonly cache: CacheMode;
  readonly persistent: boolean;
  /** The disk's logical sector size: 4096 adds <blockio>, without which QEMU shows the guest 512-byte sectors. */
  readonly logicalSectorSize: 512 | 4096;
}

export interface AttachRequest {
  readonly domain: string;
  readonly source: string;
  readonly sourceKind: DiskSourceKind;
  readonly targetDev?: string;
  readonly bus?: string;
  readonly cache?: string;
  readonly persistent?: boolean;
  readonly logicalSectorSize?: 512 | 4096;
}

/** Guest device names libvirt accepts for these buses: vdX for virtio, sdX for sata and scsi. */
const TARGET_DEV = /^(vd|sd|hd|xvd)[a-z]{1,3}$/;

export function parseDiskBus(text: string | undefined): DiskBus {
  if (text === undefined) return 'virtio';
  if ((DISK_BUSES as readonly string[]).includes(text)) return text as DiskBus;
  throw new GuestdiskError('INVALID_SPEC', `--bus ${JSON.stringify(text)}: expected one of ${DISK_BUSES.join(', ')}`, { bus: text });
}

export function parseCacheMode(text: string | undefined): CacheMode {
  if (text === undefined) return 'none';
  if ((CACHE_MODES as readonly string[]).includes(text)) return text as CacheMode;
  throw new GuestdiskError('INVALID_SPEC', `--cache ${JSON.stringify(text)}: expected one of ${CACHE_MODES.join(', ')}`, { cache: text });
}

/** Validates the request and fills the defaults: virtio bus, vdb (sdb on sata/scsi), cache none. The domain may be
 *  empty for --print-xml, which names none; attaching checks it. */
export function resolveAttachSpec(request: AttachRequest): AttachSpec {
  const bus = parseDiskBus(request.bus);
  const targetDev = request.targetDev ?? (bus === 'virtio' ? 'vdb' : 'sdb');
  if (!TARGET_DEV.test(targetDev)) {
    throw new GuestdiskError('INVALID_SPEC', `--target-dev ${JSON.stringify(targetDev)}: expected a guest disk name such as vdb or sdb`, { targetDev });
  }
  if (bus === 'virtio' && !targetDev.startsWith('vd')) {
    throw new GuestdiskError('INVALID_SPEC', `--target-dev ${targetDev} with --bus virtio: virtio disks are named vdX`, { targetDev, bus });
  }
  if (bus !== 'virtio' && !targetDev.startsWith('sd')) {
    throw new GuestdiskError('INVALID_SPEC', `--target-dev ${targetDev} with --bus ${bus}: ${bus} disks are named sdX`, { targetDev, bus });
  }
  return { domain: request.domain, source: request.source, sourceKind: request.sourceKind, targetDev, bus, cache: parseCacheMode(request.cache), persistent: request.persistent ?? false, logicalSectorSize: request.logicalSectorSize ?? 512 };
}

/**
 * Where the disk goes: `live` into the running domain only, `persistent` into it and its configuration, `config`
 * into the configuration only (a shut-off domain: the disk appears at its next start).
 */
export type AttachMode = 'live' | 'persistent' | 'config';

export function attachModeFor(spec: AttachSpec, running: boolean): AttachMode {
  if (!running) return 'config';
  return spec.persistent ? 'persistent' : 'live';
}

const MODE_FLAGS: Record<AttachMode, string[]> = { live: [], persistent: ['--persistent'], config: ['--config'] };

/**
 * The virsh command that attaches the disk. attach-disk with the raw qemu driver (the seed guide's manual recipe)
 * when its options can say everything; a 4096-byte-sector disk needs <blockio>, which attach-disk has no option
 * for, so that one is attach-device with diskXml() in `xmlFile` (a file: virsh opens the path it is given, and
 * /dev/stdin cannot be opened when standard input is a socket, as node's child processes have).
 */
export function attachDiskArgv(spec: AttachSpec, mode: AttachMode = spec.persistent ? 'persistent' : 'live', xmlFile = 'DISK.xml'): ['virsh', ...string[]] {
  if (needsDeviceXml(spec)) return ['virsh', 'attach-device', '--domain', spec.domain, '--file', xmlFile, ...MODE_FLAGS[mode]];
  return [
    'virsh', 'attach-disk',
    '--domain', spec.domain,
    '--source', spec.source,
    '--target', spec.targetDev,
    '--targetbus', spec.bus,
    '--driver', 'qemu',
    '--subdriver', 'raw',
    '--cache', spec.cache,
    '--sourcetype', spec.sourceKind,
    ...MODE_FLAGS[mode],
  ];
}

export function needsDeviceXml(spec: AttachSpec): boolean {
  return spec.logicalSectorSize !== 512;
}

/** XML attribute value in single quotes. */
function xmlAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** The <disk> element (libvirt formatdomain) for `virsh attach-device DOMAIN FILE` or `virsh edit`. */
export function diskXml(spec: AttachSpec): string {
  const source = spec.sourceKind === 'block' ? `<source dev='${xmlAttr(spec.source)}'/>` : `<source file='${xmlAttr(spec.source)}'/>`;
  return [
    `<disk type='${spec.sourceKind}' device='disk'>`,
    `  <driver name='qemu' type='raw' cache='${spec.cache}'/>`,
    `  ${source}`,
    `  <target dev='${spec.targetDev}' bus='${spec.bus}'/>`,
    ...(spec.logicalSectorSize !== 512 ? [`  <blockio logical_block_size='${spec.logicalSectorSize}' physical_block_size='${spec.logicalSectorSize}'/>`] : []),
    `</disk>`,
  ].join('\n');
}

/** What to do about a virsh failure whose cause its stderr names (libvirt 9 and QEMU 7 messages). */
export function virshAdvice(spec: AttachSpec | null, domain: string): (result: HostCommandResult) => string | null {
  return (result) => {
    const e = result.stderr;
    if (/failed to get domain|Domain not found/i.test(e)) return `libvirt has no domain named ${JSON.stringify(domain)}: \`virsh list --all\` lists them (names are case-sensitive; guestdisk uses virsh's default connection, root's qemu:///system, unless LIBVIRT_DEFAULT_URI says otherwise)`;
    if (/failed to connect to the hypervisor|Failed to connect socket/i.test(e)) return 'libvirt is not running or not reachable: start it (systemctl start libvirtd, or virtqemud) and check that `virsh list --all` works as this user';
    if (/does not support hotplugging|hotplug.*not supported|not support hotplug/i.test(e)) {
      return 'the running domain cannot take a new disk on its PCI bus: hot-plug needs ACPI (<features><acpi/></features>, set with `virsh edit`, then a restart). Or shut the domain down and attach again: guestdisk then adds the disk to its configuration, and it is there at the next start';
    }
    if (/Could not find sata controller/i.test(e)) {
      return 'the running domain has no SATA controller, and libvirt hot-plugs neither one nor a SATA disk: shut the domain down and attach again (libvirt then adds a SATA controller to its configuration, and the disk is there at the next start), or use --bus virtio (or scsi)';
    }
    if (/cannot be hotplugged|hotplug of .*bus .*not supported/i.test(e)) {
      return `a ${spec?.bus ?? 'disk'} disk cannot be hot-plugged: shut the domain down and attach again (the disk goes into its configuration and is there at the next start), or use --bus virtio (or scsi, with a virtio-scsi controller)`;
    }
    if (/target .* already exists|already exists.*target/i.test(e)) return `the domain already has a disk ${spec?.targetDev ?? ''}: choose another --target-dev (\`virsh domblklist\` lists the used ones)`;
    if (/No more available PCI slots/i.test(e)) return 'the domain has no free PCI slot: remove a device, or use --bus scsi with a virtio-scsi controller';
    return null;
  };
}

/** `virsh domstate`: running, paused, shut off, … */
export async function domainState(runner: HostRunner, domain: string): Promise<string> {
  const out = await runChecked(runner, ['virsh', 'domstate', '--domain', domain], `asking libvirt about domain ${JSON.stringify(domain)}`, virshAdvice(null, domain));
  return out.split('\n')[0].trim();
}

/** The disks in a domain's live definition, or with `inactive` its configuration. */
export async function domainDisks(runner: HostRunner, domain: string, inactive: boolean): Promise<DomainDisk[]> {
  const argv: ['virsh', ...string[]] = ['virsh', 'domblklist', '--domain', domain, '--details', ...(inactive ? ['--inactive'] : [])];
  return parseDomblklist(domain, await runChecked(runner, argv, `listing the disks of domain ${JSON.stringify(domain)}`, virshAdvice(null, domain)));
}

/** Attaches in `mode`; for attach-device, `xmlFile` holds diskXml(spec) (the caller writes it: host/ has no files). */
export async function attachDisk(runner: HostRunner, spec: AttachSpec, mode: AttachMode = spec.persistent ? 'persistent' : 'live', xmlFile?: string): Promise<readonly string[]> {
  if (spec.domain === '') throw new GuestdiskError('INVALID_SPEC', 'attaching needs a libvirt domain name');
  if (needsDeviceXml(spec) && xmlFile === undefined) throw new GuestdiskError('INVALID_SPEC', `attaching a ${spec.logicalSectorSize}-byte-sector disk needs its <disk> XML in a file`);
  const argv = attachDiskArgv(spec, mode, xmlFile);
  await runChecked(runner, argv, `attaching ${spec.source} to domain ${JSON.stringify(spec.domain)}`, virshAdvice(spec, spec.domain));
  return argv;
}

export interface DomainDisk {
  readonly domain: string;
  readonly target: string;
  readonly source: string;
}

export interface DomainDiskList {
  /** false: virsh is missing or cannot reach libvirt; nothing could be checked. */
  readonly checked: boolean;
  readonly reason: string | null;
  readonly disks: readonly DomainDisk[];
}

/** `virsh list --name`: one running domain per line, then an empty line. */
export function parseDomainNames(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/**
 * `virsh domblklist --details`: a header, a dashed rule, then "Type Device Target Source" rows. The source is
 * the rest of the line after three columns (a path may hold spaces); "-" means none (an empty CD-ROM).
 */
export function parseDomblklist(domain: string, text: string): DomainDisk[] {
  const out: DomainDisk[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m || /^-+$/.test(m[1]) || (m[1] === 'Type' && m[2] === 'Device')) continue;
    const source = m[4];
    if (source === '' || source === '-') continue;
    out.push({ domain, target: m[3], source });
  }
  return out;
}

/** Every disk source of every running domain; a domain that stops in between is skipped. */
/** virsh's words when the libvirt daemon's socket does not exist. */
const LIBVIRT_NOT_RUNNING = /Failed to connect socket to '[^']*-sock': No such file or directory/;

export async function listRunningDomainDisks(runner: HostRunner): Promise<DomainDiskList> {
  const list = await runner(['virsh', 'list', '--name']);
  if (list.spawnError === 'ENOENT') return { checked: false, reason: 'virsh is not installed', disks: [] };
  // No daemon socket: libvirt is installed but not running, so it runs no domain. Nothing to say (a QEMU started by
  // hand is still caught by the scan of processes holding the disk open).
  if (list.status !== 0 && LIBVIRT_NOT_RUNNING.test(list.stderr)) return { checked: true, reason: null, disks: [] };
  if (list.status !== 0) return { checked: false, reason: hostCommandFailed(['virsh', 'list', '--name'], list).message, disks: [] };
  const disks: DomainDisk[] = [];
  for (const domain of parseDomainNames(list.stdout)) {
    const r = await runner(['virsh', 'domblklist', '--domain', domain, '--details']);
    if (r.status === 0) disks.push(...parseDomblklist(domain, r.stdout));
  }
  return { checked: true, reason: null, disks };
}
