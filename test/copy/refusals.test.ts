// What `create --copy-from` refuses before the first byte is written, through the CLI: every one of Windows' name
// rules (reserved characters, control characters, a trailing dot or space, the device names with any extension,
// names equal but for case, through the up-case table), FAT32's 4 GiB limit and NTFS's system names, all in ONE
// INVALID_SPEC error (exit 2) listing every offender and nothing else; and every target left exactly as it was
// (sha256 before and after): an image file holding an older disk, a loop device holding one (a block device, as an
// LV is), and an existing LV reached through --lvm (no LVM command that changes anything runs). A tree too large
// leaves a loop device untouched too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { createFakeHost } from '../helpers/fake-bin/fake-host.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { TIMESTAMP } from './trees.js';

for (const tool of ['losetup', 'python3', 'tar', 'xz', 'bzip2']) requireTool(tool);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Names Windows refuses, one file each at the root (the rule each breaks, for the reader). */
const BAD_NAMES: Record<string, string> = {
  'a<b': '<', 'a>b': '>', 'a:b': ':', 'a"b': '"', 'a\\b': '\\', 'a|b': '|', 'a?b': '?', 'a*b': '*',
  'ctl\u0001x': 'control character', 'tab\tx': 'control character', 'ends in\u001f': 'control character',
  'dot.': 'trailing dot', 'space ': 'trailing space', 'both. ': 'trailing dot and space',
  CON: 'device', 'prn.txt': 'device + extension', 'AUX.tar.gz': 'device + two extensions', nul: 'device, lower case',
  COM1: 'device', 'com9.log': 'device', LPT1: 'device', 'Lpt9.x': 'device', 'CONIN$': 'device', 'COM¹.txt': 'device (superscript)',
};
/** Names Windows takes, which must not be reported. */
const GOOD_NAMES = ['CONSOLE', 'com10', 'LPT', 'COM0x', 'a.b.c', 'ok.txt', '.hidden', ' leading space', 'x'.repeat(200), 'ünïcödé 日本 😀'];

/**
 * The tree: every bad name at the root, a bad name and a case-only pair inside sub/, a directory with a trailing
 * dot holding a good file, two case-only pairs at the root (one differing only in accented letters' case). Returns
 * the paths that must be reported (a case-only pair is reported once, under either name).
 */
function makeBadTree(src: string): { single: string[]; pairs: [string, string][] } {
  mkdirSync(join(src, 'sub'), { recursive: true });
  mkdirSync(join(src, 'bad dir.'), { recursive: true });
  writeFileSync(join(src, 'bad dir.', 'fine.txt'), 'x');
  for (const n of [...Object.keys(BAD_NAMES), ...GOOD_NAMES]) writeFileSync(join(src, n), n);
  for (const n of ['Readme.md', 'README.MD', 'été.txt', 'ÉTÉ.txt', 'sub/LPT5.dat', 'sub/x:y', 'sub/Straße', 'sub/STRASSE', 'sub/Mixed', 'sub/mIXED']) writeFileSync(join(src, n), n);
  return {
    single: [...Object.keys(BAD_NAMES).map((n) => `/${n}`), '/bad dir.', '/sub/LPT5.dat', '/sub/x:y'],
    // Straße/STRASSE are different names to Windows (its up-case table maps ß to itself): not a pair.
    pairs: [['/Readme.md', '/README.MD'], ['/été.txt', '/ÉTÉ.txt'], ['/sub/Mixed', '/sub/mIXED']],
  };
}

/** The offenders' paths as the error lists them ("PATH: reason"). */
function offenderPaths(offenders: readonly string[], candidates: readonly string[]): string[] {
  return offenders.map((o) => {
    const match = candidates.filter((c) => o.startsWith(`${c}: `)).sort((a, b) => b.length - a.length)[0];
    assert.ok(match, `an offender that is not one of the bad names: ${JSON.stringify(o)}`);
    return match;
  });
}

function expectAllOffenders(stdout: string, bad: { single: string[]; pairs: [string, string][] }, extra: string[]): void {
  const error = JSON.parse(stdout).error as { code: string; message: string; details: { offenders: string[] } };
  assert.is(error.code, 'INVALID_SPEC');
  const offenders = error.details.offenders;
  const candidates = [...bad.single, ...bad.pairs.flat(), ...extra];
  const seen = offenderPaths(offenders, candidates);
  assert.equal([...seen].filter((p) => !bad.pairs.flat().includes(p)).sort(), [...bad.single, ...extra].sort(), 'every single offender, once');
  for (const [a, b] of bad.pairs) assert.is(seen.filter((p) => p === a || p === b).length, 1, `${a} / ${b} reported once`);
  assert.is(offenders.length, bad.single.length + extra.length + bad.pairs.length, offenders.join('\n'));
  for (const good of GOOD_NAMES) assert.not.ok(offenders.some((o) => o.startsWith(`/${good}: `)), `${good} is a good name`);
  assert.match(error.message, /\d+ /);
}

/**
 * A plain tar whose one member, `name`, is `sizeBytes` long, written by Python's tarfile (its header) with the data
 * left a hole: the archive costs nothing on disk, and guestdisk reads a plain archive's headers only.
 */
function hollowTar(path: string, name: string, sizeBytes: number): void {
  const script = [
    'import sys, tarfile',
    'info = tarfile.TarInfo(sys.argv[2]); info.size = int(sys.argv[3]); info.mtime = 1600000000; info.mode = 0o644',
    "with open(sys.argv[1], 'wb') as f:",
    '    f.write(info.tobuf(tarfile.PAX_FORMAT))',
    '    f.truncate(f.tell() + (info.size + 511) // 512 * 512 + 1024)',
  ].join('\n');
  mustRun('python3', ['-c', script, path, name, String(sizeBytes)]);
}

interface FsExtra { args: string[]; offenders: string[] }

function fsExtras(dir: string): Record<'ntfs' | 'exfat' | 'fat32', FsExtra> {
  const sysName = join(dir, 'system-name');
  mkdirSync(sysName);
  writeFileSync(join(sysName, '$MFT'), 'x');
  const four = join(dir, 'four.tar');
  hollowTar(four, 'four.bin', 4 * GiB);
  return {
    // NTFS: a system file's name in the root.
    ntfs: { args: ['--copy-from', sysName], offenders: ['/$MFT'] },
    exfat: { args: [], offenders: [] },
    // FAT32: a file of 4 GiB, one byte too many.
    fat32: { args: ['--copy-from', `${four}:/sub`], offenders: ['/sub/four.bin'] },
  };
}

test('every Windows name rule, FAT32\'s 4 GiB and NTFS\'s system names: one INVALID_SPEC (exit 2) listing every offender; an image file, a loop device and an existing LV untouched', async () => {
  const tmp = makeTempDir('guestdisk-copy-refusals-');
  const loops: { detach(): void }[] = [];
  const host = createFakeHost({ vgs: { vg0: { freeBytes: GiB, lvs: {} } } });
  try {
    const src = join(tmp.path, 'src');
    const bad = makeBadTree(src);
    const image = join(tmp.path, 'old.img');
    await mustCli(['create', image, '--size', '64M', '--fs', 'exfat', '--seed', 'old', '--timestamp', String(TIMESTAMP)]);
    const deviceFile = join(tmp.path, 'device.img');
    await mustCli(['create', deviceFile, '--size', '64M', '--fs', 'ntfs', '--seed', 'old', '--timestamp', String(TIMESTAMP)]);
    const loop = attachLoop(deviceFile, { readOnly: false });
    loops.push(loop);
    const lvFile = join(tmp.path, 'lv.img');
    await mustCli(['create', lvFile, '--size', '64M', '--fs', 'fat32', '--seed', 'old', '--timestamp', String(TIMESTAMP)]);
    const lv = attachLoop(lvFile, { readOnly: false });
    loops.push(lv);
    const extras = fsExtras(tmp.path);
    const lvHost = createFakeHost({ vgs: { vg0: { freeBytes: GiB, lvs: { data: { sizeBytes: 64 * MiB, path: lv.device } } } } });
    try {
      const before = { image: await sha256File(image), device: await sha256File(loop.device), lv: await sha256File(lv.device) };
      for (const fs of ['ntfs', 'exfat', 'fat32'] as const) {
        const extra = extras[fs];
        {
          const common = ['--fs', fs, '--copy-from', src, ...extra.args, '--seed', 'new', '--timestamp', String(TIMESTAMP), '--json'];
          const onImage = await runCli(['create', image, '--force', ...common]);
          assert.is(onImage.status, 2, `${fs} image: ${onImage.stdout}`);
          expectAllOffenders(onImage.stdout, bad, extra.offenders);
          const onDevice = await runCli(['create', loop.device, '--force', ...common]);
          assert.is(onDevice.status, 2, `${fs} device: ${onDevice.stdout}`);
          expectAllOffenders(onDevice.stdout, bad, extra.offenders);
          const onLv = await runCli(['create', '--lvm', 'vg0/data', '--force', ...common], lvHost.env);
          assert.is(onLv.status, 2, `${fs} --lvm: ${onLv.stdout}`);
          expectAllOffenders(onLv.stdout, bad, extra.offenders);
          const newLv = await runCli(['create', '--lvm', 'vg0/new', '--size', '64M', ...common], host.env);
          assert.is(newLv.status, 2, `${fs} --lvm new: ${newLv.stdout}`);
          // The text form: one line on stderr naming the offenders (the first 20), nothing on stdout.
          const text = await runCli(['create', image, '--force', '--fs', fs, '--copy-from', src, '--seed', 'new']);
          assert.is(text.status, 2);
          assert.is(text.stdout, '');
          assert.match(text.stderr, /\/a<b/);
        }
      }
      const changing = [...lvHost.calls(), ...host.calls()].filter((c) => /^(lvcreate|lvextend|lvresize|lvremove|lvchange|wipefs)$/.test(c[0]));
      assert.equal(changing, [], 'no LVM command that changes anything ran');
      assert.equal({ image: await sha256File(image), device: await sha256File(loop.device), lv: await sha256File(lv.device) }, before, 'every target as it was');
    } finally {
      lvHost.remove();
    }
  } finally {
    for (const l of loops) l.detach();
    host.remove();
    tmp.remove();
  }
});

test('a tree too large for a loop device: TARGET_TOO_SMALL (exit 3) naming the missing bytes, the device untouched, also with --force', async () => {
  const tmp = makeTempDir('guestdisk-copy-too-big-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (let i = 0; i < 5; i++) writeFileSync(join(src, `f${i}.bin`), new Uint8Array(16 * MiB).fill(i + 1));
    const deviceFile = join(tmp.path, 'device.img');
    await mustCli(['create', deviceFile, '--size', '64M', '--fs', 'exfat', '--seed', 'old', '--timestamp', String(TIMESTAMP)]);
    const loop = attachLoop(deviceFile, { readOnly: false });
    try {
      const before = await sha256File(loop.device);
      for (const fs of ['ntfs', 'exfat', 'fat32']) {
        const r = await runCli(['create', loop.device, '--force', '--fs', fs, '--copy-from', src, '--seed', 'new', '--json']);
        assert.is(r.status, 3, `${fs}: ${r.stdout}`);
        const error = JSON.parse(r.stdout).error;
        assert.is(error.code, 'TARGET_TOO_SMALL');
        assert.ok(error.details.missingBytes > 0, JSON.stringify(error.details));
      }
      assert.is(await sha256File(loop.device), before);
    } finally {
      loop.detach();
    }
  } finally {
    tmp.remove();
  }
});

test('an archive compressed with xz or bzip2: INVALID_SPEC naming the command that decompresses it, nothing created', async () => {
  const tmp = makeTempDir('guestdisk-copy-xz-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'a');
    for (const [flag, name, tool] of [['-J', 'xz', 'xz -d'], ['-j', 'bzip2', 'bunzip2']] as const) {
      const archive = join(tmp.path, `src.tar.${name}`);
      mustRun('tar', [flag, '-cf', archive, '-C', src, '.']);
      const image = join(tmp.path, 'disk.img');
      const r = await runCli(['create', image, '--size', '64M', '--fs', 'exfat', '--copy-from', archive, '--seed', 's', '--json']);
      assert.is(r.status, 2, r.stdout);
      const error = JSON.parse(r.stdout).error;
      assert.is(error.code, 'INVALID_SPEC');
      assert.match(error.message, `compressed with ${name}`);
      assert.match(error.message, `(${tool})`);
      assert.not.ok(existsSync(image));
    }
  } finally {
    tmp.remove();
  }
});

test.run();
