// create --copy-from's options, judged through tools we did not write:
// - --dry-run (text and --json) writes nothing, not even over an existing image, and the space it says is left is
//   what mtools (FAT32) and exfat-fuse (exFAT) find free once the copy is made; --symlinks skip shows its warnings
//   in both forms, while the default (follow) copies what a link points to (read back by the same tools);
// - SOURCE_DATE_EPOCH stands for --timestamp: mtimes later than it are clamped to it (mtools shows them), and the
//   image is byte for byte the one --timestamp makes, from a copy of the tree with another owner and other atimes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statfsSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { mtoolsExtract, mtoolsName } from './fat32-judges.js';
import { OLD_MTIME, TIMESTAMP, expectedListing, listTree, makeJudgeTree, sorted, withoutDirMtimes } from './trees.js';

for (const tool of ['mcopy', 'mdir', 'mount.exfat-fuse', 'fusermount3', 'losetup', 'cp', 'touch']) requireTool(tool);

const MiB = 1024 * 1024;

function makeLinkedTree(src: string): void {
  mkdirSync(join(src, 'docs'), { recursive: true });
  writeFileSync(join(src, 'docs', 'manual.txt'), 'the manual\n'.repeat(500));
  writeFileSync(join(src, 'data.bin'), new Uint8Array(3 * MiB + 7).map((_, i) => i & 0xff));
  symlinkSync('docs/manual.txt', join(src, 'manual link.txt'));
  symlinkSync('docs', join(src, 'docs link'));
}

/** Free bytes of the volume as the filesystem's own reader counts them. */
function toolFreeBytes(fs: 'exfat' | 'fat32', image: string, tmp: string, body: (root: string) => void): number {
  if (fs === 'fat32') {
    const mdir = mustRun('env', ['LC_ALL=C', 'MTOOLS_SKIP_CHECK=1', 'mdir', '-i', `${image}@@${MiB}`, '::']);
    const m = /([\d ]+) bytes free/.exec(mdir);
    assert.ok(m, mdir);
    mtoolsExtract(image, MiB, join(tmp, 'out'));
    body(join(tmp, 'out'));
    return Number(m![1].replace(/ /g, ''));
  }
  const loop = attachLoop(image, { offsetBytes: MiB });
  const mnt = join(tmp, 'mnt');
  mkdirSync(mnt);
  try {
    mustRun('mount.exfat-fuse', ['-o', 'ro', loop.device, mnt]);
    try {
      const st = statfsSync(mnt);
      body(mnt);
      return st.bfree * st.bsize;
    } finally {
      mustRun('fusermount3', ['-u', mnt]);
    }
  } finally {
    loop.detach();
  }
}

for (const fs of ['exfat', 'fat32'] as const) {
  test(`${fs}: --dry-run (text, --json, --symlinks skip) writes nothing and tells the free space the tools then find; links are followed by default`, async () => {
    const tmp = makeTempDir(`guestdisk-copy-options-${fs}-`);
    try {
      const src = join(tmp.path, 'src');
      makeLinkedTree(src);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--seed', 'old', '--timestamp', String(TIMESTAMP)]);
      const before = await sha256File(image);
      const args = ['create', image, '--size', '64M', '--fs', fs, '--copy-from', src, '--seed', 'opt', '--timestamp', String(TIMESTAMP), '--force'];

      const text = (await mustCli([...args, '--dry-run', '--symlinks', 'skip'])).stdout;
      assert.match(text, /copy +2 files \(3(\.\d+)? MiB\), 1 directory from /);
      assert.match(text, /space +[\d.]+ (KiB|MiB) used \(metadata and \d+-byte clusters included\), [\d.]+ MiB left/);
      assert.is((text.match(/^warning +.*(manual link\.txt|docs link)/gm) ?? []).length, 2, text);
      assert.match(text, /dry run: nothing written/);
      const skipped = JSON.parse((await mustCli([...args, '--dry-run', '--symlinks', 'skip', '--json'])).stdout).copy;
      assert.equal({ files: skipped.fileCount, dirs: skipped.dirCount, warnings: skipped.warnings.length }, { files: 2, dirs: 1, warnings: 2 });
      const followed = JSON.parse((await mustCli([...args, '--dry-run', '--json'])).stdout).copy;
      // Followed: the link to the file is a file, the link to the directory a directory with its own copy.
      assert.equal({ files: followed.fileCount, dirs: followed.dirCount, bytes: followed.totalBytes, warnings: followed.warnings },
        { files: 4, dirs: 2, bytes: 3 * MiB + 7 + 3 * 5500, warnings: [] });
      assert.is(followed.usedBytes + followed.freeBytes, skipped.usedBytes + skipped.freeBytes, 'the same volume either way');
      assert.ok(followed.usedBytes > skipped.usedBytes);
      assert.is(await sha256File(image), before, 'the dry runs wrote nothing');

      await mustCli(args);
      const free = toolFreeBytes(fs, image, tmp.path, (root) => {
        assert.equal(readdirSync(root).sort(), ['data.bin', 'docs', 'docs link', 'manual link.txt']);
        assert.ok(lstatSync(join(root, 'manual link.txt')).isFile());
        assert.is(readFileSync(join(root, 'manual link.txt'), 'utf8'), 'the manual\n'.repeat(500));
        assert.is(readFileSync(join(root, 'docs link', 'manual.txt'), 'utf8'), 'the manual\n'.repeat(500));
      });
      assert.is(free, followed.freeBytes, `the tools find ${free} bytes free; the dry run said ${followed.freeBytes}`);
    } finally {
      tmp.remove();
    }
  });
}

/** `cp -a` of the tree (hard links and holes kept), then another owner and other access times everywhere. */
function copyAsAnotherOwner(from: string, to: string): void {
  mustRun('cp', ['-a', from, to]);
  const walk = (p: string): void => {
    const st = lstatSync(p);
    chownSync(p, 4321, 8765);
    utimesSync(p, new Date(Date.UTC(2001, 1, 2)), st.mtime);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(to);
}

for (const fs of ['ntfs', 'exfat', 'fat32'] as const) {
  test(`${fs}: SOURCE_DATE_EPOCH gives the image --timestamp gives, from a copy of the tree with another owner and other atimes`, async () => {
    const tmp = makeTempDir(`guestdisk-copy-sde-${fs}-`);
    try {
      const a = join(tmp.path, 'a');
      makeJudgeTree(a, 4096);
      const b = join(tmp.path, 'b');
      copyAsAnotherOwner(a, b);
      assert.is(lstatSync(join(b, 'readme.txt')).uid, 4321);
      const args = (src: string, image: string): string[] => ['create', image, '--size', '96M', '--fs', fs, '--copy-from', src, '--seed', 'sde'];
      await mustCli([...args(a, join(tmp.path, 'a.img')), '--timestamp', String(TIMESTAMP)], { SOURCE_DATE_EPOCH: '' });
      await mustCli(args(b, join(tmp.path, 'b.img')), { SOURCE_DATE_EPOCH: String(TIMESTAMP), TZ: 'Pacific/Chatham' });
      assert.is(await sha256File(join(tmp.path, 'b.img')), await sha256File(join(tmp.path, 'a.img')));
    } finally {
      tmp.remove();
    }
  });
}

test('FAT32: mtimes later than SOURCE_DATE_EPOCH are clamped to it, earlier ones kept (as mtools reads them)', async () => {
  const tmp = makeTempDir('guestdisk-copy-clamp-');
  try {
    const src = join(tmp.path, 'src');
    makeJudgeTree(src, 4096);
    const epoch = Date.UTC(2022, 0, 1) / 1000; // after OLD_MTIME, before NEW_MTIME
    assert.ok(OLD_MTIME < epoch);
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '96M', '--fs', 'fat32', '--copy-from', src, '--seed', 'clamp'], { SOURCE_DATE_EPOCH: String(epoch) });
    const seen = withoutDirMtimes(mtoolsExtract(image, MiB, join(tmp.path, 'out')));
    const expected = new Map([...withoutDirMtimes(expectedListing(listTree(src), epoch, 2, { dirMtimes: false }))].map(([p, e]) => [mtoolsName(p), e]));
    assert.equal(sorted(seen), sorted(expected));
    assert.is(seen.get('/big.bin')!.mtime, epoch, 'the future mtime is the epoch');
  } finally {
    tmp.remove();
  }
});

test.run();
