// LVM and libvirt around `create` (the attach step itself is attach.ts's): the steps of the seed guide's recipe
// that are not bytes on a disk. Programs run through host/run.ts with the CLI's environment (so PATH decides which
// lvcreate, lvs and virsh run: the tests put stand-ins first). Notes go to stderr; stdout stays for the result.
import { GuestdiskError } from '../errors.js';
import { ensureLogicalVolume, isExtentsSize, parseLvName, type LvSize } from '../host/lvm.js';
import { readVolumeGroup } from '../host/volume-group.js';
import { listRunningDomainDisks } from '../host/virsh.js';
import { parseSize } from '../plan/spec.js';
import type { DomainDisksLookup } from '../target/device-checks.js';
import { checkAttachOptions } from './attach.js';
import { waitForDeviceNode } from './device-node.js';
import { onPath, runnerFor } from './host-runner.js';
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

/** --size as lvcreate takes it; "+HEADROOM" (content-sized: the CLI works the size out) is null here. */
function lvSizeOf(text: string | undefined): LvSize | null {
  if (text === undefined || text.trim().startsWith('+')) return null;
  if (isExtentsSize(text)) return { extents: text.trim().toUpperCase() };
  return { bytes: parseSize(text) };
}

export interface PreparedLv {
  /** "VG/LV" */
  readonly name: string;
  readonly path: string;
  /** lvcreate made it in this run (else an existing LV reused with --force). */
  readonly created: boolean;
}

/** `create --lvm VG/LV`: makes (or, with --force, reuses) the LV; `contentSizedBytes` (--size +HEADROOM, worked
 *  out in whole units of lvSizeUnitOf) replaces --size. */
export async function prepareLvm(options: HostOptions, io: CliIo, contentSizedBytes: number | null = null): Promise<PreparedLv> {
  if (options.lvm === undefined) throw new GuestdiskError('INVALID_SPEC', 'prepareLvm needs --lvm VG/LV');
  const name = parseLvName(options.lvm);
  const size = contentSizedBytes !== null ? { bytes: contentSizedBytes } : lvSizeOf(options.size);
  const { volume, created } = await ensureLogicalVolume(runnerFor(io), name, size, options.force ?? false);
  await waitForDeviceNode(volume.path, `logical volume ${name.vg}/${name.lv}`);
  if (created) {
    io.stderr(`created logical volume ${name.vg}/${name.lv}: ${volume.path} (${volume.sizeBytes} bytes)`);
  } else {
    const differs = size !== null && 'bytes' in size && size.bytes !== volume.sizeBytes;
    io.stderr(`using the existing logical volume ${name.vg}/${name.lv}: ${volume.path} (${volume.sizeBytes} bytes${differs ? `, not resized to --size ${options.size}` : ''})`);
  }
  return { name: `${name.vg}/${name.lv}`, path: volume.path, created };
}

/** `create --lvm VG/LV --size +HEADROOM`: the VG's extent size, which the LV's size is a whole number of (vgs). */
export async function lvExtentBytes(options: HostOptions, io: CliIo): Promise<number> {
  if (options.lvm === undefined) throw new GuestdiskError('INVALID_SPEC', 'lvExtentBytes needs --lvm VG/LV');
  return (await readVolumeGroup(runnerFor(io), parseLvName(options.lvm).vg)).extentBytes;
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

/**
 * Everything about --attach / --print-xml / --lvm that can be wrong without running anything: call before
 * planning, so a typo in --bus or --target-dev fails before the disk is written, not after.
 */
export function checkHostOptions(options: HostOptions, io?: CliIo): void {
  if (options.lvm !== undefined) {
    parseLvName(options.lvm);
    lvSizeOf(options.size);
  }
  if (options.attach === undefined) {
    // Options that only shape the attach: without it they would do nothing, silently.
    const idle = ([['--target-dev', options.targetDev], ['--bus', options.bus], ['--cache', options.cache], ['--persistent', options.persistent], ['--print-xml', options.printXml]] as const)
      .filter(([, value]) => value !== undefined && value !== false).map(([flag]) => flag);
    if (idle.length > 0) throw new GuestdiskError('INVALID_SPEC', `${idle.join(', ')} only ${idle.length > 1 ? 'apply' : 'applies'} with --attach DOMAIN: add --attach, or drop ${idle.length > 1 ? 'them' : 'it'}`, { options: idle });
    return;
  }
  checkAttachOptions(options.attach, options);
  if (options.attach === '') throw new GuestdiskError('INVALID_SPEC', '--attach needs a libvirt domain name');
  // Checked now, not after the disk is written: without virsh the last step could only fail.
  if (!options.printXml && io && !onPath('virsh', io.env.PATH)) {
    throw new GuestdiskError('HOST_COMMAND_FAILED', '--attach needs virsh (Debian: libvirt-clients), which is not on PATH; nothing was written: install it, or add --print-xml to get the <disk> XML and attach it yourself', { program: 'virsh', spawnError: 'ENOENT' });
  }
}

export { attachAfterCreate } from './attach.js';
