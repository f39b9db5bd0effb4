// libvirt through virsh: attach a finished disk to a domain, print the <disk> element instead, and list the
// disks of running domains so that a disk a VM is using is never formatted. Named options (--domain, --source,
// --target) everywhere, so a domain name or path that begins with "-" or holds spaces stays one value.
import { GuestdiskError } from '../errors.js';
import { hostCommandFailed, runChecked, type HostRunner } from './run.js';

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
}

export interface AttachRequest {
  readonly domain: string;
  readonly source: string;
  readonly sourceKind: DiskSourceKind;
  readonly targetDev?: string;
  readonly bus?: string;
  readonly cache?: string;
  readonly persistent?: boolean;
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
  return { domain: request.domain, source: request.source, sourceKind: request.sourceKind, targetDev, bus, cache: parseCacheMode(request.cache), persistent: request.persistent ?? false };
}

/** virsh attach-disk with raw qemu driver: what the seed guide's manual recipe does, in one call. */
export function attachDiskArgv(spec: AttachSpec): ['virsh', ...string[]] {
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
    ...(spec.persistent ? ['--persistent'] : []),
  ];
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
    `</disk>`,
  ].join('\n');
}

export async function attachDisk(runner: HostRunner, spec: AttachSpec): Promise<void> {
  if (spec.domain === '') throw new GuestdiskError('INVALID_SPEC', 'attaching needs a libvirt domain name');
  await runChecked(runner, attachDiskArgv(spec), `attaching ${spec.source} to ${spec.domain}`);
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
export async function listRunningDomainDisks(runner: HostRunner): Promise<DomainDiskList> {
  const list = await runner(['virsh', 'list', '--name']);
  if (list.spawnError === 'ENOENT') return { checked: false, reason: 'virsh is not installed', disks: [] };
  if (list.status !== 0) return { checked: false, reason: hostCommandFailed(['virsh', 'list', '--name'], list).message, disks: [] };
  const disks: DomainDisk[] = [];
  for (const domain of parseDomainNames(list.stdout)) {
    const r = await runner(['virsh', 'domblklist', '--domain', domain, '--details']);
    if (r.status === 0) disks.push(...parseDomblklist(domain, r.stdout));
  }
  return { checked: true, reason: null, disks };
}
