// A copy keeps create's promise when stopped: the files' data goes out in the body step, so it is on disk (and
// flushed) before any boot sector, and the disk shows no partition table until the last write. And memory does not
// grow with file size: the data is streamed in pieces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planDisk } from '../../src/plan/plan-disk.js';
import { loadCopySources, parseCopyFrom } from '../../src/source/copy-from.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { injectFault } from '../helpers/fault-target.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { TIMESTAMP } from './trees.js';

const MiB = 1024 * 1024;
const MARK = 0xc3;

for (const fs of ['fat32', 'exfat'] as const) {
  test(`${fs}: stopped after every write, no MBR signature and no boot sector before all file data is written`, async () => {
    const tmp = makeTempDir();
    try {
      const src = join(tmp.path, 'src');
      mkdirSync(join(src, 'd'), { recursive: true });
      for (const [name, size] of [['a.bin', 5000], ['d/b.bin', 3 * MiB + 3], ['d/c.bin', 1]] as const) writeFileSync(join(src, name), new Uint8Array(size).fill(MARK));
      const loaded = await loadCopySources([parseCopyFrom(src)], { timestamp: TIMESTAMP, symlinks: 'follow' });
      const geometry = { sizeBytes: 64 * MiB, logicalSectorSize: 512 as const, physicalSectorSize: 512 };
      const layout = planDisk({ table: 'gpt', fs, seed: 'interrupt', timestamp: TIMESTAMP, files: loaded.tree, ...(fs === 'fat32' ? { clusterSize: 512 } : {}) }, geometry);
      const pStart = layout.partitions[0].startLba * 512;

      const full = injectFault(openMemoryTarget({ sizeBytes: geometry.sizeBytes }), null);
      const reader = loaded.openReader();
      await writeDisk(layout, full, { content: reader });
      await reader.close();
      const writes = full.ops.filter((o) => o.kind !== 'flush');
      const isData = (o: (typeof writes)[number]): boolean => o.kind === 'write' && o.bytes.length >= 4 && o.bytes[0] === MARK && o.bytes[1] === MARK && o.bytes[2] === MARK && o.bytes[3] === MARK;
      const lastData = writes.map(isData).lastIndexOf(true);
      const firstBoot = writes.findIndex((o) => o.kind === 'write' && o.offsetBytes === pStart);
      const dataBytes = writes.filter(isData).reduce((n, o) => n + (o.kind === 'write' ? o.bytes.length : 0), 0);
      assert.ok(dataBytes >= 3 * MiB, `file data written: ${dataBytes}`);
      assert.ok(lastData >= 0 && firstBoot > lastData, `file data (last at write ${lastData}) before the boot sector (write ${firstBoot})`);
      const flushBetween = full.ops.findIndex((o, i) => i > full.ops.indexOf(writes[lastData]) && o.kind === 'flush');
      assert.ok(flushBetween >= 0 && flushBetween < full.ops.indexOf(writes[firstBoot]), 'a flush separates the data from the boot sectors');

      for (let n = 0; n < writes.length; n++) {
        const disk = openMemoryTarget({ sizeBytes: geometry.sizeBytes });
        const target = injectFault(disk, { kind: 'fail-after', writes: n });
        const r = loaded.openReader();
        await writeDisk(layout, target, { content: r }).then(() => assert.unreachable('should stop'), () => {});
        await r.close();
        const mbr = await disk.read(0, 512);
        assert.not.ok(mbr[510] === 0x55 && mbr[511] === 0xaa, `MBR signature after ${n} of ${writes.length} writes`);
      }
    } finally {
      tmp.remove();
    }
  });
}

/** Peak RSS (KiB) of a create that copies one sparse file of `sizeBytes` (zeros: read whole, written as holes). */
function peakRssKib(dir: string, sizeBytes: number): number {
  const src = join(dir, `src-${sizeBytes}`);
  mkdirSync(src);
  writeFileSync(join(src, 'big.bin'), '');
  truncateSync(join(src, 'big.bin'), sizeBytes);
  const r = mustRun('sh', ['-c', `/usr/bin/time -f RSS=%M "$@" 2>&1 >/dev/null | grep RSS=`, 'sh', process.execPath, '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'create', join(dir, `disk-${sizeBytes}.img`),
    '--size', '+16M', '--fs', 'exfat', '--copy-from', src, '--seed', 'm', '--timestamp', String(TIMESTAMP), '--json']);
  return Number(/RSS=(\d+)/.exec(r)![1]);
}

test('peak memory does not grow with file size: 32 MiB and 1 GiB files copy within a few MiB of each other', async () => {
  requireTool('truncate');
  const tmp = makeTempDir();
  try {
    const small = peakRssKib(tmp.path, 32 * MiB);
    const large = peakRssKib(tmp.path, 1024 * MiB);
    assert.ok(large - small < 16 * 1024, `peak RSS ${small} KiB for 32 MiB, ${large} KiB for 1 GiB`);
  } finally {
    tmp.remove();
  }
});

test.run();
