// Reasons an existing image file must not be written, even with --force, as for block devices (device-checks.ts):
// attached to a loop device (and perhaps mounted through it), a disk of a running libvirt domain, or held open for
// writing by another process (a QEMU started by hand, a dd). Matched by device and inode numbers, so a symlink, a
// hard link or another path to the same file is the same file. Each reason is named in the TARGET_BUSY error.
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import { domainsUsingPath, findDeviceUses, identifyDevice, listLoopDevices, REAL_KERNEL_VIEWS, type DeviceUse, type DomainDisksLookup, type KernelViews } from './device-checks.js';
import type { FileIdentity } from './file-lock.js';
import { describeWriters, findWriters } from './open-files.js';

export interface FileCheckOptions {
  readonly domainDisks?: DomainDisksLookup;
  readonly views?: KernelViews;
}

async function sameFile(path: string, identity: FileIdentity): Promise<boolean> {
  const st = await nodeFs.stat(path.replace(/ \(deleted\)$/, '')).catch(() => null);
  return st !== null && !st.isBlockDevice() && st.dev === identity.dev && st.ino === identity.ino;
}

/** Loop devices backed by the file; for each, what uses the loop device in turn (a mount, a holder). */
async function loopUses(path: string, identity: FileIdentity, views: KernelViews): Promise<DeviceUse[]> {
  const uses: DeviceUse[] = [];
  for (const loop of await listLoopDevices(views)) {
    if (!(await sameFile(loop.backingFile, identity))) continue;
    const node = `/dev/${loop.name}`;
    const device = await identifyDevice(node, loop.majorMinor, views).catch(() => null);
    const onTop = device ? (await findDeviceUses(device, { views })).filter((u) => u.kind !== 'read-only' && u.kind !== 'partition') : [];
    const what = `${path} is attached to the loop device ${node}${loop.offsetBytes ? ` at byte ${loop.offsetBytes}` : ''}`;
    uses.push({ kind: 'loop', message: `${what}${onTop.length ? ` (${onTop.map((u) => u.message.replace(/: [^:]*$/, '')).join('; ')})` : ''}: detach it first (losetup -d ${node}), after unmounting anything on it` });
  }
  return uses;
}

/** Every reason found (empty: the file may be written). */
export async function findFileUses(path: string, identity: FileIdentity, options: FileCheckOptions = {}): Promise<DeviceUse[]> {
  const views = options.views ?? REAL_KERNEL_VIEWS;
  const uses = await loopUses(path, identity, views);
  const writers = await findWriters((st) => !st.isBlockDevice() && st.dev === identity.dev && st.ino === identity.ino, { procRoot: views.procRoot, selfPid: process.pid });
  if (writers.length > 0) uses.push({ kind: 'open-for-writing', message: `${path} is open for writing by ${describeWriters(writers)}: stop it first` });
  if (options.domainDisks) {
    for (const domain of await domainsUsingPath(path, await options.domainDisks())) {
      uses.push({ kind: 'libvirt', message: `${path} is a disk of the running libvirt domain ${JSON.stringify(domain)}: detach it or shut the domain down first` });
    }
  }
  return uses;
}

/** Throws TARGET_BUSY naming every reason found; returns when the file may be written. */
export async function checkFileForWrite(path: string, identity: FileIdentity, options: FileCheckOptions = {}): Promise<void> {
  const uses = await findFileUses(path, identity, options);
  if (uses.length === 0) return;
  throw new GuestdiskError('TARGET_BUSY', `refusing to write ${path}: ${uses.map((u) => u.message).join('; ')}`, {
    path,
    reasons: uses.map((u) => u.kind),
    messages: uses.map((u) => u.message),
  });
}
