// Flush-behind (write-chunks.ts): during a long step the target is asked, in the background, to put what was
// written on the disk, never twice at once; the step waits for it before it returns, and its failure is reported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { FLUSH_BEHIND_BYTES, writeChunks, type ChunkWriteStats } from '../../src/write/write-chunks.js';

const MiB = 2 ** 20;
const SIZE = 64 * MiB;

/** A memory target with flushBehind that takes `delayMs`, recording what happens in order. */
function recordingTarget(options: { delayMs?: number; fail?: boolean } = {}): { target: BlockTarget; events: string[] } {
  const disk = openMemoryTarget({ sizeBytes: SIZE, logicalSectorSize: 512 });
  const events: string[] = [];
  let running = 0;
  const target: BlockTarget = {
    ...disk,
    read: (o, n) => disk.read(o, n),
    write: async (o, b) => { events.push(`write ${o / MiB}`); await disk.write(o, b); },
    writeZeros: (o, n) => disk.writeZeros(o, n),
    flush: () => disk.flush(),
    close: () => disk.close(),
    async flushBehind() {
      running++;
      events.push(`behind-start${running > 1 ? ' OVERLAP' : ''}`);
      await new Promise((r) => setTimeout(r, options.delayMs ?? 0));
      running--;
      events.push('behind-end');
      if (options.fail) throw new GuestdiskError('IO_FAILED', 'flush behind failed');
    },
  };
  return { target, events };
}

const chunks = (mib: number) => Array.from({ length: mib }, (_, i) => ({ offsetBytes: i * MiB, bytes: new Uint8Array(MiB).fill(0xff) }));
const stats = (): ChunkWriteStats => ({ writes: 0, bytesWritten: 0, zeroBytes: 0 });
const limit = { startBytes: 0, endBytes: SIZE, what: 'test step' };

test('a 32 MiB step flushes behind in the background, one at a time, and waits for the last before it returns', async () => {
  const { target, events } = recordingTarget({ delayMs: 5 });
  await writeChunks(target, chunks(32), 0, limit, stats());
  const starts = events.filter((e) => e.startsWith('behind-start'));
  assert.ok(starts.length >= 1 && starts.length <= 32 * MiB / FLUSH_BEHIND_BYTES, events.join(', '));
  assert.not.ok(events.some((e) => e.includes('OVERLAP')), events.join(', '));
  assert.is(events.at(-1), 'behind-end', 'nothing still flushing when the step returns');
  assert.is(events.indexOf('behind-start'), events.indexOf(`write ${FLUSH_BEHIND_BYTES / MiB - 1}`) + 1, 'first one right after 8 MiB');
  const firstEnd = events.indexOf('behind-end');
  assert.ok(events.slice(events.indexOf('behind-start'), firstEnd).some((e) => e.startsWith('write')), 'writes go on meanwhile');
});

test('a short step never flushes behind; a target without flushBehind (memory) writes the same', async () => {
  const { target, events } = recordingTarget();
  await writeChunks(target, chunks(FLUSH_BEHIND_BYTES / MiB - 1), 0, limit, stats());
  assert.not.ok(events.some((e) => e.startsWith('behind')));
  const memory = openMemoryTarget({ sizeBytes: SIZE, logicalSectorSize: 512 });
  await writeChunks(memory, chunks(32), 0, limit, stats());
  assert.not.ok(memory.log.some((r) => r.kind === 'flush'), 'flush-behind is not one of the barriers in the log');
});

test('a failed flush-behind fails the step; a step that fails itself reports its own error', async () => {
  const failing = recordingTarget({ fail: true });
  try {
    await writeChunks(failing.target, chunks(16), 0, limit, stats());
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, GuestdiskError);
    assert.match((e as Error).message, 'flush behind failed');
  }
  const both = recordingTarget({ fail: true, delayMs: 5 });
  const stop = new Error('interrupted');
  try {
    await writeChunks(both.target, chunks(32), 0, limit, stats(), (next) => {
      if (next.offsetBytes === 10 * MiB) throw stop;
    });
    assert.unreachable('should fail');
  } catch (e) {
    assert.is(e, stop);
  }
  assert.is(both.events.at(-1), 'behind-end', 'the flush in flight was waited for before the step gave up');
});

test.run();
