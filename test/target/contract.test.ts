// One suite, every target: memory, file on memfs, file on disk, loop device at 512 and 4096 (STYLE.md §3).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFsFromVolume, Volume } from 'memfs';
import { GuestdiskError } from '../../src/errors.js';
import { sliceTarget, type BlockTarget } from '../../src/target/block-target.js';
import { openBlockDeviceTarget } from '../../src/target/block-device.js';
import { openFileTarget, type FsPromisesLike } from '../../src/target/file-target.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { attachLoop, makeTempDir, mustRun } from '../helpers/tools.js';

const SIZE = 8 * 1024 * 1024;

interface Maker {
  name: string;
  sector: 512 | 4096;
  open(): Promise<{ target: BlockTarget; allocatedBytes?: () => number; cleanup(): void }>;
}

const dir = makeTempDir('guestdisk-contract-');
let n = 0;

const makers: Maker[] = [
  { name: 'memory', sector: 512, open: async () => { const t = openMemoryTarget({ sizeBytes: SIZE }); return { target: t, allocatedBytes: () => t.allocatedBytes(), cleanup() {} }; } },
  {
    name: 'file on memfs', sector: 512,
    open: async () => {
      const vol = new Volume();
      const fs = createFsFromVolume(vol).promises as unknown as FsPromisesLike;
      return { target: await openFileTarget({ path: '/disk.img', mode: 'write', sizeBytes: SIZE, fs }), cleanup() {} };
    },
  },
  {
    name: 'file on disk', sector: 512,
    open: async () => {
      const path = join(dir.path, `f${n++}.img`);
      return { target: await openFileTarget({ path, mode: 'write', sizeBytes: SIZE }), allocatedBytes: () => statSync(path).blocks * 512, cleanup() {} };
    },
  },
  ...([512, 4096] as const).map((sector): Maker => ({
    name: `loop device ${sector}`, sector,
    open: async () => {
      const path = join(dir.path, `l${n++}.img`);
      writeFileSync(path, new Uint8Array(0));
      mustRun('truncate', ['-s', String(SIZE), path]);
      const loop = attachLoop(path, { sectorSize: sector, readOnly: false });
      try {
        const target = await openBlockDeviceTarget({ path: loop.device, mode: 'write' });
        return { target, cleanup: () => loop.detach() };
      } catch (e) {
        loop.detach();
        throw e;
      }
    },
  })),
];

const pattern = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

for (const maker of makers) {
  test(`${maker.name}: geometry, read after write, zeros over old data`, async () => {
    const { target, cleanup } = await maker.open();
    try {
      assert.is(target.sizeBytes, SIZE);
      assert.is(target.logicalSectorSize, maker.sector);
      const data = pattern(2 * maker.sector, 7);
      await target.write(maker.sector * 3, data);
      assert.equal(await target.read(maker.sector * 3, data.length), data);
      await target.writeZeros(maker.sector * 3, maker.sector);
      const back = await target.read(maker.sector * 3, data.length);
      assert.equal(back.subarray(0, maker.sector), new Uint8Array(maker.sector));
      assert.equal(back.subarray(maker.sector), data.subarray(maker.sector));
      await target.write(SIZE - maker.sector, pattern(maker.sector, 1)); // the very last sector is inside
      await target.flush();
    } finally {
      await target.close();
      cleanup();
    }
  });

  test(`${maker.name}: out of bounds is refused with nothing written`, async () => {
    const { target, cleanup } = await maker.open();
    try {
      const isOob = (e: unknown) => e instanceof GuestdiskError && e.code === 'OUT_OF_BOUNDS';
      for (const attempt of [
        () => target.write(SIZE - maker.sector, new Uint8Array(2 * maker.sector)),
        () => target.write(-maker.sector, new Uint8Array(maker.sector)),
        () => target.writeZeros(SIZE, maker.sector),
        () => target.read(SIZE - 1, 2),
      ]) {
        let threw = false;
        try { await attempt(); } catch (e) { threw = isOob(e); }
        assert.ok(threw, 'OUT_OF_BOUNDS expected');
      }
      assert.equal(await target.read(SIZE - maker.sector, maker.sector), new Uint8Array(maker.sector), 'last sector untouched');
    } finally {
      await target.close();
      cleanup();
    }
  });

  test(`${maker.name}: a slice cannot escape its range`, async () => {
    const { target, cleanup } = await maker.open();
    try {
      const slice = sliceTarget(target, 1024 * 1024, 1024 * 1024);
      await slice.write(0, pattern(maker.sector, 3));
      assert.equal(await target.read(1024 * 1024, maker.sector), pattern(maker.sector, 3));
      let threw = false;
      try { await slice.write(1024 * 1024 - maker.sector, new Uint8Array(2 * maker.sector)); } catch (e) { threw = e instanceof GuestdiskError && e.code === 'OUT_OF_BOUNDS'; }
      assert.ok(threw);
      assert.equal(await target.read(2 * 1024 * 1024, maker.sector), new Uint8Array(maker.sector), 'nothing past the slice');
    } finally {
      await target.close();
      cleanup();
    }
  });

  test(`${maker.name}: zero ranges on a new target stay holes`, async () => {
    const { target, allocatedBytes, cleanup } = await maker.open();
    try {
      await target.writeZeros(0, SIZE);
      await target.flush();
      if (allocatedBytes) assert.ok(allocatedBytes() < 64 * 1024, `${allocatedBytes()} bytes allocated for zeros`);
      assert.equal(await target.read(SIZE / 2, 4096), new Uint8Array(4096));
    } finally {
      await target.close();
      cleanup();
    }
  });
}

test('block devices demand sector-aligned writes (no read-modify-write path)', async () => {
  const { target, cleanup } = await makers[4].open();
  try {
    let threw = false;
    try { await target.write(100, new Uint8Array(4096)); } catch (e) { threw = e instanceof GuestdiskError && e.code === 'OUT_OF_BOUNDS'; }
    assert.ok(threw);
  } finally {
    await target.close();
    cleanup();
  }
});

test('file target: never shrinks, grows only when asked, creates sparse', async () => {
  const path = join(dir.path, 'grow.img');
  const t = await openFileTarget({ path, mode: 'write', sizeBytes: SIZE });
  await t.write(0, pattern(512, 9));
  await t.close();
  assert.is(statSync(path).size, SIZE);
  const code = async (p: Promise<unknown>, c: string) => { try { await p; return false; } catch (e) { return e instanceof GuestdiskError && e.code === c; } };
  assert.ok(await code(openFileTarget({ path, mode: 'write', sizeBytes: SIZE / 2 }), 'INVALID_SPEC'));
  assert.ok(await code(openFileTarget({ path, mode: 'write', sizeBytes: SIZE * 2 }), 'TARGET_HAS_DATA'));
  assert.is(statSync(path).size, SIZE, 'unchanged by refusals');
  const g = await openFileTarget({ path, mode: 'write', sizeBytes: SIZE * 2, grow: true });
  assert.equal(await g.read(0, 512), pattern(512, 9), 'grow keeps the data');
  await g.close();
  assert.is(statSync(path).size, SIZE * 2);
  assert.ok(await code(openFileTarget({ path: dir.path, mode: 'write', sizeBytes: SIZE }), 'INVALID_SPEC'), 'a directory is refused');
  const r = await openFileTarget({ path, mode: 'write', reset: true, sizeBytes: SIZE * 2, grow: true });
  assert.equal(await r.read(0, 512), new Uint8Array(512), 'reset makes everything a hole');
  await r.close();
  assert.ok(statSync(path).blocks * 512 < 64 * 1024);
  assert.is(readFileSync(path).length, SIZE * 2);
});

test('memory target: a 16 TiB disk costs only what is written', async () => {
  const t = openMemoryTarget({ sizeBytes: 16 * 2 ** 40 });
  await t.write(16 * 2 ** 40 - 512, pattern(512, 2));
  await t.writeZeros(0, 2 ** 40);
  assert.ok(t.allocatedBytes() <= 128 * 1024);
  assert.equal(await t.read(16 * 2 ** 40 - 512, 512), pattern(512, 2));
});

test.after(() => dir.remove());
test.run();
