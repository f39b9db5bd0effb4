// LVM and libvirt around `create`, and the `attach` command: the steps of the seed guide's recipe that are not
// bytes on a disk. Programs run through host/run.ts with the CLI's environment (so PATH decides which lvcreate,
// lvs and virsh run: the tests put stand-ins first). Notes go to stderr; stdout stays for the result / JSON.
import { accessSync, constants } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { GuestdiskError } from '../errors.js';
import { ensureLogicalVolume, isExtentsSize, parseLvName, type LvSize } from '../host/lvm.js';
import { createExecRunner, type HostProgram, type HostRunner } from '../host/run.js';
import { attachDisk, attachDiskArgv, diskXml, listRunningDomainDisks, resolveAttachSpec, type AttachSpec } from '../host/virsh.js';
import { parseSize } from '../plan/spec.js';
import { domainsUsingPath, type DomainDisksLookup } from '../target/device-checks.js';
import { describeTarget } from '../target/open-target.js';
import type { CliIo } from './io.js';

export interface HostOptions {
  lvm?: string;
  attach?: string;
  targetDev?: string;
  bus?: string;
  cache?: string;
  persistent?: boolean;
  printXml?: boolean;
  force?: boolean;
  size?: string;
  json?: boolean;
}

function runnerFor(io: CliIo): HostRunner {
  return createExecRunner({ env: io.env, isInstalled: (program) => onPath(program, io.env.PATH) });
}

/** Whether an executable `program` is in one of PATH's directories, as execvp would look for it. Without a PATH,
 *  execvp has its own default list: then say yes and let the run find out. */
function onPath(program: HostProgram, path: string | undefined): boolean {
  if (path === undefined) return true;
  return path.split(':').some((dir) => {
    try {
      accessSync(join(dir || '.', program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function lvSizeOf(text: string | undefined): LvSize | null {
  if (text === undefined) return null;
  if (isExtentsSize(text)) return { extents: text.trim().toUpperCase() };
  return { bytes: parseSize(text) };
}

/** `create --lvm VG/LV`: makes (or, with --force, reuses) the LV and returns its device path. */
export async function prepareLvm(options: HostOptions, io: CliIo): Promise<string> {
  if (options.lvm === undefined) throw new GuestdiskError('INVALID_SPEC', 'prepareLvm needs --lvm VG/LV');
  const name = parseLvName(options.lvm);
  const size = lvSizeOf(options.size);
  const { volume, created } = await ensureLogicalVolume(runnerFor(io), name, size, options.force ?? false);
  if (created) {
    io.stderr(`created logical volume ${name.vg}/${name.lv}: ${volume.path} (${volume.sizeBytes} bytes)`);
  } else {
    const differs = size !== null && 'bytes' in size && size.bytes !== volume.sizeBytes;
    io.stderr(`using the existing logical volume ${name.vg}/${name.lv}: ${volume.path} (${volume.sizeBytes} bytes${differs ? `, not resized to --size ${options.size}` : ''})`);
  }
  return volume.path;
}

/**
 * The disks of running libvirt domains, for openBlockDeviceTarget's in-use check. Without virsh nothing is
 * checked (a host without libvirt has no domains); when virsh cannot reach libvirt, a note says so.
 */
export function libvirtDomainDisks(io: CliIo): DomainDisksLookup {
  return async () => {
    const list = await listRunningDomainDisks(runnerFor(io));
    if (!list.checked && list.reason !== 'virsh is not installed') io.stderr(`note: could not ask libvirt which disks running domains use (${list.reason})`);
    return list.disks;
  };
}

function attachSpecFor(source: string, kind: 'file' | 'block-device', domain: string, options: HostOptions): AttachSpec {
  return resolveAttachSpec({
    domain,
    // libvirt opens the source itself, from its own working directory: always an absolute path
    source: resolvePath(source),
    sourceKind: kind === 'block-device' ? 'block' : 'file',
    targetDev: options.targetDev,
    bus: options.bus,
    cache: options.cache,
    persistent: options.persistent,
  });
}

async function refuseIfAttached(spec: AttachSpec, io: CliIo): Promise<void> {
  const list = await listRunningDomainDisks(runnerFor(io));
  if (!list.checked) return; // attach-disk itself will report a missing virsh or libvirt
  const users = await domainsUsingPath(spec.source, list.disks);
  if (users.length > 0) {
    throw new GuestdiskError('TARGET_BUSY', `${spec.source} is already a disk of the running domain${users.length > 1 ? 's' : ''} ${users.map((u) => JSON.stringify(u)).join(', ')}: a disk attached twice is corrupted by both writers`, { path: spec.source, domains: users });
  }
}

/**
 * Everything about --attach / --print-xml / --lvm that can be wrong without running anything: call before
 * planning, so a typo in --bus or --target-dev fails before the disk is written, not after.
 */
export function checkHostOptions(options: HostOptions): void {
  if (options.lvm !== undefined) {
    parseLvName(options.lvm);
    lvSizeOf(options.size);
  }
  if (options.attach !== undefined || options.printXml) attachSpecFor('/dev/null', 'block-device', options.attach ?? '', options);
  if (options.attach === '') throw new GuestdiskError('INVALID_SPEC', '--attach needs a libvirt domain name');
}

interface AttachOutcome {
  readonly spec: AttachSpec;
  readonly xml: string;
  /** The virsh argv run; null with --print-xml. */
  readonly argv: readonly string[] | null;
}

async function attachOrPrint(spec: AttachSpec, options: HostOptions, io: CliIo): Promise<AttachOutcome> {
  const xml = diskXml(spec);
  if (options.printXml) return { spec, xml, argv: null };
  if (spec.domain === '') throw new GuestdiskError('INVALID_SPEC', 'attaching needs a libvirt domain (--attach DOMAIN)');
  await refuseIfAttached(spec, io);
  await attachDisk(runnerFor(io), spec);
  return { spec, xml, argv: attachDiskArgv(spec) };
}

function describeOutcome(o: AttachOutcome): string {
  const s = o.spec;
  return `attached ${s.source} to domain ${JSON.stringify(s.domain)} as ${s.targetDev} (bus ${s.bus}, cache ${s.cache}${s.persistent ? ', persistent' : ', until the domain stops: add --persistent to keep it'})`;
}

/** `create --attach DOMAIN` / `--print-xml`: after a successful format, attach the disk to the VM (or print the XML). */
export async function attachAfterCreate(path: string, kind: 'file' | 'block-device', options: HostOptions, io: CliIo): Promise<void> {
  const outcome = await attachOrPrint(attachSpecFor(path, kind, options.attach ?? '', options), options, io);
  // With --json, stdout is the create result alone; the XML and the note go to stderr.
  if (outcome.argv !== null) io.stderr(describeOutcome(outcome));
  else if (options.json) io.stderr(outcome.xml);
  else io.stdout(outcome.xml);
}

/** `guestdisk attach DEV DOMAIN`. */
export async function runAttach(path: string, domain: string, options: HostOptions, io: CliIo): Promise<number> {
  const info = await describeTarget(path);
  if (!info.exists) throw new GuestdiskError('INVALID_SPEC', `${path} does not exist: attach needs a block device or an image file made by guestdisk create`, { path });
  const outcome = await attachOrPrint(attachSpecFor(path, info.kind, domain, options), options, io);
  if (options.json) {
    io.stdout(JSON.stringify({ attached: outcome.argv !== null, domain: outcome.spec.domain, source: outcome.spec.source, sourceType: outcome.spec.sourceKind, targetDev: outcome.spec.targetDev, bus: outcome.spec.bus, cache: outcome.spec.cache, persistent: outcome.spec.persistent, argv: outcome.argv, xml: outcome.xml }, null, 2));
  } else {
    io.stdout(outcome.argv === null ? outcome.xml : describeOutcome(outcome));
  }
  return 0;
}
