// Test-only fault injection: a BlockTarget wrapper that lets the first N writes through and then fails, tears
// write N+1 in half, or drops flushes; plus the record/replay pieces the reliability sweeps build disk states
// from (docs/reliability.md explains the fault models).
import { GuestdiskError } from '../../src/errors.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';

/**
 * - `fail-after`: writes 1..N reach the disk; write N+1 throws IO_FAILED and none of its bytes land (a process
 *   killed or a cable pulled between two writes).
 * - `torn`: like `fail-after`, but the first half of write N+1 (rounded down to whole bytes) lands first: a
 *   device that lost power in the middle of a request.
 * - `drop-flush`: flush() reports success and does nothing (a cache that ignores barriers); writes still fail
 *   after N. On its own the disk then ends as in `fail-after`; `replayWithCache` adds reordering.
 */
export type FaultKind = 'fail-after' | 'torn' | 'drop-flush';

export interface Fault {
  readonly kind: FaultKind;
  /** Writes (write or writeZeros calls) let through before the fault. */
  readonly writes: number;
}

/** One call as the wrapper saw it: enough to replay it on another target. */
export type RecordedOp =
  | { readonly kind: 'write'; readonly offsetBytes: number; readonly bytes: Uint8Array }
  | { readonly kind: 'zeros'; readonly offsetBytes: number; readonly lengthBytes: number }
  | { readonly kind: 'flush' };

export interface FaultTarget extends BlockTarget {
  /** Calls that reached the inner target, in order (the torn half included, as a shorter write). */
  readonly ops: readonly RecordedOp[];
  /** True once the fault has fired. */
  fired(): boolean;
  /** Calls (write, writeZeros, flush) made after the fault fired: a writer that stops at its first error makes none. */
  callsAfterFault(): number;
}

/** The error the wrapper throws; tests check it is what writeDisk reports, unchanged in code. */
export const INJECTED_FAULT = 'injected fault';

export function injectFault(inner: BlockTarget, fault: Fault | null): FaultTarget {
  const ops: RecordedOp[] = [];
  let writes = 0;
  let fired = false;
  let after = 0;
  const fail = (what: string): never => {
    fired = true;
    throw new GuestdiskError('IO_FAILED', `${INJECTED_FAULT}: ${what} after ${fault!.writes} writes`, { injected: true });
  };
  const gate = (): 'pass' | 'fail' | 'tear' => {
    if (fired) {
      after++;
      return 'fail'; // once dead, stays dead: nothing after the fault may reach the disk
    }
    if (!fault || writes < fault.writes) return 'pass';
    return fault.kind === 'torn' ? 'tear' : 'fail';
  };
  return {
    sizeBytes: inner.sizeBytes,
    logicalSectorSize: inner.logicalSectorSize,
    physicalSectorSize: inner.physicalSectorSize,
    description: `${inner.description} (fault: ${fault ? `${fault.kind} ${fault.writes}` : 'none'})`,
    read: (offsetBytes, lengthBytes) => inner.read(offsetBytes, lengthBytes),
    async write(offsetBytes, bytes) {
      const g = gate();
      if (g === 'tear') {
        const half = bytes.subarray(0, Math.floor(bytes.length / 2));
        if (half.length > 0) {
          await inner.write(offsetBytes, half);
          ops.push({ kind: 'write', offsetBytes, bytes: half.slice() });
        }
        fail('torn write');
      }
      if (g === 'fail') fail('write');
      await inner.write(offsetBytes, bytes);
      ops.push({ kind: 'write', offsetBytes, bytes: bytes.slice() });
      writes++;
    },
    async writeZeros(offsetBytes, lengthBytes) {
      const g = gate();
      if (g === 'tear') {
        const half = Math.floor(lengthBytes / 2);
        if (half > 0) {
          await inner.writeZeros(offsetBytes, half);
          ops.push({ kind: 'zeros', offsetBytes, lengthBytes: half });
        }
        fail('torn writeZeros');
      }
      if (g === 'fail') fail('writeZeros');
      await inner.writeZeros(offsetBytes, lengthBytes);
      ops.push({ kind: 'zeros', offsetBytes, lengthBytes });
      writes++;
    },
    async flush() {
      if (fired) {
        after++;
        fail('flush');
      }
      if (fault?.kind === 'drop-flush') return; // "done", but nothing was made durable
      await inner.flush();
      ops.push({ kind: 'flush' });
    },
    close: () => inner.close(),
    ops,
    fired: () => fired,
    callsAfterFault: () => after,
  };
}

/** Applies recorded calls to a target, in the order given. */
export async function replay(target: BlockTarget, ops: readonly RecordedOp[]): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'write') await target.write(op.offsetBytes, op.bytes);
    else if (op.kind === 'zeros') await target.writeZeros(op.offsetBytes, op.lengthBytes);
    else await target.flush();
  }
}

/**
 * A volatile write cache that honours flushes but reorders between them: the disk after a crash holds every
 * write up to the last flush, then only the LAST `keep` writes issued since that flush (a cache that wrote back
 * newest first). Returned as the op list to replay over the starting disk.
 */
export function persistedWithCache(ops: readonly RecordedOp[], keep: number): RecordedOp[] {
  const lastFlush = ops.map((o) => o.kind).lastIndexOf('flush');
  const durable = ops.slice(0, lastFlush + 1);
  const pending = ops.slice(lastFlush + 1);
  return [...durable, ...pending.slice(Math.max(0, pending.length - keep))];
}

/** A copy of a memory disk (only its touched chunks are copied, so sparse disks stay cheap). */
export async function cloneMemoryTarget(source: MemoryTarget): Promise<MemoryTarget> {
  const copy = openMemoryTarget({ sizeBytes: source.sizeBytes, logicalSectorSize: source.logicalSectorSize, physicalSectorSize: source.physicalSectorSize });
  for (const at of source.touchedChunks()) {
    const n = Math.min(MEMORY_CHUNK_BYTES, source.sizeBytes - at);
    const bytes = await source.read(at, n);
    if (bytes.some((b) => b !== 0)) await copy.write(at, bytes);
  }
  (copy.log as unknown[]).length = 0; // the copy starts with an empty write log
  return copy;
}

/** The memory target's chunk size (src/target/memory-target.ts); touchedChunks() offsets are multiples of it. */
export const MEMORY_CHUNK_BYTES = 64 * 1024;
