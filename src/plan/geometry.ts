// Geometry: sector arithmetic and the 1 MiB partition alignment Windows (since Vista), parted and sgdisk use.
import { GuestdiskError } from '../errors.js';
import type { Geometry } from '../disk-types.js';

export const MIB = 1024 * 1024;
/** Partitions start and end on 1 MiB boundaries: good for every physical sector, RAID stripe and SSD page. */
export const PARTITION_ALIGNMENT_BYTES = MIB;

export function validateGeometry(g: Geometry): void {
  if (g === null || typeof g !== 'object') throw new GuestdiskError('INVALID_SPEC', `the geometry must be an object, got ${g === null ? 'null' : typeof g}`);
  if (g.logicalSectorSize !== 512 && g.logicalSectorSize !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `logical sector size ${String(g.logicalSectorSize)} is not supported: use 512 or 4096`);
  }
  if (!Number.isSafeInteger(g.sizeBytes) || g.sizeBytes <= 0) {
    throw new GuestdiskError('INVALID_SPEC', `disk size must be a positive safe integer, got ${String(g.sizeBytes)}`);
  }
  if (g.sizeBytes % g.logicalSectorSize !== 0) {
    throw new GuestdiskError('INVALID_SPEC', `disk size ${g.sizeBytes} is not a multiple of the ${g.logicalSectorSize}-byte sector`, {
      sizeBytes: g.sizeBytes,
      logicalSectorSize: g.logicalSectorSize,
    });
  }
  if (!Number.isSafeInteger(g.physicalSectorSize) || g.physicalSectorSize < g.logicalSectorSize) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `physical sector size ${g.physicalSectorSize} is smaller than the logical ${g.logicalSectorSize}`);
  }
}

export function sizeLba(g: Geometry): number {
  return g.sizeBytes / g.logicalSectorSize;
}

export function alignmentLba(g: Geometry): number {
  return PARTITION_ALIGNMENT_BYTES / g.logicalSectorSize;
}

/** Largest multiple of `align` ≤ value. */
export function alignDown(value: number, align: number): number {
  return Math.floor(value / align) * align;
}

export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
