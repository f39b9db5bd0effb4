// Image files as disks: created sparse, grown only when asked, never shrunk. Ranges that are still holes
// (created or grown by this open, not written since) need no zeros, so a new 16 TiB image costs only what is
// written. The fs is injected (node:fs/promises, or memfs in tests).
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import type { LogicalSectorSize } from '../disk-types.js';
import { boundTarget, type BlockTarget } from './block-target.js';
import { wrapIoError } from './io-error.js';

/** The part of fs/promises a FileTarget uses (memfs's `promises` has the same shape). */
export interface FileHandleLike {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(len?: number): Promise<void>;
  sync(): Promise<void>;
  datasync?(): Promise<void>;
  close(): Promise<void>;
}
export interface FsPromisesLike {
  open(path: string, flags: string, mode?: number): Promise<FileHandleLike>;
  unlink?(path: string): Promise<void>;
  stat(path: string): Promise<{ size: number; isFile(): boolean; isDirectory(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }>;
}

export interface FileTargetOptions {
  readonly path: string;
  readonly mode: 'read' | 'write';
  /** Required when the file does not exist yet; otherwise the file's size is used. */
  readonly sizeBytes?: number;
  readonly logicalSectorSize?: LogicalSectorSize;
  /** Write mode: allow growing an existing smaller file to `sizeBytes`. */
  readonly grow?: boolean;
  /** Write mode: the whole image is being rewritten — truncate to 0 and back, so every old byte is a hole. */
  readonly reset?: boolean;
  readonly fs?: FsPromisesLike;
}

const ZERO_BLOCK_BYTES = 4 * 1024 * 1024;

/** What `openFileTarget` would do with this file, decided without touching it (for planning). */
export interface FileTargetProbe {
  readonly exists: boolean;
  readonly currentSizeBytes: number;
}

export async function probeFile(path: string, fs: FsPromisesLike = nodeFs as unknown as FsPromisesLike): Promise<FileTargetProbe> {
  try {
    const st = await fs.stat(path);
    if (st.isDirectory()) throw new GuestdiskError('INVALID_SPEC', `${path} is a directory, not an image file or block device`, { path });
    if (!st.isFile()) throw new GuestdiskError('INVALID_SPEC', `${path} is neither a regular file nor a block device`, { path });
    return { exists: true, currentSizeBytes: st.size };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, currentSizeBytes: 0 };
    if (e instanceof GuestdiskError) throw e;
    throw wrapIoError(e, `cannot stat ${path}`);
  }
}

export async function openFileTarget(options: FileTargetOptions): Promise<BlockTarget> {
  const fs = options.fs ?? (nodeFs as unknown as FsPromisesLike);
  const { path } = options;
  const sector = options.logicalSectorSize ?? 512;
  if (sector !== 512 && sector !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `logical sector size ${String(sector)} is not supported: use 512 or 4096`);
  }
  if (options.sizeBytes !== undefined && (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes <= 0 || options.sizeBytes % sector !== 0)) {
    throw new GuestdiskError('INVALID_SPEC', `size ${String(options.sizeBytes)} is not a positive safe multiple of the ${sector}-byte sector`, { sizeBytes: String(options.sizeBytes) });
  }
  const probe = await probeFile(path, fs);
  if (options.mode === 'read') {
    if (!probe.exists) throw new GuestdiskError('IO_FAILED', `${path} does not exist`, { path });
    const handle = await fs.open(path, 'r').catch((e: unknown) => { throw wrapIoError(e, `cannot open ${path}`); });
    const size = probe.currentSizeBytes - (probe.currentSizeBytes % sector);
    return boundTarget(makeRaw(handle, path, size, sector, null));
  }

  const size = options.sizeBytes ?? probe.currentSizeBytes;
  if (!probe.exists && options.sizeBytes === undefined) {
    throw new GuestdiskError('INVALID_SPEC', `${path} does not exist: give --size to create it`, { path });
  }
  if (size % sector !== 0 || size <= 0) {
    throw new GuestdiskError('INVALID_SPEC', `size ${size} is not a positive multiple of the ${sector}-byte sector`, { sizeBytes: size });
  }
  if (probe.exists && size < probe.currentSizeBytes) {
    throw new GuestdiskError('INVALID_SPEC', `${path} is ${probe.currentSizeBytes} bytes, larger than the requested ${size}: guestdisk never shrinks a file`, {
      path,
      currentSizeBytes: probe.currentSizeBytes,
      sizeBytes: size,
    });
  }
  if (probe.exists && size > probe.currentSizeBytes && !options.grow) {
    throw new GuestdiskError('TARGET_HAS_DATA', `${path} exists with ${probe.currentSizeBytes} bytes; growing it to ${size} needs --force`, {
      path,
      currentSizeBytes: probe.currentSizeBytes,
      sizeBytes: size,
    });
  }

  let handle: FileHandleLike;
  let freshFrom: number;
  try {
    if (!probe.exists) {
      handle = await fs.open(path, 'wx+', 0o644); // exclusive: never clobber a file that appeared meanwhile
      try {
        await handle.truncate(size);
      } catch (e) {
        // e.g. EFBIG: ext4 stops at 16 TiB − 4 KiB. Leave nothing behind.
        await handle.close().catch(() => {});
        await (fs.unlink?.(path) ?? Promise.resolve()).catch(() => {});
        throw e;
      }
      freshFrom = 0;
    } else {
      handle = await fs.open(path, 'r+');
      if (options.reset) {
        await handle.truncate(0);
        freshFrom = 0;
      } else {
        freshFrom = probe.currentSizeBytes;
      }
      // Only when the size changes: some FUSE filesystems (fusefat) refuse ftruncate altogether.
      if (options.reset || size !== probe.currentSizeBytes) await handle.truncate(size);
    }
  } catch (e) {
    throw wrapIoError(e, `cannot open ${path} for writing`);
  }
  return boundTarget(makeRaw(handle, path, size, sector, { freshFrom }));
}

interface Fresh {
  /** [freshFrom, size) were holes when opened. */
  freshFrom: number;
}

function makeRaw(handle: FileHandleLike, path: string, sizeBytes: number, sector: LogicalSectorSize, fresh: Fresh | null) {
  const flushWith = async (sync: Promise<void>): Promise<void> => {
    try {
      await sync;
    } catch (e) {
      throw wrapIoError(e, `cannot flush ${path}`);
    }
  };
  /** Ranges written since open inside the fresh region: zeros there must really be written. */
  // Flat start, end pairs (a copy of 100,000 files makes 100,000 ranges: as two-element arrays they held ~10 MiB),
  // a range joined to the one before when it continues it.
  const dirty: number[] = [];
  const markDirty = (start: number, end: number): void => {
    if (!fresh || end <= fresh.freshFrom) return;
    const from = Math.max(start, fresh.freshFrom);
    if (dirty.length > 0 && dirty[dirty.length - 1] === from) dirty[dirty.length - 1] = end;
    else dirty.push(from, end);
  };
  const isHole = (start: number, end: number): boolean => {
    if (fresh === null || start < fresh.freshFrom) return false;
    for (let i = 0; i < dirty.length; i += 2) if (dirty[i] < end && start < dirty[i + 1]) return false;
    return true;
  };

  const writeAll = async (offsetBytes: number, bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offsetBytes + done);
      if (bytesWritten <= 0) throw new GuestdiskError('IO_FAILED', `short write to ${path} at byte ${offsetBytes + done}`);
      done += bytesWritten;
    }
  };

  const readInto = async (offsetBytes: number, into: Uint8Array): Promise<void> => {
    let done = 0;
    try {
      while (done < into.length) {
        const { bytesRead } = await handle.read(into, done, into.length - done, offsetBytes + done);
        if (bytesRead <= 0) break;
        done += bytesRead;
      }
    } catch (e) {
      throw wrapIoError(e, `cannot read ${path} at byte ${offsetBytes}`);
    }
    into.fill(0, done); // past EOF reads as zeros
  };

  return {
    sizeBytes,
    logicalSectorSize: sector,
    physicalSectorSize: sector,
    description: path,
    requiresAlignment: false,
    async read(offsetBytes: number, lengthBytes: number) {
      const out = new Uint8Array(lengthBytes);
      await readInto(offsetBytes, out);
      return out;
    },
    readInto,
    async write(offsetBytes: number, bytes: Uint8Array) {
      try {
        await writeAll(offsetBytes, bytes);
      } catch (e) {
        throw wrapIoError(e, `cannot write ${path} at byte ${offsetBytes}`);
      }
      markDirty(offsetBytes, offsetBytes + bytes.length);
    },
    async writeZeros(offsetBytes: number, lengthBytes: number) {
      const end = offsetBytes + lengthBytes;
      if (isHole(offsetBytes, end)) return; // still a hole: reads back as zeros already
      const zeros = new Uint8Array(Math.min(ZERO_BLOCK_BYTES, lengthBytes));
      try {
        for (let at = offsetBytes; at < end; at += zeros.length) {
          await writeAll(at, zeros.subarray(0, Math.min(zeros.length, end - at)));
        }
      } catch (e) {
        throw wrapIoError(e, `cannot write zeros to ${path} at byte ${offsetBytes}`);
      }
    },
    flush: () => flushWith(handle.sync()),
    // Data only (fdatasync): the closing flush, a full fsync, still follows; memfs handles may lack datasync.
    flushBehind: () => flushWith(handle.datasync ? handle.datasync() : handle.sync()),
    async close() {
      await handle.close();
    },
  };
}
