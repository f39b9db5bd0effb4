// Linux block devices as disks. Geometry comes from the kernel: the ioctls BLKGETSIZE64 / BLKSSZGET / BLKPBSZGET
// through the optional `ioctl` package, else sysfs. Opening for write first runs every refusal check
// (device-checks.ts) and then opens O_EXCL, so nothing is written to a device someone else uses. Zero ranges use
// BLKZEROOUT when available (a loop device turns it into fallocate; a disk into WRITE ZEROES), else large zero
// writes. Closing a written device fsyncs it and asks the kernel to re-read its partition table (BLKRRPART).
import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import type { LogicalSectorSize } from '../disk-types.js';
import { boundTarget, type BlockTarget } from './block-target.js';
import { checkDeviceForWrite, identifyDevice, majorMinorOf, type DomainDisksLookup, type KernelViews } from './device-checks.js';
import { blockIoctls, ioctlStatus, type BlockIoctls } from './ioctl.js';
import { wrapIoError } from './io-error.js';

/** Largest plain zero write; a device has no holes, so zero ranges are written, a block at a time. */
const ZERO_BLOCK_BYTES = 4 * 1024 * 1024;
/** Largest single BLKZEROOUT: the ioctl blocks the event loop until the device finishes the range. */
const ZEROOUT_CALL_BYTES = 64 * 1024 * 1024;
/** sysfs `size` is in 512-byte units whatever the device's sector size (Documentation/ABI, block/<disk>/size). */
const SYSFS_SIZE_UNIT = 512;

export type GeometrySource = 'ioctl' | 'sysfs';

export interface BlockDeviceGeometry {
  readonly sizeBytes: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
  readonly majorMinor: string;
  readonly readOnly: boolean;
  /** Where the three numbers came from. */
  readonly source: GeometrySource;
}

async function statBlockDevice(path: string): Promise<string> {
  let st: Awaited<ReturnType<typeof nodeFs.stat>>;
  try {
    st = await nodeFs.stat(path);
  } catch (e) {
    throw wrapIoError(e, `cannot stat ${path}`);
  }
  if (!st.isBlockDevice()) throw new GuestdiskError('INVALID_SPEC', `${path} is not a block device`, { path });
  return majorMinorOf(st.rdev);
}

async function readSysfs(base: string, names: string[]): Promise<string> {
  for (const name of names) {
    try {
      return (await nodeFs.readFile(`${base}/${name}`, 'utf8')).trim();
    } catch {
      // try the next place (a partition keeps its queue/ in the parent disk's directory)
    }
  }
  throw new GuestdiskError('IO_FAILED', `cannot read ${names[0]} under ${base}`, { path: `${base}/${names[0]}` });
}

interface RawGeometry { sizeBytes: number; logicalSectorSize: number; physicalSectorSize: number; source: GeometrySource }

async function sysfsGeometry(majorMinor: string): Promise<RawGeometry> {
  const base = `/sys/dev/block/${majorMinor}`;
  const size512 = Number(await readSysfs(base, ['size']));
  const logical = Number(await readSysfs(base, ['queue/logical_block_size', '../queue/logical_block_size']));
  const physical = Number(await readSysfs(base, ['queue/physical_block_size', '../queue/physical_block_size']));
  return { sizeBytes: size512 * SYSFS_SIZE_UNIT, logicalSectorSize: logical, physicalSectorSize: physical || logical, source: 'sysfs' };
}

function ioctlGeometry(ioctls: BlockIoctls, fd: number): RawGeometry {
  return {
    sizeBytes: ioctls.getSize64(fd),
    logicalSectorSize: ioctls.getLogicalSectorSize(fd),
    physicalSectorSize: ioctls.getPhysicalSectorSize(fd),
    source: 'ioctl',
  };
}

/** ioctl on an open descriptor when the package is there and answers; sysfs otherwise. */
async function kernelGeometry(majorMinor: string, fd: number | null): Promise<RawGeometry> {
  const ioctls = blockIoctls();
  if (ioctls && fd !== null) {
    try {
      return ioctlGeometry(ioctls, fd);
    } catch {
      // an ioctl refused here (an odd driver) is not fatal: sysfs knows the same numbers
    }
  }
  return sysfsGeometry(majorMinor);
}

function finishGeometry(path: string, majorMinor: string, raw: RawGeometry, readOnly: boolean): BlockDeviceGeometry {
  const logical = raw.logicalSectorSize;
  if (logical !== 512 && logical !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `${path} has ${logical}-byte logical sectors; guestdisk supports 512 and 4096`, { path, logicalSectorSize: logical });
  }
  return { sizeBytes: raw.sizeBytes, logicalSectorSize: logical, physicalSectorSize: raw.physicalSectorSize || logical, majorMinor, readOnly, source: raw.source };
}

/** Size and sector sizes from the kernel, without opening the device for writing (a plain O_RDONLY open). */
export async function readBlockDeviceGeometry(path: string): Promise<BlockDeviceGeometry> {
  const majorMinor = await statBlockDevice(path);
  const readOnly = (await readSysfs(`/sys/dev/block/${majorMinor}`, ['ro']).catch(() => '0')) === '1';
  let raw: RawGeometry;
  if (blockIoctls()) {
    const handle = await nodeFs.open(path, constants.O_RDONLY).catch(() => null);
    try {
      raw = await kernelGeometry(majorMinor, handle?.fd ?? null);
    } finally {
      await handle?.close();
    }
  } else {
    raw = await sysfsGeometry(majorMinor);
  }
  return finishGeometry(path, majorMinor, raw, readOnly);
}

/** What the kernel did with BLKRRPART after a write (see partitionRereadOf). */
export interface PartitionReread {
  /**
   * reread: the kernel re-read the table (partition nodes now match it); not-supported: the device does not
   * carry partitions in this kernel (EINVAL: device-mapper/LVM, a loop device without partscan), which is
   * expected; busy: a partition is still in use (EBUSY); unavailable: no ioctl package, nothing asked;
   * failed: any other error.
   */
  readonly status: 'reread' | 'not-supported' | 'busy' | 'unavailable' | 'failed';
  /** One sentence for the create summary. */
  readonly message: string;
  readonly errno: string | null;
}

const rereads = new WeakMap<BlockTarget, PartitionReread>();

/** After `close()` of a written block-device target: what BLKRRPART did; null if nothing was written or not a device. */
export function partitionRereadOf(target: BlockTarget): PartitionReread | null {
  return rereads.get(target) ?? null;
}

const WINDOWS_READS_ITSELF = 'Windows reads the partition table itself: no partition node is needed on this host';

export function rereadPartitionTable(ioctls: BlockIoctls | null, fd: number, path: string): PartitionReread {
  if (!ioctls) {
    return { status: 'unavailable', errno: null, message: `the kernel was not asked to re-read ${path}'s partition table (${ioctlStatus().reason}); ${WINDOWS_READS_ITSELF}` };
  }
  try {
    ioctls.rereadPartitions(fd);
    return { status: 'reread', errno: null, message: `the kernel re-read ${path}'s partition table` };
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (errno === 'EINVAL') {
      return { status: 'not-supported', errno, message: `${path} carries no kernel partitions (device-mapper/LVM, or a loop device without partscan), as expected; ${WINDOWS_READS_ITSELF}` };
    }
    if (errno === 'EBUSY') return { status: 'busy', errno, message: `the kernel did not re-read ${path}'s partition table (EBUSY: a partition is in use); ${WINDOWS_READS_ITSELF}` };
    return { status: 'failed', errno, message: `re-reading ${path}'s partition table failed (${errno}); ${WINDOWS_READS_ITSELF}` };
  }
}

export interface BlockDeviceOptions {
  readonly path: string;
  readonly mode: 'read' | 'write';
  /** Write mode: allow a partition of a bigger disk (the only refusal --force lifts). */
  readonly force?: boolean;
  /** Write mode: disks of running libvirt domains (host/virsh.ts, injected: target/ runs nothing). */
  readonly domainDisks?: DomainDisksLookup;
  /** Tests only: a fake /sys and /proc for the refusal checks. */
  readonly kernelViews?: KernelViews;
}

export async function openBlockDeviceTarget(options: BlockDeviceOptions): Promise<BlockTarget> {
  const { path } = options;
  const write = options.mode === 'write';
  const majorMinor = await statBlockDevice(path);
  const identity = await identifyDevice(path, majorMinor, options.kernelViews);
  if (write) await checkDeviceForWrite(identity, { force: options.force, domainDisks: options.domainDisks, views: options.kernelViews });

  const flags = write ? constants.O_RDWR | constants.O_EXCL : constants.O_RDONLY;
  const handle = await nodeFs.open(path, flags).catch((e: unknown) => {
    const err = wrapIoError(e, `cannot open ${path}${write ? ' exclusively' : ''}`);
    if ((e as NodeJS.ErrnoException)?.code === 'EBUSY') {
      throw new GuestdiskError('TARGET_BUSY', `refusing to write ${path}: another process or kernel user holds it open exclusively (EBUSY on O_EXCL)`, { path, majorMinor, reasons: ['exclusive-open'] }, { cause: e });
    }
    if (write && (e as NodeJS.ErrnoException)?.code === 'EROFS') {
      throw new GuestdiskError('TARGET_BUSY', `refusing to write ${path}: the kernel opens it read-only only (EROFS)`, { path, majorMinor, reasons: ['read-only'] }, { cause: e });
    }
    throw err;
  });

  let g: BlockDeviceGeometry;
  const ioctls = blockIoctls();
  try {
    g = finishGeometry(path, majorMinor, await kernelGeometry(majorMinor, handle.fd), identity.readOnly);
  } catch (e) {
    await handle.close();
    throw e;
  }

  let written = false;
  let zeroOutWorks = ioctls !== null;
  const writeAll = async (offsetBytes: number, bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offsetBytes + done);
      if (bytesWritten <= 0) throw new GuestdiskError('IO_FAILED', `short write to ${path} at byte ${offsetBytes + done}`, { path, offsetBytes: offsetBytes + done });
      done += bytesWritten;
    }
  };
  const writeZeroBlocks = async (offsetBytes: number, lengthBytes: number): Promise<void> => {
    const zeros = new Uint8Array(Math.min(ZERO_BLOCK_BYTES, lengthBytes));
    const end = offsetBytes + lengthBytes;
    for (let at = offsetBytes; at < end; at += zeros.length) {
      await writeAll(at, zeros.subarray(0, Math.min(zeros.length, end - at))).catch((e: unknown) => {
        throw wrapIoError(e, `cannot write zeros to ${path} at byte ${at}`);
      });
    }
  };

  const sync = async (): Promise<void> => {
    await handle.sync().catch((e: unknown) => { throw wrapIoError(e, `cannot flush ${path}`); });
  };
  const target = boundTarget({
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
      written = true;
      await writeAll(offsetBytes, bytes).catch((e: unknown) => { throw wrapIoError(e, `cannot write ${path} at byte ${offsetBytes}`); });
    },
    async writeZeros(offsetBytes, lengthBytes) {
      written = true;
      const end = offsetBytes + lengthBytes;
      let at = offsetBytes;
      while (zeroOutWorks && ioctls && at < end) {
        const n = Math.min(ZEROOUT_CALL_BYTES, end - at);
        try {
          // Goes around the page cache and drops its pages in the range, so earlier buffered writes there
          // cannot land on top of these zeros later.
          ioctls.zeroOut(handle.fd, at, n);
          at += n;
        } catch {
          zeroOutWorks = false; // EOPNOTSUPP and friends: write zero blocks from here on
        }
      }
      if (at < end) await writeZeroBlocks(at, end - at);
    },
    flush: sync,
    flushBehind: sync, // for a device, flushing behind is a whole flush: there is no cheaper write-back to ask for
    async close() {
      try {
        if (write && written) {
          await sync();
          rereads.set(target, rereadPartitionTable(ioctls, handle.fd, path));
        }
      } finally {
        await handle.close();
      }
    },
  });
  return target;
}
