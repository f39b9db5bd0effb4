// create --copy-from through the CLI: --dry-run says what will be copied and the space it takes and leaves, and
// writes nothing; --size +HEADROOM sizes the image from the content (whole MiB, at least HEADROOM left free).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoopDevice, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { TIMESTAMP } from './trees.js';

const MiB = 1024 * 1024;

function makeSource(dir: string): string {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.bin'), new Uint8Array(3 * MiB).fill(1));
  writeFileSync(join(src, 'sub', 'b.txt'), 'hello');
  return src;
}

test('--dry-run: files, directories, bytes, space used and left; nothing written', async () => {
  const tmp = makeTempDir();
  try {
    const src = makeSource(tmp.path);
    const image = join(tmp.path, 'disk.img');
    const text = (await mustCli(['create', image, '--size', '64M', '--fs', 'exfat', '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP), '--dry-run'])).stdout;
    assert.match(text, /copy +2 files \(3(\.00)? MiB\), 1 directory from /);
    assert.match(text, /space +[\d.]+ (KiB|MiB) used .*, [\d.]+ MiB left/);
    assert.not.ok(existsSync(image));
    const json = JSON.parse((await mustCli(['create', image, '--size', '64M', '--fs', 'exfat', '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP), '--dry-run', '--json'])).stdout);
    assert.is(json.copy.fileCount, 2);
    assert.is(json.copy.totalBytes, 3 * MiB + 5);
    assert.ok(json.copy.freeBytes > 50 * MiB && json.copy.usedBytes >= 3 * MiB);
    assert.not.ok(existsSync(image));
  } finally {
    tmp.remove();
  }
});

for (const fs of ['exfat', 'fat32']) {
  test(`${fs}: --size +HEADROOM makes the smallest whole-MiB image that holds the content with HEADROOM free`, async () => {
    requireTool('fsck.exfat');
    const tmp = makeTempDir();
    try {
      const src = makeSource(tmp.path);
      const image = join(tmp.path, 'disk.img');
      const out = JSON.parse((await mustCli(['create', image, '--size', '+8M', '--fs', fs, '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP), '--json'])).stdout);
      const size = statSync(image).size;
      assert.is(size % MiB, 0);
      assert.is(out.layout.geometry.sizeBytes, size);
      const fsPlan = out.layout.filesystem;
      const free = (fsPlan.clusterCount - fsPlan.usedClusterCount) * fsPlan.clusterSize;
      assert.ok(free >= 8 * MiB, `free ${free}`);
      if (fs === 'exfat') assert.ok(size <= 16 * MiB, `size ${size}: content 3 MiB + 8 MiB headroom`);
      // One MiB less would not do (or FAT32's minimum size decides).
      const smaller = await runCli(['create', join(tmp.path, 'small.img'), '--size', String(size - MiB), '--fs', fs, '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP), '--dry-run', '--json']);
      if (smaller.status === 0) {
        const p = JSON.parse(smaller.stdout).layout.filesystem;
        assert.ok((p.clusterCount - p.usedClusterCount) * p.clusterSize < 8 * MiB, 'a MiB smaller leaves less than the headroom');
      }
      if (fs === 'exfat') mustRun('fsck.exfat', ['-n', attachLoopDevice(['-r', '-o', String(MiB), image])]);
    } finally {
      mustRun('sh', ['-c', `for d in $(losetup -j "$1" -O NAME -n); do losetup -d "$d"; done`, 'sh', join(tmp.path, 'disk.img')]);
      tmp.remove();
    }
  });
}

test.run();
