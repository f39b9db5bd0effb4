// The copy at the filesystems' limits, judged by tools we did not write:
// - names of exactly 255 UTF-16 units made of emoji (surrogate pairs), accents and CJK (from a pax tar: a Linux
//   directory cannot hold names of more than 255 bytes) in NTFS, exFAT and FAT32: ntfsfix/ntfsck, fsck.exfat
//   (which checks every entry set's name hash) and fsck.fat (every long-name entry's checksum) clean, the names
//   listed by sleuthkit, 7-Zip and mtools; a name of 256 units is refused;
// - FAT32's largest file, 4 GiB − 1 byte: fsck.fat clean but for its own 32-bit limit, its bytes compared whole
//   through 7-Zip;
// - NTFS, a file of 5 GiB (sparse source: data at its start, past 4 GiB and at its end): ntfsfix and ntfsck clean,
//   ntfs-3g's size and pieces, and the whole file through 7-Zip;
// - NTFS, 100,000 entries in one directory: ntfsck clean, every name listed by ntfs-3g.
// Trees and images go to /dev/shm when there is one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { fsckFatClean } from './fat32-judges.js';
import { FSCK_FAT_INFO_LINES } from '../fs/fat32/tool-checks.js';
import { firstPartition, ntfsckClean, ntfsfixClean, withNtfs3g, withPartition } from './ntfs-judges.js';
import { TIMESTAMP } from './trees.js';

for (const tool of ['python3', 'fsck.exfat', 'fsck.fat', 'mdir', '7zz', 'fls', 'ntfsfix', 'ntfs-3g', 'fusermount3', 'losetup', 'sfdisk', 'cmp']) requireTool(tool);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function scratchDir(prefix: string): { path: string; remove(): void } {
  if (!existsSync('/dev/shm')) return makeTempDir(prefix);
  const path = mkdtempSync(join('/dev/shm', prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const EMOJI_255 = `${'😀'.repeat(127)}a`;
const ACCENTS_255 = 'é'.repeat(255);
const CJK_255 = '日本語'.repeat(85);
const EMOJI_256 = '🎉'.repeat(128);

/** A pax tar (Python's tarfile, not our code) holding `names` under d/, each file's content its index. */
function paxTar(path: string, names: readonly string[]): void {
  const script = [
    'import io, json, sys, tarfile',
    'names = json.loads(sys.argv[2])',
    "with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:",
    '    for i, n in enumerate(names):',
    "        data = str(i).encode()",
    "        info = tarfile.TarInfo('d/' + n); info.size = len(data); info.mtime = 1600000000; info.mode = 0o644",
    '        t.addfile(info, io.BytesIO(data))',
  ].join('\n');
  mustRun('python3', ['-c', script, path, JSON.stringify(names)]);
}

test('names of 255 UTF-16 units (emoji, accents, CJK) in NTFS, exFAT and FAT32: checkers clean, the names listed by sleuthkit, 7-Zip and mtools; 256 units refused', async () => {
  const tmp = makeTempDir('guestdisk-copy-long-names-');
  try {
    const names = [EMOJI_255, ACCENTS_255, CJK_255];
    for (const n of names) assert.is(n.length, 255, 'UTF-16 units');
    const archive = join(tmp.path, 'long.tar');
    paxTar(archive, names);
    const listed = (output: string): string[] => names.filter((n) => output.includes(`d/${n}`));
    for (const fs of ['ntfs', 'exfat', 'fat32'] as const) {
      const image = join(tmp.path, `${fs}.img`);
      await mustCli(['create', image, '--size', '64M', '--fs', fs, '--copy-from', archive, '--seed', 'long', '--timestamp', String(TIMESTAMP)]);
      const part = firstPartition(image, 512);
      if (fs === 'ntfs') {
        withPartition(image, 512, (device) => { ntfsfixClean(device); ntfsckClean(device); });
      } else if (fs === 'exfat') {
        const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes });
        try {
          const r = runTool('fsck.exfat', ['-n', loop.device]);
          assert.is(r.status, 0, r.stdout + r.stderr);
          assert.match(r.stdout, /clean\. directories 2, files 3/);
        } finally {
          loop.detach();
        }
      } else {
        fsckFatClean(image, part.offsetBytes, 512);
      }
      // sleuthkit's FAT reader cuts long names to about 500 UTF-8 bytes and leaves out some (the emoji one), so
      // it judges the NTFS and exFAT names only. 7-Zip reads NTFS and FAT, mtools FAT (an emoji as "_" per unit).
      if (fs !== 'fat32') assert.equal(listed(mustRun('fls', ['-r', '-p', '-o', String(part.offsetBytes / 512), image])), names, `sleuthkit on ${fs}`);
      if (fs !== 'exfat') assert.equal(listed(mustRun('7zz', ['l', image])), names, `7-Zip on ${fs}`);
      if (fs === 'fat32') {
        const mdir = mustRun('env', ['LC_ALL=C.UTF-8', 'MTOOLS_SKIP_CHECK=1', 'mdir', '-i', `${image}@@${part.offsetBytes}`, '::d']);
        for (const n of [ACCENTS_255, CJK_255, EMOJI_255.replace(/😀/g, '__')]) assert.ok(mdir.includes(n), `mtools lists ${n.slice(0, 8)}…`);
      }
    }
    const tooLong = join(tmp.path, 'too-long.tar');
    paxTar(tooLong, [EMOJI_256, EMOJI_255]);
    for (const fs of ['ntfs', 'exfat', 'fat32']) {
      const image = join(tmp.path, `refused-${fs}.img`);
      const r = await runCli(['create', image, '--size', '64M', '--fs', fs, '--copy-from', tooLong, '--seed', 'long', '--json']);
      assert.is(r.status, 2, r.stdout);
      const offenders = JSON.parse(r.stdout).error.details.offenders as string[];
      assert.is(offenders.length, 1, offenders.join('\n'));
      assert.ok(offenders[0].startsWith(`/d/${EMOJI_256}`), offenders[0]);
      assert.not.ok(existsSync(image));
    }
  } finally {
    tmp.remove();
  }
});

/** A sparse source file of `sizeBytes` with `pieces` of data at the given offsets. */
function sparseFile(path: string, sizeBytes: number, pieces: readonly [number, string][]): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, sizeBytes);
    for (const [at, text] of pieces) writeSync(fd, new TextEncoder().encode(text), 0, undefined, at);
  } finally {
    closeSync(fd);
  }
}

/** 7-Zip extracts `name` from the image to stdout; cmp compares it with the source, byte for byte. */
function sevenZipEqual(image: string, name: string, source: string): void {
  const r = runTool('sh', ['-c', '7zz x -so "$1" "$2" 2>/dev/null | cmp - "$3"', 'sh', image, name, source], { timeoutMs: 10 * 60 * 1000 });
  assert.is(r.status, 0, `7-Zip's ${name} differs from the source: ${r.stdout}${r.stderr}`);
}

/**
 * fsck.fat -n -v: a healthy report, except for the one thing dosfstools 4.2 gets wrong about a file of the largest
 * size: it counts the chain's length in 32 bits, so 4 GiB of clusters are "0 bytes" and it would truncate the file
 * (fixed upstream after 4.2; a file of 4 GiB − 1 byte always needs a chain of 4 GiB).
 */
function fsckFatCleanButMaxSize(image: string, path: string): void {
  const loop = attachLoop(image, { offsetBytes: MiB });
  try {
    const r = runTool('fsck.fat', ['-n', '-v', loop.device]);
    const known = [path, '  File size is 4294967295 bytes, cluster chain length is 0 bytes.', '  Truncating file to 0 bytes.', 'Leaving filesystem unchanged.'];
    const unexpected = r.stdout.split('\n').filter((l) => l !== '' && !known.includes(l) && !FSCK_FAT_INFO_LINES.some((re) => re.test(l)));
    assert.equal(unexpected, [], r.stdout);
    assert.is(r.stderr.trim(), '', r.stderr);
  } finally {
    loop.detach();
  }
}

test('FAT32: a file of 4 GiB − 1 byte, the largest FAT32 holds, copied whole: fsck.fat finds nothing but its own 32-bit chain-length limit, mtools shows the size, 7-Zip extracts the same bytes', async () => {
  const tmp = scratchDir('guestdisk-copy-fat32-max-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    const big = join(src, 'max.bin');
    sparseFile(big, 4 * GiB - 1, [[0, 'head'], [2 * GiB + 12345, 'middle'], [4 * GiB - 5, 'tail']]);
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '+8M', '--fs', 'fat32', '--cluster-size', '32768', '--copy-from', src, '--seed', 'max', '--timestamp', String(TIMESTAMP)]);
    assert.ok(statSync(image).blocks * 512 < 64 * MiB, 'the zeros stay holes in the image');
    fsckFatCleanButMaxSize(image, '/MAX.BIN');
    const mdir = mustRun('env', ['MTOOLS_SKIP_CHECK=1', 'mdir', '-i', `${image}@@${MiB}`, '::']);
    assert.match(mdir.replace(/[\s\u00a0]/g, ''), /4294967295/, mdir);
    sevenZipEqual(image, 'max.bin', big);
  } finally {
    tmp.remove();
  }
});

test('NTFS: a file of 5 GiB (data at its start, past 4 GiB and at its end): ntfsfix and ntfsck clean, ntfs-3g reads its size and pieces, 7-Zip the whole file', async () => {
  const tmp = scratchDir('guestdisk-copy-ntfs-big-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    const big = join(src, 'five.bin');
    const pieces: [number, string][] = [[0, 'head of five'], [4 * GiB + 65536 * 3 + 17, 'past four GiB'], [5 * GiB - 4, 'tail']];
    sparseFile(big, 5 * GiB, pieces);
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '+16M', '--fs', 'ntfs', '--copy-from', src, '--seed', 'five', '--timestamp', String(TIMESTAMP)]);
    withPartition(image, 512, (device) => {
      ntfsfixClean(device);
      ntfsckClean(device);
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (mnt) => {
        const p = join(mnt, 'five.bin');
        assert.is(statSync(p).size, 5 * GiB);
        const fd = openSync(p, 'r');
        try {
          for (const [at, text] of pieces) {
            const b = new Uint8Array(text.length + 8);
            const n = readSync(fd, b, 0, b.length, at - 4 < 0 ? at : at - 4);
            const got = new TextDecoder().decode(b.subarray(0, n)).replace(/\0/g, '');
            assert.is(got, text, `at ${at}`);
          }
        } finally {
          closeSync(fd);
        }
      });
    });
    sevenZipEqual(image, 'five.bin', big);
  } finally {
    tmp.remove();
  }
});

test('NTFS: 100,000 entries in one directory: ntfsck clean, ntfs-3g lists every name and reads the files', async () => {
  const tmp = scratchDir('guestdisk-copy-ntfs-100k-');
  try {
    const dir = join(tmp.path, 'src', 'many');
    mkdirSync(dir, { recursive: true });
    const name = (i: number): string => `${i % 2 ? 'Entry' : 'entry'} ${String(i).padStart(6, '0')}${i % 13 === 0 ? ' ü' : ''}.dat`;
    for (let i = 0; i < 100_000; i++) writeFileSync(join(dir, name(i)), String(i));
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '+16M', '--fs', 'ntfs', '--copy-from', join(tmp.path, 'src'), '--seed', 'many', '--timestamp', String(TIMESTAMP)]);
    withPartition(image, 512, (device) => {
      ntfsckClean(device);
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (mnt) => {
        const seen = readdirSync(join(mnt, 'many'));
        assert.is(seen.length, 100_000);
        assert.equal(seen.sort(), Array.from({ length: 100_000 }, (_, i) => name(i)).sort());
        for (const i of [0, 1, 12_345, 65_536, 99_999]) assert.is(readFileSync(join(mnt, 'many', name(i)), 'utf8'), String(i));
      });
    });
  } finally {
    tmp.remove();
  }
});

test.run();
