// The copied files' writer (write-content.ts): small files read whole into the batch buffer as their chunks come,
// neighbours on disk merged into one write, each padded with zeros; framed chunks (NTFS resident records) made in
// place from zeros, and a framed chunk of length 0 still read and framed (its frame may keep the content); every
// kind of reader (blocking readWhole, readWhole with a promise, pieces only) gives the same bytes; a chunk outside
// its step is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import type { ContentChunk, ContentReader, ContentRef } from '../../src/disk-types.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { BATCH_BYTES, writeContentChunks } from '../../src/write/write-content.js';

const KiB = 1024;
const SIZE = 64 * 1024 * KiB;
const limit = { startBytes: 0, endBytes: SIZE, what: 'test step' };
const stats = () => ({ writes: 0, bytesWritten: 0, zeroBytes: 0 });

/** File `order` holds `size` bytes of (order + 1). */
const fileBytes = (order: number, size: number): Uint8Array => new Uint8Array(size).fill((order + 1) & 0xff);
const ref = (order: number): ContentRef => ({ source: 0, order, dir: '/d', name: `f${order}` });

type ReaderKind = 'blocking' | 'promise' | 'pieces';
function reader(kind: ReaderKind): ContentReader {
  const read = async function* (r: ContentRef, size: number): AsyncGenerator<Uint8Array> {
    const all = fileBytes(r.order, size);
    for (let at = 0; at < size; at += 1000) yield all.subarray(at, Math.min(size, at + 1000));
  };
  const whole = (r: ContentRef, size: number, into: Uint8Array, at = 0): void => into.set(fileBytes(r.order, size), at);
  return {
    read,
    ...(kind === 'blocking' ? { readWhole: whole } : kind === 'promise' ? { readWhole: async (r: ContentRef, size: number, into: Uint8Array, at?: number) => whole(r, size, into, at) } : {}),
    close: async () => {},
  };
}

/** `n` files of `size` bytes, each padded to `slot` bytes; a gap of `gap` bytes after every `every` files. */
function chunks(n: number, size: number, slot: number, gap = 0, every = Infinity): ContentChunk[] {
  const out: ContentChunk[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    out.push({ offsetBytes: at, content: ref(i), contentBytes: size, lengthBytes: slot });
    at += slot + ((i + 1) % every === 0 ? gap : 0);
  }
  return out;
}

for (const kind of ['blocking', 'promise', 'pieces'] as const) {
  test(`${kind} reader: neighbours go out as one write per run, padded with zeros; a gap starts a new run`, async () => {
    const target = openMemoryTarget({ sizeBytes: SIZE });
    const list = chunks(40, 3000, 4096, 8192, 10); // 4 runs of 10 files
    const s = stats();
    await writeContentChunks(target, list, 0, limit, s, () => {}, reader(kind));
    assert.is(s.writes, 4, 'one write per run');
    assert.equal(target.log.map((w) => w.lengthBytes), [40960, 40960, 40960, 40960]);
    for (const c of list) {
      const got = await target.read(c.offsetBytes, c.lengthBytes);
      assert.equal(got.subarray(0, 3000), fileBytes(c.content.order, 3000));
      assert.ok(got.subarray(3000).every((b) => b === 0), 'padding is zeros');
    }
    assert.ok((await target.read(40960, 8192)).every((b) => b === 0), 'the gap is not written');
  });
}

test('more files than one batch holds: every file lands, and no write is larger than the batch', async () => {
  const target = openMemoryTarget({ sizeBytes: SIZE });
  const list = chunks(Math.ceil((3 * BATCH_BYTES) / (8 * KiB)), 5000, 8 * KiB);
  await writeContentChunks(target, list, 0, limit, stats(), () => {}, reader('blocking'));
  assert.ok(target.log.length >= 3 && target.log.every((w) => w.lengthBytes <= BATCH_BYTES), `${target.log.length} writes`);
  for (const c of [list[0], list[list.length >> 1], list[list.length - 1]]) {
    assert.equal((await target.read(c.offsetBytes, 5000)), fileBytes(c.content.order, 5000));
  }
});

test('framed chunks: made in `into` (zeros, even after earlier batches) or returned fresh; a framed chunk of length 0 is read and framed, and writes nothing', async () => {
  const target = openMemoryTarget({ sizeBytes: SIZE });
  const kept: number[][] = [];
  const list: ContentChunk[] = [
    // Fill the first batch with data so the buffer holds non-zero bytes when the frames come.
    ...chunks(Math.floor(BATCH_BYTES / (64 * KiB)), 64 * KiB, 64 * KiB),
    { offsetBytes: BATCH_BYTES + 0, content: ref(100), contentBytes: 10, lengthBytes: 1024, frame: (content, into) => {
      assert.ok(into.length === 1024 && into.every((b) => b === 0), 'into is one frame of zeros');
      into.set([0x46, 0x49, 0x4c, 0x45]);
      into.set(content, 100);
      return into;
    } },
    { offsetBytes: BATCH_BYTES + 1024, content: ref(101), contentBytes: 7, lengthBytes: 0, frame: (content) => {
      kept.push([...content]);
      return new Uint8Array(0);
    } },
    { offsetBytes: BATCH_BYTES + 1024, content: ref(102), contentBytes: 5, lengthBytes: 1024, frame: (content) => {
      const fresh = new Uint8Array(1024).fill(0xee);
      fresh.set(content, 0);
      return fresh;
    } },
  ];
  const s = stats();
  await writeContentChunks(target, list, 0, limit, s, () => {}, reader('blocking'));
  assert.equal(kept, [[...fileBytes(101, 7)]], 'the length-0 chunk was read and handed to its frame');
  const first = await target.read(BATCH_BYTES, 1024);
  assert.equal([...first.subarray(0, 4)], [0x46, 0x49, 0x4c, 0x45]);
  assert.equal(first.subarray(100, 110), fileBytes(100, 10));
  assert.ok(first.subarray(110).every((b) => b === 0));
  const second = await target.read(BATCH_BYTES + 1024, 1024);
  assert.equal(second.subarray(0, 5), fileBytes(102, 5));
  assert.ok(second.subarray(5).every((b) => b === 0xee));
  assert.ok(target.log.every((w) => w.lengthBytes > 0), 'no write of length 0');
});

test('a chunk outside its step is refused before it is read', async () => {
  const target = openMemoryTarget({ sizeBytes: SIZE });
  let reads = 0;
  const counting: ContentReader = { ...reader('blocking'), readWhole: (r, size, into, at) => { reads++; into.set(fileBytes(r.order, size), at); } };
  try {
    await writeContentChunks(target, [{ offsetBytes: SIZE - 512, content: ref(0), contentBytes: 100, lengthBytes: 1024 }], 0, limit, stats(), () => {}, counting);
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, GuestdiskError);
    assert.is((e as GuestdiskError).code, 'OUT_OF_BOUNDS');
  }
  assert.is(reads, 0);
  assert.is(target.log.length, 0);
});

test('a file in pieces is checked piece by piece: holes may reach past the step, its data pieces may not', async () => {
  // A sparse file's logical length (its holes included) may be larger than the whole step; only the pieces that
  // take clusters must lie inside it.
  const pieces = [
    { offsetBytes: 4096, lengthBytes: 4096 },
    { offsetBytes: 0, lengthBytes: 2 * SIZE, hole: true },
    { offsetBytes: 16384, lengthBytes: 4096 },
  ];
  const sparse: ContentChunk = { offsetBytes: 4096, content: ref(3), contentBytes: 2 * SIZE + 8192, lengthBytes: 2 * SIZE + 8192, pieces };
  const target = openMemoryTarget({ sizeBytes: SIZE });
  const zeroReader: ContentReader = { async *read(_r, size) { yield new Uint8Array(4096).fill(7); for (let at = 4096; at < size; at += 1 << 20) yield new Uint8Array(Math.min(1 << 20, size - at)); }, close: async () => {} };
  await writeContentChunks(target, [sparse], 0, limit, stats(), () => {}, zeroReader);
  assert.ok((await target.read(4096, 4096)).every((b) => b === 7), 'the first piece holds the file\'s first bytes');
  const outside: ContentChunk = { ...sparse, pieces: [pieces[0], pieces[1], { offsetBytes: SIZE - 2048, lengthBytes: 4096 }] };
  try {
    await writeContentChunks(openMemoryTarget({ sizeBytes: SIZE }), [outside], 0, limit, stats(), () => {}, zeroReader);
    assert.unreachable('accepted');
  } catch (e) {
    assert.is((e as GuestdiskError).code, 'OUT_OF_BOUNDS');
  }
});

test.run();
