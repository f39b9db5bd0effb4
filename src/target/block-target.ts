// The one interface every disk is reached through, and the one place bounds are checked (STYLE.md §3).
import { GuestdiskError } from '../errors.js';
import type { LogicalSectorSize } from '../disk-types.js';

export interface BlockTarget {
  readonly sizeBytes: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
  /** What the target is, for messages: a path, or "memory". */
  readonly description: string;
  read(offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
  /**
   * Optional: reads `into.length` bytes at `offsetBytes` into the caller's array, so a reader streaming a large
   * file reuses one buffer instead of allocating one per piece (fresh arrays are freed only when the garbage
   * collector runs, which lets the process grow by tens of MiB). Targets without it: use `read`.
   */
  readInto?(offsetBytes: number, into: Uint8Array): Promise<void>;
  /** The array carries its length: pass a subarray. */
  write(offsetBytes: number, bytes: Uint8Array): Promise<void>;
  /** Reads back as zeros; leaves holes where the target can. */
  writeZeros(offsetBytes: number, lengthBytes: number): Promise<void>;
  flush(): Promise<void>;
  /**
   * Optional: puts what was written so far on stable storage, like flush, but is not one of the Layout's ordering
   * barriers and may run while writes go on. writeChunks starts it in the background during a long step (the
   * 64 MiB $LogFile), so the disk writes back while guestdisk is still copying, and the step's closing flush waits
   * for the last few MiB instead of all of them. Targets without it (memory) lose nothing.
   */
  flushBehind?(): Promise<void>;
  close(): Promise<void>;
}

/** What a concrete target implements; `boundTarget` wraps it and is all that callers ever see. */
export type RawTarget = BlockTarget & { readonly requiresAlignment: boolean };

function checkRange(target: RawTarget, op: string, offsetBytes: number, lengthBytes: number): void {
  const ok =
    Number.isSafeInteger(offsetBytes) &&
    Number.isSafeInteger(lengthBytes) &&
    offsetBytes >= 0 &&
    lengthBytes >= 0 &&
    offsetBytes + lengthBytes <= target.sizeBytes;
  if (!ok) {
    throw new GuestdiskError(
      'OUT_OF_BOUNDS',
      `${op} of ${lengthBytes} bytes at byte ${offsetBytes} is outside ${target.description} (${target.sizeBytes} bytes)`,
      { op, offsetBytes, lengthBytes, sizeBytes: target.sizeBytes },
    );
  }
  if (target.requiresAlignment && op !== 'read') {
    const s = target.logicalSectorSize;
    if (offsetBytes % s !== 0 || lengthBytes % s !== 0) {
      throw new GuestdiskError(
        'OUT_OF_BOUNDS',
        `${op} of ${lengthBytes} bytes at byte ${offsetBytes} is not aligned to ${s}-byte sectors on ${target.description}`,
        { op, offsetBytes, lengthBytes, logicalSectorSize: s },
      );
    }
  }
}

/** Wraps a concrete target so that nothing can be read or written outside [0, sizeBytes). */
export function boundTarget(raw: RawTarget): BlockTarget {
  let closed = false;
  const live = (op: string): void => {
    if (closed) throw new GuestdiskError('IO_FAILED', `${op} on closed target ${raw.description}`);
  };
  return {
    sizeBytes: raw.sizeBytes,
    logicalSectorSize: raw.logicalSectorSize,
    physicalSectorSize: raw.physicalSectorSize,
    description: raw.description,
    async read(offsetBytes, lengthBytes) {
      live('read');
      checkRange(raw, 'read', offsetBytes, lengthBytes);
      return raw.read(offsetBytes, lengthBytes);
    },
    ...(raw.readInto && {
      async readInto(offsetBytes: number, into: Uint8Array) {
        live('read');
        checkRange(raw, 'read', offsetBytes, into.length);
        await raw.readInto!(offsetBytes, into);
      },
    }),
    async write(offsetBytes, bytes) {
      live('write');
      checkRange(raw, 'write', offsetBytes, bytes.length);
      if (bytes.length > 0) await raw.write(offsetBytes, bytes);
    },
    async writeZeros(offsetBytes, lengthBytes) {
      live('writeZeros');
      checkRange(raw, 'writeZeros', offsetBytes, lengthBytes);
      if (lengthBytes > 0) await raw.writeZeros(offsetBytes, lengthBytes);
    },
    async flush() {
      live('flush');
      await raw.flush();
    },
    ...(raw.flushBehind && {
      async flushBehind() {
        live('flushBehind');
        await raw.flushBehind!();
      },
    }),
    async close() {
      if (closed) return;
      closed = true;
      await raw.close();
    },
  };
}

/**
 * A view of `[offsetBytes, offsetBytes + sizeBytes)` of `disk` that starts at 0 and cannot reach past its end:
 * what a filesystem is given, so filesystem code never adds a partition offset itself.
 */
export function sliceTarget(disk: BlockTarget, offsetBytes: number, sizeBytes: number): BlockTarget {
  if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(sizeBytes) || offsetBytes < 0 || sizeBytes < 0 ||
      offsetBytes + sizeBytes > disk.sizeBytes) {
    throw new GuestdiskError('OUT_OF_BOUNDS', `slice [${offsetBytes}, +${sizeBytes}) is outside ${disk.description}`, {
      offsetBytes,
      sizeBytes,
      diskSizeBytes: disk.sizeBytes,
    });
  }
  return boundTarget({
    sizeBytes,
    logicalSectorSize: disk.logicalSectorSize,
    physicalSectorSize: disk.physicalSectorSize,
    description: `${disk.description} [byte ${offsetBytes}, +${sizeBytes}]`,
    requiresAlignment: false, // the disk underneath checks its own alignment
    read: (o, n) => disk.read(offsetBytes + o, n),
    ...(disk.readInto && { readInto: (o: number, into: Uint8Array) => disk.readInto!(offsetBytes + o, into) }),
    write: (o, b) => disk.write(offsetBytes + o, b),
    writeZeros: (o, n) => disk.writeZeros(offsetBytes + o, n),
    flush: () => disk.flush(),
    ...(disk.flushBehind && { flushBehind: () => disk.flushBehind!() }),
    close: async () => {}, // the disk owns the handle
  });
}

/** For JavaScript callers: a missing or foreign target is INVALID_SPEC, not a TypeError deep inside. */
export function assertBlockTarget(target: unknown, what: string): asserts target is BlockTarget {
  const t = target as Partial<BlockTarget> | null;
  if (!t || typeof t !== 'object' || typeof t.read !== 'function' || !Number.isSafeInteger(t.sizeBytes)) {
    throw new GuestdiskError('INVALID_SPEC', `${what}: expected a BlockTarget (openFileTarget, openBlockDeviceTarget, openMemoryTarget), got ${t === null ? 'null' : typeof t}`);
  }
}
