// In-memory disk for tests: a sparse map of touched chunks, so a 16 TiB disk costs only what is written.
// It can record every write, so tests can check where bytes went.
import { GuestdiskError } from '../errors.js';
import type { LogicalSectorSize } from '../disk-types.js';
import { boundTarget, type BlockTarget } from './block-target.js';

const CHUNK_BYTES = 64 * 1024;

export interface WriteRecord {
  readonly kind: 'write' | 'zeros' | 'flush';
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

export interface MemoryTarget extends BlockTarget {
  /** Every write, writeZeros and flush, in order. */
  readonly log: readonly WriteRecord[];
  /** Bytes held in memory (touched chunks). */
  allocatedBytes(): number;
  /** Offsets of chunks that hold any data. */
  touchedChunks(): number[];
}

export interface MemoryTargetOptions {
  readonly sizeBytes: number;
  readonly logicalSectorSize?: LogicalSectorSize;
  readonly physicalSectorSize?: number;
  /** Initial content (copied), e.g. an existing image to format over. */
  readonly initial?: Uint8Array;
}

export function openMemoryTarget(options: MemoryTargetOptions): MemoryTarget {
  const { sizeBytes } = options;
  const logicalSectorSize = options.logicalSectorSize ?? 512;
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `logical sector size ${String(logicalSectorSize)} is not supported: use 512 or 4096`);
  }
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
    throw new GuestdiskError('INVALID_SPEC', `memory target size must be a positive safe integer, got ${sizeBytes}`);
  }
  if (sizeBytes % logicalSectorSize !== 0) {
    throw new GuestdiskError('INVALID_SPEC', `memory target size ${sizeBytes} is not a multiple of ${logicalSectorSize}`);
  }
  const chunks = new Map<number, Uint8Array>();
  const log: WriteRecord[] = [];

  /** The pieces of [offsetBytes, +lengthBytes) that fall in each chunk: chunk index, offset within it, length, and
   *  how far into the range the piece starts. */
  function* spans(offsetBytes: number, lengthBytes: number): Generator<{ index: number; within: number; n: number; done: number }> {
    let done = 0;
    while (done < lengthBytes) {
      const at = offsetBytes + done;
      const within = at % CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - within, lengthBytes - done);
      yield { index: Math.floor(at / CHUNK_BYTES), within, n, done };
      done += n;
    }
  }

  const chunkFor = (index: number, create: boolean): Uint8Array | undefined => {
    let c = chunks.get(index);
    if (!c && create) {
      c = new Uint8Array(CHUNK_BYTES);
      chunks.set(index, c);
    }
    return c;
  };

  const copyIn = (offsetBytes: number, bytes: Uint8Array): void => {
    for (const { index, within, n, done } of spans(offsetBytes, bytes.length)) chunkFor(index, true)!.set(bytes.subarray(done, done + n), within);
  };

  if (options.initial) copyIn(0, options.initial.subarray(0, sizeBytes));

  const raw = boundTarget({
    sizeBytes,
    logicalSectorSize,
    physicalSectorSize: options.physicalSectorSize ?? logicalSectorSize,
    description: 'memory',
    requiresAlignment: false,
    async read(offsetBytes, lengthBytes) {
      const out = new Uint8Array(lengthBytes);
      for (const { index, within, n, done } of spans(offsetBytes, lengthBytes)) {
        const c = chunks.get(index);
        if (c) out.set(c.subarray(within, within + n), done);
      }
      return out;
    },
    async write(offsetBytes, bytes) {
      log.push({ kind: 'write', offsetBytes, lengthBytes: bytes.length });
      copyIn(offsetBytes, bytes);
    },
    async writeZeros(offsetBytes, lengthBytes) {
      log.push({ kind: 'zeros', offsetBytes, lengthBytes });
      for (const { index, within, n } of spans(offsetBytes, lengthBytes)) {
        const c = chunks.get(index);
        if (!c) continue;
        if (n === CHUNK_BYTES) chunks.delete(index); // a whole chunk of zeros is a hole again
        else c.fill(0, within, within + n);
      }
    },
    async flush() {
      log.push({ kind: 'flush', offsetBytes: 0, lengthBytes: 0 });
    },
    async close() {},
  });

  return Object.assign(raw, {
    log,
    allocatedBytes: () => chunks.size * CHUNK_BYTES,
    touchedChunks: () => [...chunks.keys()].sort((a, b) => a - b).map((i) => i * CHUNK_BYTES),
  });
}
