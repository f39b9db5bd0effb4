import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { writeChunks, WRITE_CHUNK_BYTES } from '../../src/write/write-chunks.js';
import { decodeGptHeader } from '../../src/partition/gpt-header.js';
import { decodeMbr } from '../../src/partition/mbr.js';

const MiB = 2 ** 20;
const TiB = 2 ** 40;

test('every write of a real run lands inside its step and inside the disk; MBR is the last write', async () => {
  for (const s of [512, 4096] as const) {
    for (const table of ['gpt', 'mbr'] as const) {
      const size = 64 * MiB;
      const layout = planDisk({ table, fs: 'none', seed: 'w', timestamp: 0 }, { sizeBytes: size, logicalSectorSize: s, physicalSectorSize: s });
      const target = openMemoryTarget({ sizeBytes: size, logicalSectorSize: s });
      await writeDisk(layout, target);
      const writes = target.log.filter((r) => r.kind !== 'flush');
      for (const w of writes) {
        assert.ok(w.offsetBytes >= 0 && w.offsetBytes + w.lengthBytes <= size);
        assert.is(w.offsetBytes % s, 0);
        assert.is(w.lengthBytes % s, 0);
      }
      const last = target.log.filter((r) => r.kind === 'write').at(-1)!;
      assert.equal([last.offsetBytes, last.lengthBytes], [0, s], 'the MBR is the commit record');
      assert.is(target.log.at(-1)!.kind, 'flush');
      const mbr = decodeMbr(await target.read(0, 512));
      assert.is(mbr.partitionRecords[0].osType, table === 'gpt' ? 0xee : 0x07);
      if (table === 'gpt') {
        const primary = decodeGptHeader(await target.read(s, s));
        const backup = decodeGptHeader(await target.read(size - s, s));
        assert.is(primary.alternateLba, backup.myLba);
        assert.is(backup.partitionEntryLba, size / s - 1 - 16384 / s);
      }
    }
  }
});

test('stopped before any write N, the disk never shows a partition table', async () => {
  const size = 64 * MiB;
  const layout = planDisk({ table: 'gpt', fs: 'none', seed: 'w', timestamp: 0 }, { sizeBytes: size, logicalSectorSize: 512, physicalSectorSize: 512 });
  const full = openMemoryTarget({ sizeBytes: size });
  await writeDisk(layout, full);
  const total = full.log.length;
  const mbrCall = full.log.map((r) => r.kind).lastIndexOf('write');
  for (let n = 0; n <= total; n++) {
    const target = openMemoryTarget({ sizeBytes: size, initial: new Uint8Array(0) });
    let calls = 0;
    await writeDisk(layout, target, { between: () => { if (calls++ === n) throw new GuestdiskError('INTERRUPTED', 'stop'); } }).catch((e) => {
      if (!(e instanceof GuestdiskError) || e.code !== 'INTERRUPTED') throw e;
    });
    const sector0 = await target.read(0, 512);
    const hasTable = sector0[510] === 0x55 && sector0[511] === 0xaa;
    assert.is(hasTable, n > mbrCall, `stopped before call ${n}`);
  }
});

test('a Layout planned for another disk is refused before any write', async () => {
  const layout = planDisk({ table: 'gpt', fs: 'none', seed: 'w', timestamp: 0 }, { sizeBytes: 64 * MiB, logicalSectorSize: 512, physicalSectorSize: 512 });
  const target = openMemoryTarget({ sizeBytes: 128 * MiB });
  try {
    await writeDisk(layout, target);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof GuestdiskError && e.code === 'INVALID_SPEC');
  }
  assert.is(target.log.length, 0);
});

test('a 16 TiB disk plans and writes in memory costing only the tables', async () => {
  const size = 16 * TiB;
  const layout = planDisk({ table: 'gpt', fs: 'none', seed: 'big', timestamp: 0 }, { sizeBytes: size, logicalSectorSize: 4096, physicalSectorSize: 4096 });
  const target = openMemoryTarget({ sizeBytes: size, logicalSectorSize: 4096 });
  await writeDisk(layout, target);
  assert.ok(target.allocatedBytes() <= 4 * 64 * 1024, `${target.allocatedBytes()}`);
  const backup = decodeGptHeader(await target.read(size - 4096, 4096));
  assert.is(backup.myLba, size / 4096 - 1);
});

test('writeChunks merges neighbours into large writes and refuses chunks outside the step', async () => {
  const target = openMemoryTarget({ sizeBytes: 64 * MiB });
  const stats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  const chunks = Array.from({ length: 4096 }, (_, i) => ({ offsetBytes: i * 512, bytes: new Uint8Array(512).fill(i & 0xff) }));
  await writeChunks(target, chunks, MiB, { startBytes: MiB, endBytes: 64 * MiB, what: 't' }, stats);
  assert.is(stats.writes, Math.ceil((4096 * 512) / WRITE_CHUNK_BYTES));
  assert.equal((await target.read(MiB + 512 * 7, 2))[1], 7);
  let refused = false;
  try {
    await writeChunks(target, [{ offsetBytes: 63 * MiB, bytes: new Uint8Array(2 * MiB) }], MiB, { startBytes: MiB, endBytes: 64 * MiB, what: 't' }, stats);
  } catch (e) {
    refused = e instanceof GuestdiskError && e.code === 'OUT_OF_BOUNDS';
  }
  assert.ok(refused);
});

test('long zero runs inside byte chunks become zero ranges; short ones and data stay bytes', async () => {
  const { splitZeroRuns, MIN_ZERO_RUN_BYTES } = await import('../../src/write/write-chunks.js');
  const bytes = new Uint8Array(512 * 1024);
  bytes[10] = 1; // page 0 has data
  bytes[200 * 1024] = 2; // a lone data page in the middle
  bytes[bytes.length - 1] = 3; // the last page has data
  const out = [...splitZeroRuns([{ offsetBytes: 4096, bytes }])];
  const kinds = out.map((c) => ('bytes' in c ? `b${c.bytes.length}` : `z${c.zeroBytes}`));
  assert.equal(kinds, ['b4096', `z${200 * 1024 - 4096}`, 'b4096', `z${512 * 1024 - 204 * 1024 - 4096}`, 'b4096']);
  let at = 4096;
  const rebuilt = new Uint8Array(bytes.length);
  for (const c of out) {
    assert.is(c.offsetBytes, at);
    if ('bytes' in c) rebuilt.set(c.bytes, c.offsetBytes - 4096);
    at += 'bytes' in c ? c.bytes.length : c.zeroBytes;
  }
  assert.equal(rebuilt, bytes);
  const short = new Uint8Array(MIN_ZERO_RUN_BYTES);
  short[0] = 1;
  assert.is([...splitZeroRuns([{ offsetBytes: 0, bytes: short }])].length, 1, 'a run shorter than the minimum stays in the write');
});

test('splitZeroRuns, property: pieces tile the chunk, rebuild it, and every zero range is a zero run ≥ the minimum', async () => {
  const fc = (await import('fast-check')).default;
  const { splitZeroRuns, MIN_ZERO_RUN_BYTES } = await import('../../src/write/write-chunks.js');
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 3 }), // view offset inside its buffer: 0 is aligned, 1–3 are not
    fc.integer({ min: 1, max: 64 }), // length in 4 KiB pages
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 12 }),
    (shift, pages, marks) => {
      const length = pages * 4096 - (shift ? 100 : 0); // unaligned views also get a ragged last page
      const bytes = new Uint8Array(length + shift).subarray(shift);
      for (const [at, value] of marks) bytes[at % length] = value;
      const rebuilt = new Uint8Array(length);
      let at = 0;
      for (const c of splitZeroRuns([{ offsetBytes: 0, bytes }])) {
        if (c.offsetBytes !== at) return false;
        if ('bytes' in c) {
          rebuilt.set(c.bytes, at);
          at += c.bytes.length;
        } else {
          if (c.zeroBytes < MIN_ZERO_RUN_BYTES || bytes.subarray(at, at + c.zeroBytes).some((b) => b !== 0)) return false;
          at += c.zeroBytes;
        }
      }
      return at === length && rebuilt.every((b, i) => b === bytes[i]);
    },
  ), { numRuns: 300 });
});

test.run();
