// NTFS read back against three judges we did not write: an ntfs-3g mount of the same image, sleuthkit (fls, icat)
// and 7-Zip's NTFS extractor. Listings, kinds, sizes, times (ms) and the sha256 of every file and stream must agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openFileTarget } from '../../src/target/file-target.js';
import { openVolume } from '../../src/read/open-volume.js';
import type { Entry, VolumeReader } from '../../src/read/types.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { mustRun, runTool } from '../helpers/tools.js';
import { hostTree, project, readerTree, sleuthkitTree, type Tree } from './judges.js';
import { makeNtfsFixture, MANY_ENTRIES } from './ntfs-volume.js';

const fixture = makeNtfsFixture();
let target: BlockTarget;
let reader: VolumeReader;
let tree: Tree;

/** Links whose targets lie outside the volume: ntfs-3g cannot stat them, sleuthkit and 7-Zip show them otherwise. */
const OUTSIDE_LINKS = new Set(['/winlink', '/winlink-relative', '/junction']);

test.before(async () => {
  target = await openFileTarget({ path: fixture.image, mode: 'read', logicalSectorSize: 512 });
  reader = await openVolume(target);
  tree = await readerTree(reader, { streams: true });
});
test.after(async () => {
  await target?.close();
  fixture.remove();
});

async function bytesOf(path: string, stream?: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of reader.read(path, { stream })) parts.push(p);
  return Buffer.concat(parts);
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('volume: NTFS, label, no warnings on a cleanly unmounted ntfs-3g volume', () => {
  assert.is(reader.filesystem, 'ntfs');
  assert.is(reader.label, 'ReadTest');
  assert.equal(reader.warnings, []);
});

test('the ntfs-3g mount sees the same tree: kinds, sizes, modification times, sha256, link targets, streams', () => {
  mustRun('ntfs-3g', ['-o', 'ro,streams_interface=windows', fixture.image, fixture.mountpoint]);
  try {
    const mounted = hostTree(fixture.mountpoint, { skip: (p) => OUTSIDE_LINKS.has(p) });
    const streams = new Map<string, string>();
    for (const [path, seen] of tree) {
      const colon = path.lastIndexOf(':');
      if (colon > path.lastIndexOf('/')) {
        streams.set(path, sha(readFileSync(join(fixture.mountpoint, path))));
        assert.is(streams.get(path), seen.sha256, path);
      }
    }
    assert.ok(streams.size >= 62, `streams compared: ${streams.size}`);
    const ours = project(new Map([...tree].filter(([p]) => !OUTSIDE_LINKS.has(p) && !streams.has(p))), {});
    assert.equal([...ours.keys()], [...mounted.keys()]);
    for (const [path, seen] of mounted) assert.equal(ours.get(path), seen, path);
  } finally {
    mustRun('umount', [fixture.mountpoint]);
  }
});

test('sleuthkit (fls -r, icat) lists the same names and extracts the same bytes, streams included', () => {
  const many = (p: string): boolean => p.startsWith('/many/');
  const theirs = sleuthkitTree(fixture.image, { offsetSectors: 0, streams: true, hash: (p) => !many(p) });
  const ours = new Map<string, string | undefined>();
  for (const [path, seen] of tree) ours.set(path, seen.kind === 'file' && !many(path) ? seen.sha256 : undefined);
  assert.equal([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [path, seen] of theirs) {
    const mine = tree.get(path)!;
    if (mine.kind === 'file' && !many(path)) assert.is(seen.sha256, mine.sha256, path);
  }
});

test('7-Zip extracts the same files and streams (its data error on a file whose initialized size ends early is its own)', () => {
  const out = join(fixture.image, '..', 'x7');
  const r = runTool('7zz', ['x', '-y', `-o${out}`, fixture.image]);
  try {
    const errors = [...`${r.stdout}\n${r.stderr}`.matchAll(/ERROR: Data Error : (.*)$/gm)].map((m) => m[1]);
    // ntfs-3g leaves sparse.bin with initialized size < data size (the write past the hole); 7-Zip refuses that.
    assert.equal(errors, ['sparse.bin'], r.stdout);
    const extracted = hostTree(out, { times: false, skip: (p) => p.startsWith('/[SYSTEM]') });
    let compared = 0;
    for (const [path, seen] of extracted) {
      if (seen.kind !== 'file' || path === '/sparse.bin') continue;
      const mine = tree.get(path);
      if (mine?.kind === 'symlink') continue; // 7-Zip writes the Interix link's raw bytes
      assert.ok(mine, `7-Zip extracted ${path}, which the reader does not list`);
      assert.is(mine!.sha256, seen.sha256, path);
      compared++;
    }
    assert.ok(compared > MANY_ENTRIES, `files compared: ${compared}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('10,000 entries in one directory: all listed, in collation order, from a multi-level index', async () => {
  const names: string[] = [];
  for await (const e of reader.list('/many')) names.push(e.name);
  assert.is(names.length, MANY_ENTRIES);
  assert.equal(names, [...names].sort((a, b) => (a.toUpperCase() < b.toUpperCase() ? -1 : 1)));
  assert.is(new TextDecoder().decode(await bytesOf('/many/entry-07000-with-a-longer-name.txt')), '7000');
});

test('compressed, sparse, fragmented and hard-linked files', async () => {
  const text = await reader.stat('/compressed/text.txt');
  assert.ok(text.attributes.compressed);
  assert.ok(text.allocatedBytes < text.sizeBytes / 4, `compressed: ${text.allocatedBytes} of ${text.sizeBytes}`);
  const sparse = await reader.stat('/sparse.bin');
  assert.ok(sparse.attributes.sparse);
  assert.is(sparse.sizeBytes, 64 * 1024 * 1024);
  assert.ok(sparse.allocatedBytes <= 64 * 1024, `sparse allocated ${sparse.allocatedBytes}`);
  const big = await reader.stat('/big.bin');
  const link = await reader.stat('/big-hardlink.bin');
  assert.is(big.links, 2);
  assert.is(big.id, link.id);
  assert.is(tree.get('/big.bin')!.sha256, tree.get('/big-hardlink.bin')!.sha256);
});

test('alternate data streams: listed with sizes, readable by name; an attribute list does not hide any', async () => {
  const readme = await reader.stat('/docs/readme.txt');
  assert.equal(readme.streams, [{ name: 'big stream', sizeBytes: 200000 }, { name: 'meta', sizeBytes: 4 }]);
  assert.is(new TextDecoder().decode(await bytesOf('/docs/readme.txt', 'meta')), 'meta');
  const many = await reader.stat('/attrlist.txt');
  assert.is(many.streams.length, 60);
  assert.is(new TextDecoder().decode(await bytesOf('/attrlist.txt', 'stream37')), '7'.repeat(150));
  const info = mustRun('ntfsinfo', ['-F', '/attrlist.txt', fixture.image]);
  assert.match(info, /\$ATTRIBUTE_LIST/, 'the fixture must have an attribute list');
});

test('links: Interix symlink, Windows symlinks and a junction shown with their targets and never followed', async () => {
  const get = async (p: string): Promise<Entry> => reader.stat(p);
  assert.is((await get('/interix-link')).kind, 'symlink');
  assert.is((await get('/interix-link')).linkTarget, 'docs/readme.txt');
  assert.is((await get('/winlink')).kind, 'symlink');
  assert.is((await get('/winlink')).linkTarget, 'C:\\Windows\\System32');
  assert.is((await get('/winlink-relative')).linkTarget, '..\\docs\\readme.txt');
  assert.is((await get('/junction')).kind, 'junction');
  assert.is((await get('/junction')).linkTarget, 'C:\\Users\\Public');
  for (const p of ['/winlink', '/interix-link', '/junction/x']) {
    try {
      await bytesOf(p);
      assert.unreachable(`${p} was followed`);
    } catch (e) {
      assert.is((e as { code?: string }).code, 'PATH_NOT_FOUND', String(e));
    }
  }
});

test('names: POSIX names differing in case both listed, exact match wins; the DOS alias is hidden but opens the file', async () => {
  const root: string[] = [];
  for await (const e of reader.list('/')) root.push(e.name);
  assert.ok(root.includes('Case.txt') && root.includes('case.txt'));
  assert.not.ok(root.includes('LONGFI~1.TXT'));
  assert.is(new TextDecoder().decode(await bytesOf('/Case.txt')), 'upper');
  assert.is(new TextDecoder().decode(await bytesOf('/case.txt')), 'lower');
  assert.is(new TextDecoder().decode(await bytesOf('/LONGFI~1.TXT')), 'long');
  assert.is((await reader.stat('/LONGFI~1.TXT')).name, 'Long File Name.txt');
  assert.is(new TextDecoder().decode(await bytesOf('/DOCS/README.TXT')), 'hello world\n');
});

test('attributes and times: read-only flag, a set modification time to the millisecond', async () => {
  assert.ok((await reader.stat('/readonly.txt')).attributes.readOnly);
  assert.is((await reader.stat('/docs/readme.txt')).times.modifiedMs, Date.UTC(2001, 1, 3, 4, 5, 6, 789));
});

test('deleted and renamed entries: gone from listings, new names present', async () => {
  const names: string[] = [];
  for await (const e of reader.list('/churn')) names.push(e.name);
  assert.is(names.length, 150);
  assert.ok(names.includes('renamed-one.txt'));
  assert.not.ok(names.includes('file0.txt') || names.includes('file1.txt'));
  assert.is((await reader.stat('/docs/moved-deepest/file.txt')).sizeBytes, 4);
});

test('missing paths and wrong kinds are PATH_NOT_FOUND; ".." is INVALID_SPEC', async () => {
  const code = async (f: () => Promise<unknown>): Promise<string | undefined> => {
    try {
      await f();
      return undefined;
    } catch (e) {
      return (e as { code?: string }).code;
    }
  };
  assert.is(await code(() => reader.stat('/nope')), 'PATH_NOT_FOUND');
  assert.is(await code(() => reader.stat('/docs/readme.txt/x')), 'PATH_NOT_FOUND');
  assert.is(await code(() => bytesOf('/docs')), 'PATH_NOT_FOUND');
  assert.is(await code(() => bytesOf('/docs/readme.txt', 'nostream')), 'PATH_NOT_FOUND');
  assert.is(await code(async () => { for await (const _ of reader.list('/big.bin')) void _; }), 'PATH_NOT_FOUND');
  assert.is(await code(() => reader.stat('/docs/../big.bin')), 'INVALID_SPEC');
});

test.run();
