// Windows' name rules, case-insensitive duplicates, and FAT short names (fatgen103's basis name and numeric tails,
// and the checksum long-name entries carry), then the whole refusal through the CLI: one error listing every
// offender, and the target untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { basisName, directShortName, shortNameChecksum, shortNamesFor } from '../../src/fs/fat32/short-name.js';
import { fat32UpcaseName } from '../../src/fs/fat32/content-plan.js';
import type { TreeDir } from '../../src/disk-types.js';
import { findNameProblems, windowsNameProblem } from '../../src/fs/windows-names.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tools.js';
import { TIMESTAMP } from './trees.js';

const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

test('Windows name rules', async () => {
  for (const bad of ['a<b', 'a>b', 'a:b', 'a"b', 'a\\b', 'a|b', 'a?b', 'a*b', 'tab\there', 'dot.', 'space ', 'CON', 'con.txt', 'Nul.tar.gz', 'COM1', 'lpt9.log', 'COM¹', 'AUX .txt', 'x'.repeat(256), '\ud800x']) {
    assert.ok(windowsNameProblem(bad), `should refuse ${JSON.stringify(bad)}`);
  }
  for (const good of ['CONSOLE', 'com10', 'LPT', 'a.b.c', '.hidden', ' leading space', 'ünïcödé 日本 😀', 'x'.repeat(255), 'a+b=c;[d]']) {
    assert.is(windowsNameProblem(good), null, good);
  }
});

test('names that differ only in case are reported per directory, through the up-case table', async () => {
  const file = (name: string) => ({ kind: 'file' as const, name, sizeBytes: 0, mtime: 0, readOnly: false, linkGroup: null, source: 0, order: 0, dir: '' });
  const root: TreeDir = { kind: 'dir', name: '', mtime: 0, entries: [file('Readme'), file('README'), file('été'), file('ÉTÉ'), file('straße'), file('STRASSE'), { kind: 'dir', name: 'd', mtime: 0, entries: [file('a'), file('A')] }] };
  const problems = findNameProblems(root, fat32UpcaseName);
  assert.equal(problems.map((p) => p.path), ['/Readme', '/été', '/d/a']);
});

test('short names: valid 8.3 names stand alone (case in DIR_NTRes), others get fatgen103 basis names and ~n tails', async () => {
  assert.equal(directShortName('readme.txt') && { n: ascii(directShortName('readme.txt')!.name), r: directShortName('readme.txt')!.ntRes }, { n: 'README  TXT', r: 0x18 });
  assert.equal(directShortName('README.txt')!.ntRes, 0x10);
  assert.is(directShortName('ReadMe.txt'), null);
  assert.is(directShortName('a b.txt'), null);
  assert.is(directShortName('straße'), null);
  assert.equal(basisName('The quick brown.fox'), { base: 'THEQUICK', ext: 'FOX' });
  assert.equal(basisName('.bashrc'), { base: 'BASHRC', ext: '' });
  assert.equal(basisName('a+b=c.tar.gz'), { base: 'A_B_CTAR', ext: 'GZ' });
  assert.equal(basisName('ünïcödé.txt'), { base: '_N_C_D_', ext: 'TXT' });
  const names = shortNamesFor(['Long file name one.txt', 'Long file name two.txt', 'LONGFI~1.TXT', 'x.txt']);
  assert.equal(names!.map((n) => ascii(n.name)), ['LONGFI~2TXT', 'LONGFI~3TXT', 'LONGFI~1TXT', 'X       TXT']);
  // fatgen103's ChkSum over "README  TXT", computed by hand: 0x73.
  assert.is(shortNameChecksum(new TextEncoder().encode('README  TXT')), 0x73);
});

test('property: short names in a directory are unique, 11 valid bytes, and a name that needs none keeps its own', async () => {
  const nameArb = fc.array(fc.constantFrom('a', 'B', 'c', '.', ' ', '~', '1', 'é', '日', '+', '_'), { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
  fc.assert(fc.property(fc.uniqueArray(nameArb, { maxLength: 40, selector: (n) => fat32UpcaseName(n) }), (names) => {
    const short = shortNamesFor(names)!;
    const keys = short.map((s) => ascii(s.name));
    assert.is(new Set(keys).size, keys.length);
    for (const k of keys) assert.match(k, /^[A-Z0-9$%'\-_@~`!(){}^#& ]{11}$/);
    for (const s of short) if (s.name[0] === 0x20) assert.unreachable('a short name never starts with a space');
  }), { numRuns: 300, seed: 17 });
});

/** fatgen103's rule as plainly as it reads: each name that needs one gets the smallest ~n whose short name is still
 *  free in the directory (valid 8.3 names reserved first). The planner finds the same tails without searching from
 *  ~1 for every name. */
function smallestFreeTails(names: readonly string[]): string[] {
  const direct = names.map(directShortName);
  const taken = new Set(direct.filter((d) => d !== null).map((d) => ascii(d!.name)));
  return names.map((name, i) => {
    if (direct[i]) return ascii(direct[i]!.name);
    const { base, ext } = basisName(name);
    for (let n = 1; ; n++) {
      const tail = `~${n}`;
      const candidate = `${(base.slice(0, 8 - tail.length) + tail).padEnd(8)}${ext.padEnd(3)}`;
      if (!taken.has(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  });
}

test('property: numeric tails are the smallest free ones, also where basis names share their cut prefixes', async () => {
  // "entry 123.dat" and "entry 124.dat" have different basis names but the same candidates once cut for "~n".
  const nameArb = fc.tuple(fc.constantFrom('entry ', 'Entry', 'ENTRY1', 'long name ', 'x'), fc.nat(3000), fc.constantFrom('.dat', '.DAT', '', '.jpeg', '.a.b'))
    .map(([p, n, e]) => `${p}${n}${e}`);
  fc.assert(fc.property(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 400, selector: (n) => fat32UpcaseName(n) }), (names) => {
    assert.equal(shortNamesFor(names)!.map((s) => ascii(s.name)), smallestFreeTails(names));
  }), { numRuns: 200, seed: 23 });
  // 3,000 names whose basis names all share "ENTRY" (tails past ~9 and ~99): the same rule.
  const many = Array.from({ length: 3000 }, (_, i) => `entry ${i}.dat`).sort();
  assert.equal(shortNamesFor(many)!.map((s) => ascii(s.name)), smallestFreeTails(many));
});

test('CLI: every offender in one INVALID_SPEC error (exit 2), and the target is not created', async () => {
  const tmp = makeTempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    for (const n of ['CON.txt', 'a:b', 'trailing.', 'ok.txt', 'sub/Foo', 'sub/foo', 'sub/LPT1']) writeFileSync(join(src, n), 'x');
    writeFileSync(join(src, 'huge.bin'), '');
    truncateSync(join(src, 'huge.bin'), 4 * 1024 ** 3); // sparse: 4 GiB does not fit FAT32
    const image = join(tmp.path, 'disk.img');
    const r = await runCli(['create', image, '--size', '64M', '--fs', 'fat32', '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP)]);
    assert.is(r.status, 2, r.stderr);
    for (const offender of ['/CON.txt', '/a:b', '/trailing.', '/sub/Foo', '/sub/LPT1', '/huge.bin']) assert.ok(r.stderr.includes(offender), `${offender} in ${r.stderr}`);
    assert.not.ok(r.stderr.includes('/ok.txt'));
    assert.not.ok(existsSync(image), 'nothing written');
    const json = await runCli(['create', image, '--size', '64M', '--fs', 'fat32', '--copy-from', src, '--seed', 's', '--json']);
    const err = JSON.parse(json.stdout).error;
    assert.is(err.code, 'INVALID_SPEC');
    assert.is(err.details.offenders.length, 6);
  } finally {
    tmp.remove();
  }
});

test('CLI: a tree too large for the disk is TARGET_TOO_SMALL naming the missing bytes; --fs none refuses --copy-from', async () => {
  const tmp = makeTempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'big.bin'), '');
    truncateSync(join(src, 'big.bin'), 80 * 1024 * 1024);
    const image = join(tmp.path, 'disk.img');
    const r = await runCli(['create', image, '--size', '64M', '--fs', 'fat32', '--copy-from', src, '--seed', 's', '--json']);
    const err = JSON.parse(r.stdout).error;
    assert.is(err.code, 'TARGET_TOO_SMALL');
    assert.ok(err.details.missingBytes > 16 * 1024 * 1024);
    assert.not.ok(existsSync(image));
    // NTFS stores the all-hole file sparse: it fits. The same size written out does not.
    const sparseFits = await runCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--copy-from', src, '--seed', 's', '--json', '--dry-run']);
    assert.is(sparseFits.status, 0, sparseFits.stdout);
    const dense = join(tmp.path, 'dense');
    mkdirSync(dense);
    writeFileSync(join(dense, 'big.bin'), Buffer.alloc(80 * 1024 * 1024, 1));
    const ntfs = await runCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--copy-from', dense, '--seed', 's', '--json']);
    assert.is(ntfs.status, 3);
    const ntfsErr = JSON.parse(ntfs.stdout).error;
    assert.is(ntfsErr.code, 'TARGET_TOO_SMALL');
    assert.ok(ntfsErr.details.missingBytes > 16 * 1024 * 1024);
    assert.not.ok(existsSync(image));
    const none = await runCli(['create', image, '--size', '64M', '--fs', 'none', '--copy-from', src, '--seed', 's']);
    assert.is(none.status, 2);
    assert.not.ok(existsSync(image));
  } finally {
    tmp.remove();
  }
});

test.run();
