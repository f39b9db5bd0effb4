// Where trees come from: the directory walk and the tar reader describe the same tree the same way (GNU tar makes
// the archives: ustar, pax, gnu, gzip), whatever readdir order or umask; problems come back all at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../../src/errors.js';
import type { TreeDir, TreeNode } from '../../src/disk-types.js';
import { forEachNode } from '../../src/fs/file-tree.js';
import { loadCopySources, parseCopyFrom, type LoadedSources } from '../../src/source/copy-from.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { NEW_MTIME, OLD_MTIME, TIMESTAMP, makeJudgeTree } from './trees.js';

requireTool('tar');

/** The tree without where its bytes come from (that differs between a directory and an archive by design). */
function shape(dir: TreeDir): unknown {
  return dir.entries.map((n: TreeNode) =>
    n.kind === 'dir'
      ? { dir: n.name, mtime: n.mtime, entries: shape(n) }
      : { file: n.name, size: n.sizeBytes, mtime: n.mtime, readOnly: n.readOnly, linked: n.linkGroup !== null });
}

async function contentHashes(loaded: LoadedSources): Promise<Record<string, string>> {
  const reader = loaded.openReader();
  const out: Record<string, string> = {};
  const files: { path: string; node: TreeNode }[] = [];
  forEachNode(loaded.tree.root, '', (node, path) => files.push({ path, node }));
  try {
    for (const { path, node } of files) {
      if (node.kind !== 'file') continue;
      const hash = createHash('sha256');
      for await (const piece of reader.read(node, node.sizeBytes)) hash.update(piece);
      out[path] = hash.digest('hex');
    }
  } finally {
    await reader.close();
  }
  return out;
}

function hostHashes(root: string, loaded: LoadedSources): Record<string, string> {
  const out: Record<string, string> = {};
  forEachNode(loaded.tree.root, '', (node, path) => {
    if (node.kind === 'file') out[path] = createHash('sha256').update(readFileSync(join(root, path))).digest('hex');
  });
  return out;
}

const load = (paths: string[], symlinks: 'follow' | 'skip' = 'follow'): Promise<LoadedSources> =>
  loadCopySources(paths.map(parseCopyFrom), { timestamp: TIMESTAMP, symlinks });

test('directory walk: sorted by UTF-16 units, mtimes clamped to the timestamp, read-only bit, hard links grouped', async () => {
  const tmp = makeTempDir();
  try {
    makeJudgeTree(tmp.path, 4096);
    const loaded = await load([tmp.path]);
    const names = loaded.tree.root.entries.map((e) => e.name);
    assert.equal(names, [...names].sort());
    const byName = (dir: TreeDir, name: string): TreeNode => dir.entries.find((e) => e.name === name)!;
    const big = byName(loaded.tree.root, 'big.bin');
    assert.is(big.mtime, TIMESTAMP, 'a future mtime is clamped');
    assert.is(byName(loaded.tree.root, 'readme.txt').mtime, OLD_MTIME);
    assert.ok(NEW_MTIME > TIMESTAMP);
    const ro = byName(loaded.tree.root, 'readonly.txt');
    assert.ok(ro.kind === 'file' && ro.readOnly);
    const links = byName(loaded.tree.root, 'links') as TreeDir;
    const groups = links.entries.map((e) => (e.kind === 'file' ? e.linkGroup : null));
    assert.is(groups[0], groups[1]);
    assert.ok(groups[0] !== null);
    assert.equal(await contentHashes(loaded), hostHashes(tmp.path, loaded));
  } finally {
    tmp.remove();
  }
});

test('the same tree made in another order gives the same description', async () => {
  const tmp = makeTempDir();
  try {
    const a = join(tmp.path, 'a');
    const b = join(tmp.path, 'b');
    const names = ['zeta', 'Alpha', 'beta', 'ñu', '日本', '10', '9', 'Beta2'];
    for (const [root, order] of [[a, names], [b, [...names].reverse()]] as const) {
      mkdirSync(root);
      for (const n of order) {
        writeFileSync(join(root, n), n);
        utimesSync(join(root, n), OLD_MTIME, OLD_MTIME);
      }
      utimesSync(root, OLD_MTIME, OLD_MTIME);
    }
    const [ta, tb] = [await load([a]), await load([b])];
    assert.equal(shape(ta.tree.root), shape(tb.tree.root));
  } finally {
    tmp.remove();
  }
});

for (const format of ['gnu', 'pax', 'ustar']) {
  for (const gzip of [false, true]) {
    test(`tar --format=${format}${gzip ? ' | gzip' : ''}: the same tree and bytes as the directory`, async () => {
      const tmp = makeTempDir();
      try {
        const src = join(tmp.path, 'src');
        if (format === 'ustar') {
          mkdirSync(join(src, 'a/b'), { recursive: true });
          writeFileSync(join(src, 'a/b/file.txt'), 'x'.repeat(1000));
          writeFileSync(join(src, `${'n'.repeat(90)}.txt`), 'long');
          for (const p of ['a/b/file.txt', `${'n'.repeat(90)}.txt`, 'a/b', 'a', '.']) utimesSync(join(src, p), OLD_MTIME, OLD_MTIME);
        } else {
          makeJudgeTree(src, 4096);
          utimesSync(src, OLD_MTIME, OLD_MTIME);
        }
        const archive = join(tmp.path, gzip ? 'src.tar.gz' : 'src.tar');
        mustRun('tar', [`--format=${format}`, gzip ? '-czf' : '-cf', archive, '-C', src, '.']);
        const [fromDir, fromTar] = [await load([src]), await load([archive])];
        assert.equal(shape(fromTar.tree.root), shape(fromDir.tree.root));
        assert.equal(await contentHashes(fromTar), hostHashes(src, fromDir));
      } finally {
        tmp.remove();
      }
    });
  }
}

test('symlinks: followed by default (content copied), skipped with a warning on request; dangling and looping links are problems', async () => {
  const tmp = makeTempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(join(src, 'dir'), { recursive: true });
    writeFileSync(join(src, 'target.txt'), 'target');
    symlinkSync('target.txt', join(src, 'link.txt'));
    symlinkSync('dir', join(src, 'dirlink'));
    const followed = await load([src]);
    assert.equal(followed.tree.root.entries.map((e) => `${e.kind}:${e.name}`), ['dir:dir', 'dir:dirlink', 'file:link.txt', 'file:target.txt']);
    const skipped = await load([src], 'skip');
    assert.equal(skipped.tree.root.entries.map((e) => e.name), ['dir', 'target.txt']);
    assert.is(skipped.tree.warnings.length, 2);
    symlinkSync('nowhere', join(src, 'dangling'));
    symlinkSync('..', join(src, 'dir', 'loop'));
    mustRun('mkfifo', [join(src, 'fifo')]);
    try {
      await load([src]);
      assert.unreachable('should refuse');
    } catch (e) {
      assert.instance(e, GuestdiskError);
      const err = e as GuestdiskError;
      assert.is(err.code, 'INVALID_SPEC');
      const offenders = err.details.offenders as string[];
      assert.is(offenders.length, 3, offenders.join('\n')); // the loop is reached through dir/ and through dirlink/
      assert.ok(offenders.some((o) => o.includes('/dangling') && o.includes('leads nowhere')));
      assert.ok(offenders.some((o) => o.includes('/dir/loop') && o.includes('loop')));
    }
  } finally {
    tmp.remove();
  }
});

test('a name that is not UTF-8 is a problem, named with its bytes', async () => {
  const tmp = makeTempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    mustRun('sh', ['-c', `printf x > "$1/$(printf 'bad\\377name')"`, 'sh', src]);
    const err = await load([src]).then(() => null, (e: unknown) => e as GuestdiskError);
    assert.ok(err);
    assert.is(err.code, 'INVALID_SPEC');
    assert.match(String(err.details.offenders), /bad\\xffname: the name is not valid UTF-8/);
  } finally {
    tmp.remove();
  }
});

test('SRC:/DEST places sources under paths; the same file from two sources is a problem', async () => {
  const tmp = makeTempDir();
  try {
    const a = join(tmp.path, 'a');
    const b = join(tmp.path, 'b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, 'same.txt'), 'a');
    writeFileSync(join(b, 'same.txt'), 'b');
    const placed = await load([a, `${b}:/tools/b`]);
    assert.equal(placed.tree.root.entries.map((e) => e.name), ['same.txt', 'tools']);
    const tools = placed.tree.root.entries[1] as TreeDir;
    assert.equal(tools.entries.map((e) => e.name), ['b']);
    const err = await load([a, b]).then(() => null, (e: unknown) => e as GuestdiskError);
    assert.ok(err);
    assert.match(String(err.details.offenders), /same\.txt/);
    assert.equal(parseCopyFrom('/x:y/src:/a/../b'), { sourcePath: '/x:y/src', destPath: '/b' });
  } finally {
    tmp.remove();
  }
});

test.run();
