// `guestdisk attach DISK DOMAIN` and the attach step of `create --attach`: checks that need libvirt (the domain
// exists and its state, the target name is free, no other running domain uses the disk, no disk of the domain has
// the same GPT disk GUID or MBR signature), then virsh. A shut-off domain gets the disk in its configuration.
// Notes go to stderr; stdout stays for the result / JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { GuestdiskError, hex } from '../errors.js';
import { attachDisk, attachModeFor, needsDeviceXml, diskXml, domainDisks, domainState, listRunningDomainDisks, resolveAttachSpec, type AttachMode, type AttachSpec, type DomainDisk } from '../host/virsh.js';
import { detectSectorSize } from '../inspect/sector-size.js';
import { decodeGptHeader } from '../partition/gpt-header.js';
import { MBR_BOOT_SIGNATURE, readMbr } from '../partition/mbr.js';
import { domainsUsingPath } from '../target/device-checks.js';
import { describeTarget, openTargetForRead } from '../target/open-target.js';
import { runnerFor } from './host-runner.js';
import type { CliIo } from './io.js';

export interface AttachOptions {
  targetDev?: string;
  bus?: string;
  cache?: string;
  persistent?: boolean;
  printXml?: boolean;
  json?: boolean;
}

/** The identity Windows keys a disk by: its GPT disk GUID, or its MBR disk signature. */
export interface DiskIdentity {
  readonly logicalSectorSize: 512 | 4096;
  readonly id: string | null;
}

const MBR_PROTECTIVE_TYPE = 0xee;

/** Reads the disk's sector size and identity; null identity when it has neither table (or cannot be read). */
export async function readDiskIdentity(path: string): Promise<DiskIdentity> {
  const info = await describeTarget(path);
  const disk = await openTargetForRead(path);
  try {
    const logicalSectorSize = info.kind === 'block-device' ? disk.logicalSectorSize : (await detectSectorSize(disk)).logicalSectorSize;
    if (disk.sizeBytes < 2 * logicalSectorSize) return { logicalSectorSize, id: null };
    const mbr = readMbr(await disk.read(0, 512));
    if (mbr.signature !== MBR_BOOT_SIGNATURE) return { logicalSectorSize, id: null };
    if (mbr.partitionRecords.some((r) => r.osType === MBR_PROTECTIVE_TYPE)) {
      try {
        return { logicalSectorSize, id: `GPT disk GUID ${decodeGptHeader(await disk.read(logicalSectorSize, 92)).diskGuid}` };
      } catch {
        return { logicalSectorSize, id: null };
      }
    }
    return { logicalSectorSize, id: mbr.uniqueMbrDiskSignature === 0 ? null : `MBR disk signature ${hex(mbr.uniqueMbrDiskSignature)}` };
  } finally {
    await disk.close();
  }
}

/** The identity of a disk of the domain, or null when it cannot be read (a qcow2, a path gone, no permission). */
async function identityOrNull(path: string): Promise<string | null> {
  try {
    return (await readDiskIdentity(path)).id;
  } catch {
    return null;
  }
}

function attachSpecFor(source: string, kind: 'file' | 'block-device', domain: string, options: AttachOptions, logicalSectorSize: 512 | 4096): AttachSpec {
  return resolveAttachSpec({
    domain,
    // libvirt opens the source itself, from its own working directory: always an absolute path
    source: resolvePath(source),
    sourceKind: kind === 'block-device' ? 'block' : 'file',
    targetDev: options.targetDev,
    bus: options.bus,
    cache: options.cache,
    persistent: options.persistent,
    logicalSectorSize,
  });
}

/** Validates --target-dev/--bus/--cache without running anything (create calls it before writing). */
export function checkAttachOptions(domain: string, options: AttachOptions): void {
  attachSpecFor('/dev/null', 'block-device', domain, options, 512);
}

async function refuseIfAttachedElsewhere(spec: AttachSpec, io: CliIo): Promise<void> {
  const list = await listRunningDomainDisks(runnerFor(io));
  if (!list.checked) return; // the attach itself will report a missing virsh or libvirt
  const users = await domainsUsingPath(spec.source, list.disks);
  if (users.length > 0) {
    throw new GuestdiskError('TARGET_BUSY', `${spec.source} is already a disk of the running domain${users.length > 1 ? 's' : ''} ${users.map((u) => JSON.stringify(u)).join(', ')}: a disk attached twice is corrupted by both writers; detach it there first (virsh detach-disk)`, { path: spec.source, domains: users });
  }
}

/** A guest name the domain does not use yet, of the same kind (vdX, sdX) as `taken`'s. */
function freeTargetLike(targetDev: string, used: readonly string[]): string | null {
  const prefix = targetDev.replace(/[a-z]$/, '');
  for (let c = 'b'.charCodeAt(0); c <= 'z'.charCodeAt(0); c++) {
    const name = `${prefix}${String.fromCharCode(c)}`;
    if (!used.includes(name)) return name;
  }
  return null;
}

function refuseTargetInUse(spec: AttachSpec, disks: readonly DomainDisk[]): void {
  const clash = disks.find((d) => d.target === spec.targetDev);
  if (!clash) return;
  const free = freeTargetLike(spec.targetDev, disks.map((d) => d.target));
  throw new GuestdiskError('INVALID_SPEC', `domain ${JSON.stringify(spec.domain)} already has a disk ${spec.targetDev} (${clash.source}): choose another --target-dev${free ? `, e.g. ${free}` : ''}`, { domain: spec.domain, targetDev: spec.targetDev, usedBy: clash.source });
}

async function refuseIdentityCollision(spec: AttachSpec, id: string | null, disks: readonly DomainDisk[]): Promise<void> {
  if (id === null) return;
  for (const disk of disks) {
    if (resolvePath(disk.source) === spec.source) continue;
    if ((await identityOrNull(disk.source)) === id) {
      throw new GuestdiskError('INVALID_SPEC', `${spec.source} has the same ${id} as ${disk.source}, the domain's disk ${disk.target}: Windows takes one of two such disks offline ("signature collision"). Make one of them again with another --seed (the same seed gives the same GUIDs and serials)`, { path: spec.source, collidesWith: disk.source, identity: id });
    }
  }
}

interface AttachOutcome {
  readonly spec: AttachSpec;
  readonly xml: string;
  /** The virsh argv run; null with --print-xml. */
  readonly argv: readonly string[] | null;
  readonly mode: AttachMode | null;
}

async function attachOrPrint(path: string, kind: 'file' | 'block-device', domain: string, options: AttachOptions, io: CliIo): Promise<AttachOutcome> {
  const identity = await readDiskIdentity(path);
  const spec = attachSpecFor(path, kind, domain, options, identity.logicalSectorSize);
  const xml = diskXml(spec);
  if (options.printXml) return { spec, xml, argv: null, mode: null };
  if (spec.domain === '') throw new GuestdiskError('INVALID_SPEC', 'attaching needs a libvirt domain (--attach DOMAIN)');
  const runner = runnerFor(io);
  const state = await domainState(runner, spec.domain); // an unknown domain fails here, with what to do
  const mode = attachModeFor(spec, state === 'running' || state === 'paused');
  await refuseIfAttachedElsewhere(spec, io);
  const disks = await domainDisks(runner, spec.domain, mode === 'config');
  refuseTargetInUse(spec, disks);
  await refuseIdentityCollision(spec, identity.id, disks);
  const argv = needsDeviceXml(spec) ? await withXmlFile(xml, (file) => attachDisk(runner, spec, mode, file)) : await attachDisk(runner, spec, mode);
  return { spec, xml, argv, mode };
}

/** Runs `use` with the XML in a private temporary file, removed afterwards. */
async function withXmlFile<T>(xml: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'guestdisk-attach-'));
  try {
    const file = join(dir, 'disk.xml');
    writeFileSync(file, `${xml}\n`, { mode: 0o600 });
    return await use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeOutcome(o: AttachOutcome): string {
  const s = o.spec;
  const where = o.mode === 'config'
    ? 'to the configuration of the shut-off domain: the guest sees it at its next start'
    : o.mode === 'persistent' ? 'now and in its configuration' : 'until the domain stops: add --persistent to keep it';
  return `attached ${s.source} to domain ${JSON.stringify(s.domain)} as ${s.targetDev} (bus ${s.bus}, cache ${s.cache}${s.logicalSectorSize !== 512 ? `, ${s.logicalSectorSize}-byte sectors` : ''}), ${where}`;
}

/** `create --attach DOMAIN` / `--print-xml`: after a successful format, attach the disk to the VM (or print the XML). */
export async function attachAfterCreate(path: string, kind: 'file' | 'block-device', options: AttachOptions & { attach?: string }, io: CliIo): Promise<void> {
  const outcome = await attachOrPrint(path, kind, options.attach ?? '', options, io);
  // With --json, stdout is the create result alone; the XML and the note go to stderr.
  if (outcome.argv !== null) io.stderr(describeOutcome(outcome));
  else if (options.json) io.stderr(outcome.xml);
  else io.stdout(outcome.xml);
}

/** `guestdisk attach DISK DOMAIN`. */
export async function runAttach(path: string, domain: string, options: AttachOptions, io: CliIo): Promise<number> {
  const info = await describeTarget(path);
  if (!info.exists) throw new GuestdiskError('INVALID_SPEC', `${path} does not exist: attach needs a block device or an image file made by guestdisk create`, { path });
  const outcome = await attachOrPrint(path, info.kind, domain, options, io);
  const s = outcome.spec;
  if (options.json) {
    io.stdout(JSON.stringify({ attached: outcome.argv !== null, domain: s.domain, source: s.source, sourceType: s.sourceKind, targetDev: s.targetDev, bus: s.bus, cache: s.cache, persistent: s.persistent, mode: outcome.mode, logicalSectorSize: s.logicalSectorSize, argv: outcome.argv, xml: outcome.xml }, null, 2));
  } else {
    io.stdout(outcome.argv === null ? outcome.xml : describeOutcome(outcome));
  }
  return 0;
}
