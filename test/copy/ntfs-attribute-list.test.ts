// Files whose attributes one MFT record cannot hold, copied into NTFS: a base record with $ATTRIBUTE_LIST and
// extension records (hundreds and a thousand hard links, in one directory and in several, long Unicode names; a sparse
// file with thousands of holes, whose runlist is split into $DATA extents by VCN), at 512-byte sectors (1 KiB records)
// and 4096-byte sectors (4 KiB records). Judged by tools we did not write: ntfsfix -n and ntfsck -n clean, the
// conformance judge, ntfs-3g (every name, link counts, sha256, st_blocks of the sparse file), sleuthkit (istat shows
// the list and the extents, icat reads the bytes), guestdisk verify (which compares each list with the records it
// names) and get; then ntfs-3g deletes half the links and adds some, and the checkers stay clean.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import {
  NTFS_TOOLS, firstPartition, guestdiskVerifyClean, ntfsckClean, ntfsfixClean, withNtfs3g, withPartition, withoutSystemEntries,
} from './ntfs-judges.js';
import { TIMESTAMP, listTree, pseudoRandom, sorted, type Entry } from './trees.js';

for (const tool of [...NTFS_TOOLS, 'istat', 'ntfscluster']) requireTool(tool);
const CHECK = join(CONFORMANCE_DIR, 'check-image.sh');

const KiB = 1024;
const SHORT_LINKS = 1000;
const LONG_LINKS = 200;
const SUBDIRS = 4;
/** Data units (64 KiB, 4 KiB of data at their start) of the sparse file, each followed by a 64 KiB hole. */
const HOLES = 2000;

/** A long Unicode link name: accents, CJK, an emoji (a surrogate pair), padded to 180–229 UTF-16 units (Linux
 *  allows 255 bytes of UTF-8 a name). */
function longName(i: number): string {
  const head = `${i} ünïcödé 日本語のリンク 😀 `;
  const name = `${head}${'x'.repeat(180 + (i % 50) - head.length - 4)}.txt`;
  assert.ok(Buffer.byteLength(name) <= 255);
  return name;
}

const LONG = 'long names';
const SHORT = 'short names';
/** The names of the tree's two hard-linked files: [directory-relative path] per name. */
function longLinkPaths(): string[] {
  return Array.from({ length: LONG_LINKS }, (_, i) => (i === 0 ? `${LONG}/original.txt` : `${LONG}/${longName(i)}`));
}
function shortLinkPaths(): string[] {
  return Array.from({ length: SHORT_LINKS }, (_, i) => (i === 0 ? `${SHORT}/original.bin` : `${SHORT}/d${i % SUBDIRS}/link ${i}.bin`));
}

function makeTree(src: string): void {
  for (const d of [LONG, SHORT, 'sparse', ...Array.from({ length: SUBDIRS }, (_, k) => `${SHORT}/d${k}`)]) mkdirSync(join(src, d), { recursive: true });
  // 20 bytes: resident were it not for its names.
  writeFileSync(join(src, longLinkPaths()[0]), 'twenty bytes of text');
  writeFileSync(join(src, shortLinkPaths()[0]), pseudoRandom(5000, 7));
  for (const paths of [longLinkPaths(), shortLinkPaths()]) for (const p of paths.slice(1)) linkSync(join(src, paths[0]), join(src, p));
  const fd = openSync(join(src, 'sparse/holes.bin'), 'w');
  for (let i = 0; i < HOLES; i++) writeSync(fd, pseudoRandom(4 * KiB, i + 1), 0, 4 * KiB, i * 128 * KiB);
  ftruncateSync(fd, HOLES * 128 * KiB);
  closeSync(fd);
  writeFileSync(join(src, 'readme.txt'), 'a file of one name\n');
  const probe = statSync(join(src, 'sparse/holes.bin'));
  assert.ok(probe.blocks * 512 < probe.size / 2 + 1, `the temp filesystem keeps no holes: ${probe.blocks} blocks for ${probe.size} bytes`);
}

function hashes(listing: Map<string, Entry>): [string, string][] {
  return sorted(listing).filter(([, e]) => e.kind === 'file').map(([p, e]) => [p, `${e.size}:${e.sha256}`]);
}

/** ntfscluster --info: exit 0, and nothing on stderr but its note for each extension record ("Inode N is an extent
 *  of inode M.", which it prints for every volume with extension records, ntfs-3g's own too). Returns the notes. */
function ntfsclusterExtents(device: string): Map<number, number> {
  const r = runTool('ntfscluster', ['--info', device]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /bytes per cluster/);
  const extents = new Map<number, number>();
  for (const line of r.stderr.split('\n').filter((l) => l.trim() !== '' && !/has been opened read-only|Unable to open .* read-write/.test(l))) {
    const m = /^Inode (\d+) is an extent of inode (\d+)\.$/.exec(line);
    assert.ok(m, `ntfscluster: ${line}`);
    extents.set(Number(m[1]), Number(m[2]));
  }
  return extents;
}

/** The conformance judge: 0 FAIL, but for its ntfscluster check, which takes ntfscluster's note about extension
 *  records for an error (a volume where ntfs-3g itself made extension records fails it the same way). */
function checkImage(image: string, sector: number): void {
  assert.ok(existsSync(CHECK), `the conformance judge is missing: ${CHECK}`);
  const r = runTool('bash', [CHECK, image, '--fs', 'ntfs', '--table', 'gpt', '--sector', String(sector)], { timeoutMs: 10 * 60 * 1000 });
  const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
  assert.ok(summary, `no summary from check-image.sh:\n${r.stdout}\n${r.stderr}`);
  const bad = r.stdout.split('\n').filter((l) => l.startsWith('FAIL') && !/^FAIL ntfs\.ntfscluster: rc=0 (Inode \d+ is an extent of inode \d+\.\|?)+$/.test(l));
  assert.equal(bad, [], bad.join('\n'));
  assert.ok(Number(summary![1]) >= 30, r.stdout);
}

/** fls of one directory (by its MFT entry): name → MFT entry of each file and directory in it. One directory at a
 *  time: fls -r loads every name's whole file, a thousand extension records for each of a thousand names. */
function flsDirectory(image: string, offsetSectors: number, sector: number, entry: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of mustRun('fls', ['-b', String(sector), '-o', String(offsetSectors), image, String(entry)]).split('\n')) {
    const m = /^[rd]\/[rd] (\d+)-\d+-\d+:\t(.*)$/.exec(line);
    if (m && !m[2].startsWith('$')) out.set(m[2], Number(m[1]));
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

for (const sector of [512, 4096] as const) {
  const recordKiB = sector === 512 ? 1 : 4;
  test(`NTFS ${sector}-byte sectors (${recordKiB} KiB MFT records): ${LONG_LINKS} and ${SHORT_LINKS} hard links, ${HOLES} holes — attribute lists and extension records every judge accepts`, async () => {
    const tmp = makeTempDir('guestdisk-ntfs-attrlist-');
    try {
      const src = join(tmp.path, 'src');
      makeTree(src);
      const image = join(tmp.path, 'disk.img');
      const args = ['--size', '384M', '--fs', 'ntfs', '--sector-size', String(sector), '--cluster-size', '4096', '--copy-from', src, '--seed', 'attrlist', '--timestamp', String(TIMESTAMP)];
      await mustCli(['create', image, ...args]);
      const expected = hashes(listTree(src));
      const mnt = join(tmp.path, 'mnt');
      const part = firstPartition(image, sector);
      const offsetSectors = part.offsetBytes / sector;

      // sleuthkit: the list in the base record names records holding the names and the $DATA extents.
      const root = flsDirectory(image, offsetSectors, sector, 5);
      const longDir = flsDirectory(image, offsetSectors, sector, root.get(LONG)!);
      const shortDir = flsDirectory(image, offsetSectors, sector, root.get(SHORT)!);
      const d0 = flsDirectory(image, offsetSectors, sector, shortDir.get('d0')!);
      const longEntry = longDir.get('original.txt')!;
      const shortEntry = shortDir.get('original.bin')!;
      const sparseEntry = flsDirectory(image, offsetSectors, sector, root.get('sparse')!).get('holes.bin')!;
      assert.equal([...longDir.keys()].sort(), longLinkPaths().map((p) => p.slice(LONG.length + 1)).sort(), 'fls lists every long name');
      assert.ok([...longDir.values()].every((e) => e === longEntry), 'every long name leads to the base record');
      assert.equal([...d0.keys()].sort(), shortLinkPaths().filter((p) => p.includes('/d0/')).map((p) => p.split('/').pop()!).sort());
      assert.ok([...d0.values()].every((e) => e === shortEntry), 'every short name leads to the base record');
      const listedRecords = new Set<number>();
      for (const entry of [longEntry, shortEntry, sparseEntry]) {
        const istat = mustRun('istat', ['-b', String(sector), '-o', String(offsetSectors), image, String(entry)]);
        assert.match(istat, /\$ATTRIBUTE_LIST Attribute Values:/, istat.slice(0, 3000));
        for (const m of istat.matchAll(/Type: \d+-\d+ \tMFT Entry: (\d+)/g)) if (Number(m[1]) !== entry) listedRecords.add(Number(m[1]));
        const icat = new Uint8Array(mustRunBytes('icat', ['-b', String(sector), '-o', String(offsetSectors), image, String(entry)]));
        const path = entry === longEntry ? longLinkPaths()[0] : entry === shortEntry ? shortLinkPaths()[0] : 'sparse/holes.bin';
        assert.is(sha256(icat), sha256(readFileSync(join(src, path))), `icat ${path}`);
        if (entry === sparseEntry) {
          const vcns = [...istat.matchAll(/Type: 128-\d+ \tMFT Entry: \d+ \tVCN: (\d+)/g)].map((m) => Number(m[1]));
          assert.ok(vcns.length > 1 && vcns[0] === 0 && vcns.every((v, i) => i === 0 || v > vcns[i - 1]), `$DATA extents by VCN: ${vcns.join(' ')}`);
          assert.match(istat, /Non-Resident, Sparse/);
        }
      }
      assert.ok(listedRecords.size > 0, 'the lists name extension records');

      withPartition(image, sector, (device) => {
        ntfsfixClean(device);
        ntfsckClean(device);
        const extents = ntfsclusterExtents(device);
        assert.equal([...extents.keys()].sort((a, b) => a - b), [...listedRecords].sort((a, b) => a - b), 'the extension records are those the lists name');
        assert.ok([...extents.values()].every((base) => [longEntry, shortEntry, sparseEntry].includes(base)), 'each points at its base record');
        withNtfs3g(device, mnt, 'ro', (dir) => {
          assert.equal(hashes(withoutSystemEntries(listTree(dir))), expected, 'ntfs-3g reads every name with its content');
          assert.is(statSync(join(dir, longLinkPaths()[0])).nlink, LONG_LINKS);
          assert.is(statSync(join(dir, shortLinkPaths()[0])).nlink, SHORT_LINKS);
          assert.is(statSync(join(dir, 'sparse/holes.bin')).blocks * 512, HOLES * 64 * KiB, 'the sparse file allocates its data units only');
        });
      });
      checkImage(image, sector);
      await guestdiskVerifyClean(image);
      // guestdisk get through our own reader: the long-named directory, and each listed file by its first name.
      mkdirSync(join(tmp.path, 'get'));
      await mustCli(['get', `${image}:/${LONG}`, join(tmp.path, 'get')]);
      assert.equal(hashes(listTree(join(tmp.path, 'get', LONG))), hashes(listTree(join(src, LONG))), 'guestdisk get of the long names');
      for (const p of [shortLinkPaths()[0], 'sparse/holes.bin']) {
        const out = join(tmp.path, 'get-one', p.split('/').pop()!);
        mkdirSync(join(out, '..'), { recursive: true });
        await mustCli(['get', `${image}:/${p}`, out]);
        assert.is(sha256File(out), sha256File(join(src, p)), `guestdisk get ${p}`);
      }

      // ntfs-3g deletes half of each file's names (the first one among them) and adds 25 more to each.
      const drop = (paths: string[]): string[] => paths.filter((_, i) => i % 2 === 0);
      const removed = [...drop(longLinkPaths()), ...drop(shortLinkPaths())];
      const added = Array.from({ length: 25 }, (_, i) => [[longLinkPaths()[1], `${LONG}/added ${i} ${longName(i).slice(0, 150)}`], [shortLinkPaths()[1], `${SHORT}/d${i % SUBDIRS}/added ${i}.bin`]]).flat();
      withPartition(image, sector, (device) => {
        withNtfs3g(device, mnt, 'rw', (dir) => {
          for (const p of removed) unlinkSync(join(dir, p));
          for (const [from, to] of added) linkSync(join(dir, from), join(dir, to));
        });
        ntfsckClean(device);
        ntfsfixClean(device);
        for (const p of removed) unlinkSync(join(src, p));
        for (const [from, to] of added) linkSync(join(src, from), join(src, to));
        withNtfs3g(device, mnt, 'ro', (dir) => {
          assert.equal(hashes(withoutSystemEntries(listTree(dir))), hashes(listTree(src)), 'after ntfs-3g deleted and added links');
          assert.is(statSync(join(dir, longLinkPaths()[1])).nlink, LONG_LINKS / 2 + 25);
          assert.is(statSync(join(dir, shortLinkPaths()[1])).nlink, SHORT_LINKS / 2 + 25);
        });
      }, false);
      await guestdiskVerifyClean(image);

      if (sector === 512) {
        // The same tree again (written afresh, in another directory order on disk): the same bytes.
        const again = join(tmp.path, 'again');
        mustRun('cp', ['-a', src, again]);
        const first = join(tmp.path, 'first.img');
        const second = join(tmp.path, 'second.img');
        await mustCli(['create', first, ...args.map((a) => (a === src ? again : a))]);
        await mustCli(['create', second, ...args.map((a) => (a === src ? again : a))]);
        assert.is(sha256File(first), sha256File(second), 'same tree twice, same image');
      }
    } finally {
      tmp.remove();
    }
  });
}

/** A tool's stdout as bytes (icat of a 250 MiB file: more than runTool's text output is meant for). */
function mustRunBytes(name: string, args: readonly string[]): Buffer {
  return execFileSync(name, [...args], { maxBuffer: 1 << 30 });
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

test('a file whose attribute list would pass 256 KiB is refused before anything is written, naming it', async () => {
  const tmp = makeTempDir('guestdisk-ntfs-attrlist-refuse-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x');
    for (let i = 1; i < 8300; i++) linkSync(join(src, 'f'), join(src, `l${i}`));
    const image = join(tmp.path, 'disk.img');
    const r = await runCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP), '--json']);
    assert.is.not(r.status, 0);
    assert.match(r.stdout + r.stderr, /8300 names and 1 data extents need a \d+-byte attribute list, more than NTFS allows/);
    assert.ok(!existsSync(image), 'no image was made');
  } finally {
    tmp.remove();
  }
});

test.run();
