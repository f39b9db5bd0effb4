// Chooses the target kind from what the path is: a block device, or an image file (existing or to be made).
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import type { Geometry, LogicalSectorSize } from '../disk-types.js';
import type { BlockTarget } from './block-target.js';
import { openBlockDeviceTarget, readBlockDeviceGeometry } from './block-device.js';
import { openFileTarget, probeFile } from './file-target.js';
import { wrapIoError } from './io-error.js';
import type { DomainDisksLookup } from './device-checks.js';

export type TargetKind = 'file' | 'block-device';

export interface TargetInfo {
  readonly kind: TargetKind;
  readonly path: string;
  readonly exists: boolean;
  /** Current size (0 for a file that does not exist yet). */
  readonly currentSizeBytes: number;
  /** Kernel's sector sizes for block devices; null for files. */
  readonly logicalSectorSize: LogicalSectorSize | null;
  readonly physicalSectorSize: number | null;
}

/** Looks at the path without opening it for writing. */
export async function describeTarget(path: string): Promise<TargetInfo> {
  let st: Awaited<ReturnType<typeof nodeFs.stat>> | null = null;
  try {
    st = await nodeFs.stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw wrapIoError(e, `cannot stat ${path}`);
    await refuseDanglingLink(path);
  }
  if (st?.isBlockDevice()) {
    const g = await readBlockDeviceGeometry(path);
    return { kind: 'block-device', path, exists: true, currentSizeBytes: g.sizeBytes, logicalSectorSize: g.logicalSectorSize, physicalSectorSize: g.physicalSectorSize };
  }
  if (st?.isCharacterDevice()) throw new GuestdiskError('INVALID_SPEC', `${path} is a character device, not a block device or image file`, { path });
  const probe = await probeFile(path);
  return { kind: 'file', path, exists: probe.exists, currentSizeBytes: probe.currentSizeBytes, logicalSectorSize: null, physicalSectorSize: null };
}

/** A symlink whose target does not exist: creating "through" it would make a file somewhere else, or fail. */
async function refuseDanglingLink(path: string): Promise<void> {
  const link = await nodeFs.readlink(path).catch(() => null);
  if (link === null) return;
  throw new GuestdiskError('INVALID_SPEC', `${path} is a symbolic link to ${link}, which does not exist: give the path of the image itself, or remove the link`, { path, link });
}

/** Removes an image file this run created; false when it could not (the error is the run's, not this one's). */
export async function removeImageFile(path: string): Promise<boolean> {
  return nodeFs.rm(path, { force: true }).then(() => true, () => false);
}

export interface GeometryRequest {
  readonly sizeBytes?: number;
  readonly logicalSectorSize?: LogicalSectorSize;
}

/** The geometry a create will plan for: from the kernel for devices, from --size / the file otherwise. */
export function resolveGeometry(info: TargetInfo, request: GeometryRequest): Geometry {
  if (info.kind === 'block-device') {
    if (request.sizeBytes !== undefined && request.sizeBytes !== info.currentSizeBytes) {
      throw new GuestdiskError('INVALID_SPEC', `--size ${request.sizeBytes} disagrees with ${info.path}, which has ${info.currentSizeBytes} bytes`, { sizeBytes: request.sizeBytes, deviceSizeBytes: info.currentSizeBytes });
    }
    if (request.logicalSectorSize !== undefined && request.logicalSectorSize !== info.logicalSectorSize) {
      throw new GuestdiskError('INVALID_SPEC', `--sector-size ${request.logicalSectorSize} disagrees with ${info.path}, whose logical sectors are ${info.logicalSectorSize} bytes`, { sectorSize: request.logicalSectorSize });
    }
    if (info.currentSizeBytes === 0) {
      throw new GuestdiskError('INVALID_SPEC', `${info.path} is an empty block device (0 bytes; e.g. a loop device with no file attached): attach or choose a device that has a size`, { path: info.path });
    }
    return { sizeBytes: info.currentSizeBytes, logicalSectorSize: info.logicalSectorSize!, physicalSectorSize: info.physicalSectorSize! };
  }
  if (info.exists && info.currentSizeBytes === 0 && request.sizeBytes === undefined) {
    throw new GuestdiskError('INVALID_SPEC', `${info.path} is an empty file (0 bytes): give --size to make it a disk of that size`, { path: info.path });
  }
  const sizeBytes = request.sizeBytes ?? info.currentSizeBytes;
  if (!info.exists && request.sizeBytes === undefined) {
    throw new GuestdiskError('INVALID_SPEC', `${info.path} does not exist: give --size to create it`, { path: info.path });
  }
  const logicalSectorSize = request.logicalSectorSize ?? 512;
  return { sizeBytes, logicalSectorSize, physicalSectorSize: logicalSectorSize };
}

export async function openTargetForWrite(info: TargetInfo, geometry: Geometry, options: { force: boolean; domainDisks?: DomainDisksLookup }): Promise<BlockTarget> {
  if (info.kind === 'block-device') return openBlockDeviceTarget({ path: info.path, mode: 'write', force: options.force, domainDisks: options.domainDisks });
  return openFileTarget({
    path: info.path,
    mode: 'write',
    sizeBytes: geometry.sizeBytes,
    logicalSectorSize: geometry.logicalSectorSize,
    grow: options.force || info.currentSizeBytes === 0, // an empty file holds nothing to keep
    // An existing image is rewritten whole: truncating it makes every old byte a hole (no stale signature
    // survives, nothing is written twice).
    reset: info.exists && options.force,
  });
}

export async function openTargetForRead(path: string, options: { logicalSectorSize?: LogicalSectorSize } = {}): Promise<BlockTarget> {
  const info = await describeTarget(path);
  if (!info.exists) throw new GuestdiskError('IO_FAILED', `${path} does not exist`, { path });
  if (info.kind === 'block-device') return openBlockDeviceTarget({ path, mode: 'read' });
  return openFileTarget({ path, mode: 'read', logicalSectorSize: options.logicalSectorSize ?? 512 });
}
