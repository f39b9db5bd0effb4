// The same tree, --seed and --timestamp give byte-identical images, whatever the order the tree was made in (and
// so readdir's order), the umask, the time zone and the locale, and whether it came from a directory or a tar.gz.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, sha256File } from '../helpers/cli.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { TIMESTAMP, makeJudgeTree } from './trees.js';

requireTool('tar');

/** Copies `from` into `to`, every listing in reverse order, under another umask, keeping mtimes and modes. */
function copyReversed(from: string, to: string): void {
  const old = process.umask(0o077);
  try {
    const walk = (a: string, b: string): void => {
      mkdirSync(b, { recursive: true });
      for (const name of readdirSync(a).sort().reverse()) {
        const src = join(a, name);
        const dst = join(b, name);
        const st = lstatSync(src);
        if (st.isDirectory()) walk(src, dst);
        else copyFileSync(src, dst);
        chmodSync(dst, st.mode & 0o7777);
        utimesSync(dst, st.atime, st.mtime);
      }
      const st = lstatSync(a);
      utimesSync(b, st.atime, st.mtime);
    };
    walk(from, to);
  } finally {
    process.umask(old);
  }
}

for (const fs of ['fat32', 'exfat']) {
  test(`${fs}: byte-identical images from a directory, the same tree made in reverse under umask 077 in another time zone and locale, and its tar.gz`, async () => {
    const tmp = makeTempDir('guestdisk-copy-det-');
    try {
      const a = join(tmp.path, 'a');
      const b = join(tmp.path, 'b');
      makeJudgeTree(a, 4096);
      copyReversed(a, b);
      const archive = join(tmp.path, 'a.tar.gz');
      mustRun('tar', ['--format=pax', '-czf', archive, '-C', a, '.']);
      const args = (src: string, image: string): string[] => ['create', image, '--size', '96M', '--fs', fs, '--cluster-size', '1024', '--copy-from', src, '--seed', 'det', '--timestamp', String(TIMESTAMP)];
      await mustCli(args(a, join(tmp.path, 'a.img')), { TZ: 'UTC', LC_ALL: 'C' });
      await mustCli(args(b, join(tmp.path, 'b.img')), { TZ: 'Asia/Kathmandu', LC_ALL: 'tr_TR.UTF-8', LANG: 'tr_TR.UTF-8' });
      await mustCli(args(archive, join(tmp.path, 't.img')), { TZ: 'America/St_Johns' });
      const [ha, hb, ht] = await Promise.all(['a', 'b', 't'].map((n) => sha256File(join(tmp.path, `${n}.img`))));
      assert.is(hb, ha, 'reversed tree, umask, TZ, locale');
      assert.is(ht, ha, 'tar.gz of the same tree');
    } finally {
      tmp.remove();
    }
  });
}

test.run();
