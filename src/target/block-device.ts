// Linux block devices as disks: geometry from the kernel (sysfs), opened O_EXCL so that a mounted or otherwise
// claimed device answers EBUSY (TARGET_BUSY) before anything is written. Writes are sector-aligned (checked in
// block-target.ts); zero ranges are written as large zero blocks, since a device has no holes.
import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import type { LogicalSectorSize } from '../plan/layout.js';
import { boundTarget, type BlockTarget } from './block-target.js';
import { wrapIoError } from './io-error.js';

const ZERO_BLOCK_BYTES = 4 * 1024 * 1024;
/** sysfs `size` is in 512-byte units whatever the device's sector size. */
const SYSFS_SIZE_UNIT = 512;

export interface BlockDeviceGeometry {
  readonly sizeBytes: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
  readonly majorMinor: string;
  readonly readOnly: boolean;
}

function majorMinorOf(rdev: number): string {
  // Linux dev_t encoding (glibc gnu_dev_major/minor).
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return `${major}:${minor}`;
}

async function readSysfs(base: string, names: string[]): Promise<string> {
  for (const name of names) {
    try {
      return (await nodeFs.readFile(`${base}/${name}`, 'utf8')).trim();
    } catch {
      // try the next place (a partition keeps its queue/ in the parent disk's directory)
    }
  }
  throw new GuestdiskError('IO_FAILED', `cannot read ${names[0]} under ${base}`);
}

/** Size and sector sizes from sysfs (/sys/dev/block/MAJ:MIN). */
export async function readBlockDeviceGeometry(path: string): Promise<BlockDeviceGeometry> {
  let rdev: number;
  try {
    const st = await nodeFs.stat(path);
    if (!st.isBlockDevice()) throw new GuestdiskError('INVALID_SPEC', `${path} is not a block device`, { path });
    rdev = st.rdev;
  } catch (e) {
    throw wrapIoError(e, `cannot stat ${path}`);
  }
  const majorMinor = majorMinorOf(rdev);
  const base = `/sys/dev/block/${majorMinor}`;
  const size512 = Number(await readSysfs(base, ['size']));
  const logical = Number(await readSysfs(base, ['queue/logical_block_size', '../queue/logical_block_size']));
  const physical = Number(await readSysfs(base, ['queue/physical_block_size', '../queue/physical_block_size']));
  const ro = (await readSysfs(base, ['ro']).catch(() => '0')) === '1';
  if (logical !== 512 && logical !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `${path} has ${logical}-byte logical sectors; guestdisk supports 512 and 4096`, { path, logicalSectorSize: logical });
  }
  return { sizeBytes: size512 * SYSFS_SIZE_UNIT, logicalSectorSize: logical, physicalSectorSize: physical || logical, majorMinor, readOnly: ro };
}

export interface BlockDeviceOptions {
  readonly path: string;
  readonly mode: 'read' | 'write';
}

export async function openBlockDeviceTarget(options: BlockDeviceOptions): Promise<BlockTarget> {
  const { path } = options;
  const g = await readBlockDeviceGeometry(path);
  if (options.mode === 'write' && g.readOnly) {
    throw new GuestdiskError('TARGET_BUSY', `${path} is read-only (sysfs ro=1)`, { path });
  }
  const flags = options.mode === 'write' ? constants.O_RDWR | constants.O_EXCL : constants.O_RDONLY;
  const handle = await nodeFs.open(path, flags).catch((e: unknown) => {
    throw wrapIoError(e, `cannot open ${path}${options.mode === 'write' ? ' exclusively' : ''}`);
  });
  const writeAll = async (offsetBytes: number, bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offsetBytes + done);
      if (bytesWritten <= 0) throw new GuestdiskError('IO_FAILED', `short write to ${path} at byte ${offsetBytes + done}`);
      done += bytesWritten;
    }
  };
  return boundTarget({
    sizeBytes: g.sizeBytes,
    logicalSectorSize: g.logicalSectorSize,
    physicalSectorSize: g.physicalSectorSize,
    description: path,
    requiresAlignment: true,
    async read(offsetBytes, lengthBytes) {
      const out = new Uint8Array(lengthBytes);
      let done = 0;
      try {
        while (done < lengthBytes) {
          const { bytesRead } = await handle.read(out, done, lengthBytes - done, offsetBytes + done);
          if (bytesRead <= 0) break;
          done += bytesRead;
        }
      } catch (e) {
        throw wrapIoError(e, `cannot read ${path} at byte ${offsetBytes}`);
      }
      return out;
    },
    async write(offsetBytes, bytes) {
      await writeAll(offsetBytes, bytes).catch((e: unknown) => { throw wrapIoError(e, `cannot write ${path} at byte ${offsetBytes}`); });
    },
    async writeZeros(offsetBytes, lengthBytes) {
      const zeros = new Uint8Array(Math.min(ZERO_BLOCK_BYTES, lengthBytes));
      const end = offsetBytes + lengthBytes;
      for (let at = offsetBytes; at < end; at += zeros.length) {
        await writeAll(at, zeros.subarray(0, Math.min(zeros.length, end - at))).catch((e: unknown) => {
          throw wrapIoError(e, `cannot write zeros to ${path} at byte ${at}`);
        });
      }
    },
    async flush() {
      await handle.sync().catch((e: unknown) => { throw wrapIoError(e, `cannot flush ${path}`); });
    },
    async close() {
      await handle.close();
    },
  });
}
