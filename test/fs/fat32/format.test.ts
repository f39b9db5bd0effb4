// The formatter's chunks: aligned, disjoint, in the volume, few and small whatever the size; a reused disk ends up
// with clean metadata; the bytes decode back to the plan.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFat32BootSector } from '../../../src/fs/fat32/boot-sector.js';
import { decodeDirEntry } from '../../../src/fs/fat32/dir-entry.js';
import { decodeFsInfo } from '../../../src/fs/fat32/fsinfo.js';
import { fat32BootSectorValue, formatFat32 } from '../../../src/fs/fat32/format.js';
import { planFat32, type Fat32Plan } from '../../../src/fs/fat32/plan.js';
import type { Chunk } from '../../../src/plan/layout.js';
import { openMemoryTarget } from '../../../src/target/memory-target.js';
import { writeChunks, type ChunkWriteStats } from '../../../src/write/write-chunks.js';
import { fat32Input } from './volume-file.js';

const MiB = 1024 ** 2;
const TiB = 1024 ** 4;

function groups(plan: Fat32Plan): { body: Chunk[]; bootBackup: Chunk[]; boot: Chunk[] } {
  const f = formatFat32(plan);
  return { body: [...f.body()], bootBackup: [...f.bootBackup()], boot: [...f.boot()] };
}
const lengthOf = (c: Chunk): number => ('bytes' in c ? c.bytes.length : c.zeroBytes);

for (const sector of [512, 4096] as const) {
  for (const size of [300 * MiB, 1024 * MiB, 1 * TiB, 2 * TiB - 2 * MiB]) {
    for (const label of ['DATA', undefined]) {
      test(`${sector}-byte sectors, ${size} bytes, label ${String(label)}: chunks aligned, disjoint, few, small`, () => {
        const plan = planFat32(fat32Input({ partitionSizeBytes: size, logicalSectorSize: sector, physicalSectorSize: sector, label }));
        const g = groups(plan);
        const all = [...g.body, ...g.bootBackup, ...g.boot].sort((a, b) => a.offsetBytes - b.offsetBytes);
        let end = 0;
        for (const c of all) {
          assert.is(c.offsetBytes % sector, 0, 'offset sector aligned');
          assert.is(lengthOf(c) % sector, 0, 'length sector aligned');
          assert.ok(lengthOf(c) > 0, 'no empty chunk');
          assert.ok(c.offsetBytes >= end, `chunk at ${c.offsetBytes} overlaps`);
          end = c.offsetBytes + lengthOf(c);
          if ('bytes' in c) assert.ok(c.bytes.length <= sector, 'no buffer larger than a sector');
        }
        // Everything from sector 0 to the end of the root cluster is written: nothing stale survives there.
        const rootEnd = (plan.dataStartLba + plan.secPerClus) * sector;
        let cursor = 0;
        for (const c of all) {
          assert.is(c.offsetBytes, cursor, `gap before ${c.offsetBytes}`);
          cursor += lengthOf(c);
        }
        assert.is(cursor, rootEnd);
        assert.ok(all.length <= 13, `${all.length} chunks`);
        assert.equal(g.boot.map((c) => c.offsetBytes), [0]);
        assert.equal(g.bootBackup.map((c) => c.offsetBytes), [6 * sector, 7 * sector, 8 * sector]);
      });
    }
  }
}

test('a reused disk: old bytes everywhere, then the three groups through writeChunks; metadata reads back clean', async () => {
  const sizeBytes = 64 * MiB;
  const old = new Uint8Array(sizeBytes).fill(0xa5);
  const target = openMemoryTarget({ sizeBytes, initial: old });
  const plan = planFat32(fat32Input({ partitionSizeBytes: sizeBytes, label: 'Reused' }));
  const f = formatFat32(plan);
  const stats: ChunkWriteStats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  const limit = { startBytes: 0, endBytes: sizeBytes, what: 'fat32' };
  await writeChunks(target, f.body(), 0, limit, stats);
  await writeChunks(target, f.bootBackup(), 0, limit, stats);
  await writeChunks(target, f.boot(), 0, limit, stats);
  assert.ok(stats.writes <= 13, `${stats.writes} writes`);
  const s = plan.bytsPerSec;
  const read = (lba: number, n = 1): Promise<Uint8Array> => target.read(lba * s, n * s);

  const boot = decodeFat32BootSector(await read(0));
  assert.equal(boot, fat32BootSectorValue(plan));
  assert.equal(await read(6), await read(0), 'backup boot sector = boot sector');
  const fsInfo = decodeFsInfo(await read(1));
  assert.is(fsInfo.freeCount, plan.clusterCount - 1);
  assert.is(fsInfo.nxtFree, 3);
  assert.equal(await read(7), await read(1), 'backup FSInfo = FSInfo');
  const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);
  assert.ok(zero(await read(2, 4)), 'sectors 2-5');
  assert.ok(zero(await read(8, plan.rsvdSecCnt - 8)), 'sectors 8 to the first FAT');
  for (let i = 0; i < 2; i++) {
    const fat = await read(plan.rsvdSecCnt + i * plan.fatSz32, plan.fatSz32);
    assert.equal([...fat.subarray(0, 12)], [0xf8, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f]);
    assert.ok(zero(fat.subarray(12)), `FAT ${i + 1} free after the root`);
  }
  const root = await read(plan.dataStartLba, plan.secPerClus);
  const label = decodeDirEntry(root.subarray(0, 32));
  assert.is(new TextDecoder().decode(label.name), 'REUSED     ');
  assert.ok(zero(root.subarray(32)), 'rest of the root cluster');
  // Free clusters keep their old bytes: nothing needs them, and not writing them is the point.
  assert.is((await read(plan.dataStartLba + plan.secPerClus))[0], 0xa5);
});

test('a 2 TiB volume costs a few KiB of bytes: FATs are zero ranges, not buffers', () => {
  const plan = planFat32(fat32Input({ partitionSizeBytes: 2 * TiB - 2 * MiB }));
  const g = groups(plan);
  const bytes = [...g.body, ...g.bootBackup, ...g.boot].reduce((n, c) => n + ('bytes' in c ? c.bytes.length : 0), 0);
  assert.ok(bytes <= 8 * 512, `${bytes} bytes in buffers`);
  const zeros = g.body.reduce((n, c) => n + ('zeroBytes' in c ? c.zeroBytes : 0), 0);
  assert.ok(zeros >= 2 * (plan.fatSz32 - 1) * 512, 'both FATs zeroed on a reused disk');
});

test.run();
