// NTFS copies at scale and beyond the judges' tree: a directory of 12,000 entries (an index three levels deep) read
// back by ntfs-3g and sleuthkit with ntfsck clean; the conformance judge (check-image.sh, whose own ntfs-3g write
// test runs on the populated volume); byte-identical images from a tree, the same tree made in reverse under
// another umask, time zone and locale, and its tar.gz; and the refusals made before anything is written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planDisk } from '../../src/plan/plan-disk.js';
import { GuestdiskError } from '../../src/errors.js';
import type { FileTree, TreeNode } from '../../src/disk-types.js';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { NTFS_TOOLS, firstPartition, guestdiskVerifyClean, ntfsckClean, sleuthkitNtfsTree, withNtfs3g, withPartition } from './ntfs-judges.js';
import { TIMESTAMP, makeJudgeTree } from './trees.js';

for (const tool of [...NTFS_TOOLS, 'tar']) requireTool(tool);
const MiB = 1024 * 1024;

test('NTFS: 12,000 entries in one directory (a multi-level index), read back by ntfs-3g and sleuthkit, ntfsck and verify clean', async () => {
  const tmp = makeTempDir('guestdisk-copy-ntfs-scale-');
  try {
    const src = join(tmp.path, 'src');
    const dir = join(src, 'many');
    mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      // Mixed case, accents and a character beyond the BMP in some names: $UpCase order, not code-unit order.
      const name = `${i % 3 === 0 ? 'File' : 'file'} ${String(i).padStart(5, '0')}${i % 7 === 0 ? ' é' : ''}${i % 11 === 0 ? ' 😀' : ''}.txt`;
      names.push(name);
      writeFileSync(join(dir, name), `content of ${i}\n`.repeat(i % 5 === 0 ? 100 : 1));
    }
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '128M', '--fs', 'ntfs', '--copy-from', src, '--seed', 'scale', '--timestamp', String(TIMESTAMP)]);
    withPartition(image, 512, (device) => {
      ntfsckClean(device);
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (mnt) => {
        assert.equal(readdirSync(join(mnt, 'many')).sort(), [...names].sort());
        for (let i = 0; i < 12_000; i += 997) {
          assert.is(readFileSync(join(mnt, 'many', names[i]), 'utf8'), `content of ${i}\n`.repeat(i % 5 === 0 ? 100 : 1), names[i]);
        }
      });
    });
    const part = firstPartition(image, 512);
    const seen = sleuthkitNtfsTree(image, part.offsetBytes / 512, 512, { read: false });
    assert.is([...seen.keys()].filter((p) => p.startsWith('/many/')).length, 12_000);
    await guestdiskVerifyClean(image);
  } finally {
    tmp.remove();
  }
});

test('NTFS: 40,040 records (the $MFT bitmap grows past its one cluster), ntfsck clean, every name seen by ntfs-3g', async () => {
  const tmp = makeTempDir('guestdisk-copy-ntfs-mft-');
  try {
    const src = join(tmp.path, 'src');
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000; i++) writeFileSync(join(src, `d${d}`, `f${i}`), i % 2 ? '' : `${d}/${i}`);
    }
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '256M', '--fs', 'ntfs', '--copy-from', src, '--seed', 'mft', '--timestamp', String(TIMESTAMP)]);
    withPartition(image, 512, (device) => {
      ntfsckClean(device);
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (mnt) => {
        let count = 0;
        for (let d = 0; d < 40; d++) count += readdirSync(join(mnt, `d${d}`)).length;
        assert.is(count, 40_000);
        assert.is(readFileSync(join(mnt, 'd39', 'f998'), 'utf8'), '39/998');
      });
    });
    await guestdiskVerifyClean(image);
  } finally {
    tmp.remove();
  }
});

test('NTFS: a file longer than any free run (it steps over $MFTMirr and $LogFile) is written in pieces, read back by ntfs-3g and sleuthkit', async () => {
  const tmp = makeTempDir('guestdisk-copy-ntfs-runs-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    const bytes = new Uint8Array(40 * MiB);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff; // every cluster different
    writeFileSync(join(src, 'large.bin'), bytes);
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--copy-from', src, '--seed', 'runs', '--timestamp', String(TIMESTAMP)]);
    const istat = mustRun('istat', ['-o', String(firstPartition(image, 512).offsetBytes / 512), image, '64']);
    // istat lists the clusters of $DATA: somewhere they jump (the file is in more than one run).
    const clusters = (istat.split(/Type: \$DATA \(128-\d+\)[^\n]*\n/)[1] ?? '').trim().split(/\s+/).map(Number).filter(Number.isFinite);
    assert.is(clusters.length, bytes.length / 4096);
    assert.ok(clusters.some((c, i) => i > 0 && c !== clusters[i - 1] + 1), 'more than one run');
    withPartition(image, 512, (device) => {
      ntfsckClean(device);
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (mnt) => assert.ok(Buffer.from(readFileSync(join(mnt, 'large.bin'))).equals(Buffer.from(bytes))));
    });
    const part = firstPartition(image, 512);
    assert.is(sleuthkitNtfsTree(image, part.offsetBytes / 512, 512).get('/large.bin')?.size, bytes.length);
    await guestdiskVerifyClean(image);
  } finally {
    tmp.remove();
  }
});

const CHECK = join(CONFORMANCE_DIR, 'check-image.sh');
for (const c of [{ table: 'gpt', sector: 512, size: '96M' }, { table: 'mbr', sector: 4096, size: '128M' }] as const) {
  test(`check-image.sh: populated NTFS, ${c.table}, ${c.sector}-byte sectors — 0 FAIL`, async () => {
    assert.ok(existsSync(CHECK), `the conformance judge is missing: ${CHECK}`);
    const tmp = makeTempDir('guestdisk-copy-ntfs-conf-');
    try {
      const src = join(tmp.path, 'src');
      makeJudgeTree(src, 4096);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', c.size, '--fs', 'ntfs', '--table', c.table, '--sector-size', String(c.sector), '--label', 'COPIED',
        '--copy-from', src, '--seed', 'conformance', '--timestamp', String(TIMESTAMP)]);
      const r = runTool('bash', [CHECK, image, '--label', 'COPIED', '--fs', 'ntfs', '--table', c.table, '--sector', String(c.sector)], { timeoutMs: 10 * 60 * 1000 });
      const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
      assert.ok(summary, `no summary from check-image.sh:\n${r.stdout}\n${r.stderr}`);
      const bad = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      assert.equal(bad, [], bad.join('\n'));
      assert.ok(Number(summary![1]) >= 10);
    } finally {
      tmp.remove();
    }
  });
}

/**
 * Copies `from` into `to`, every listing in reverse order, under another umask, keeping mtimes and modes; sparse
 * files keep their holes when `keepHoles` (which files are sparse is part of the tree for NTFS).
 */
function copyReversed(from: string, to: string, keepHoles: boolean): void {
  const old = process.umask(0o077);
  try {
    const walk = (a: string, b: string): void => {
      mkdirSync(b, { recursive: true });
      for (const name of readdirSync(a).sort().reverse()) {
        const s = join(a, name);
        const d = join(b, name);
        const st = lstatSync(s);
        if (st.isDirectory()) walk(s, d);
        else if (keepHoles && st.blocks * 512 < st.size) mustRun('cp', ['--sparse=always', s, d]);
        else copyFileSync(s, d);
        chmodSync(d, st.mode & 0o7777);
        utimesSync(d, st.atime, st.mtime);
      }
      const st = lstatSync(a);
      utimesSync(b, st.atime, st.mtime);
    };
    walk(from, to);
  } finally {
    process.umask(old);
  }
}

test('NTFS: byte-identical images from a tree and the same tree made in reverse under umask 077 in another time zone and locale; its tar.gz equals its dense copy', async () => {
  const tmp = makeTempDir('guestdisk-copy-ntfs-det-');
  try {
    const a = join(tmp.path, 'a');
    const b = join(tmp.path, 'b');
    makeJudgeTree(a, 4096);
    // The reversed copy keeps no hard links: the link is dropped in both, so the trees stay the same.
    mustRun('rm', [join(a, 'links', 'hard link.bin')]);
    copyReversed(a, b, true);
    const dense = join(tmp.path, 'dense');
    copyReversed(a, dense, false);
    const archive = join(tmp.path, 'a.tar.gz');
    mustRun('tar', ['--format=pax', '-czf', archive, '-C', a, '.']);
    const args = (source: string, image: string): string[] => ['create', image, '--size', '96M', '--fs', 'ntfs', '--copy-from', source, '--seed', 'det', '--timestamp', String(TIMESTAMP)];
    await mustCli(args(a, join(tmp.path, 'a.img')), { TZ: 'UTC', LC_ALL: 'C' });
    await mustCli(args(b, join(tmp.path, 'b.img')), { TZ: 'Asia/Kathmandu', LC_ALL: 'tr_TR.UTF-8', LANG: 'tr_TR.UTF-8' });
    await mustCli(args(archive, join(tmp.path, 't.img')), { TZ: 'America/St_Johns' });
    await mustCli(args(dense, join(tmp.path, 'd.img')));
    const [ha, hb, ht, hd] = await Promise.all(['a', 'b', 't', 'd'].map((n) => sha256File(join(tmp.path, `${n}.img`))));
    assert.is(hb, ha, 'reversed tree (holes kept), umask, TZ, locale');
    assert.is(ht, hd, 'tar.gz of the tree = the tree with its sparse file written out (archive members are never sparse)');
    assert.is.not(hd, ha, 'the sparse file is stored sparse from the tree, whole from its dense copy');
  } finally {
    tmp.remove();
  }
});

function file(name: string, sizeBytes: number, linkGroup: string | null, order: number): TreeNode {
  return { kind: 'file', name, sizeBytes, mtime: TIMESTAMP, readOnly: false, linkGroup, source: 0, order, dir: '' };
}

test('NTFS refusals before anything is written: a file with more hard links than one MFT record holds; names Windows cannot take; names equal through $UpCase; a system file name in the root', () => {
  const geometry = { sizeBytes: 256 * MiB, logicalSectorSize: 512 as const, physicalSectorSize: 512 };
  const spec = (files: FileTree) => ({ table: 'gpt' as const, fs: 'ntfs' as const, seed: 's', timestamp: TIMESTAMP, files });
  const links: TreeNode[] = [];
  for (let i = 0; i < 40; i++) links.push(file(`a rather long hard link name number ${String(i).padStart(3, '0')}.bin`, 5000, 'group', i));
  const cases: [string, FileTree, RegExp][] = [
    ['hard links', { root: { kind: 'dir', name: '', mtime: TIMESTAMP, entries: links }, warnings: [] }, /hard links do not fit/],
    ['bad name', { root: { kind: 'dir', name: '', mtime: TIMESTAMP, entries: [file('a:b', 1, null, 0)] }, warnings: [] }, /not allowed in a Windows name/],
    ['case', { root: { kind: 'dir', name: '', mtime: TIMESTAMP, entries: [file('ÉCOLE', 1, null, 0), file('école', 1, null, 1)] }, warnings: [] }, /differ only in case|case/],
    ['system name', { root: { kind: 'dir', name: '', mtime: TIMESTAMP, entries: [file('$MFT', 1, null, 0)] }, warnings: [] }, /system file name/],
  ];
  for (const [what, tree, message] of cases) {
    try {
      planDisk(spec(tree), geometry);
      assert.unreachable(what);
    } catch (e) {
      assert.instance(e, GuestdiskError, what);
      assert.is((e as GuestdiskError).code, 'INVALID_SPEC', what);
      assert.match(JSON.stringify((e as GuestdiskError).details), message, what);
    }
  }
});

test('NTFS: a tree larger than the volume is TARGET_TOO_SMALL naming the missing bytes, and --size +HEADROOM sizes the disk to fit', async () => {
  const tmp = makeTempDir('guestdisk-copy-ntfs-fit-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (let i = 0; i < 40; i++) writeFileSync(join(src, `f${i}.bin`), Buffer.alloc(1024 * 1024, i));
    const image = join(tmp.path, 'disk.img');
    const r = await runCli(['create', image, '--size', '32M', '--fs', 'ntfs', '--copy-from', src, '--seed', 's', '--json']);
    assert.is(r.status, 3, r.stdout + r.stderr);
    const err = JSON.parse(r.stdout).error;
    assert.is(err.code, 'TARGET_TOO_SMALL');
    assert.ok(err.details.missingBytes > 8 * MiB, JSON.stringify(err.details));
    assert.not.ok(existsSync(image));
    const args = ['create', image, '--size', '+8M', '--fs', 'ntfs', '--copy-from', src, '--seed', 's', '--timestamp', String(TIMESTAMP)];
    const plan = JSON.parse((await mustCli([...args, '--dry-run', '--json'])).stdout);
    assert.ok(plan.copy.freeBytes >= 8 * MiB, JSON.stringify(plan.copy));
    await mustCli(args);
    withPartition(image, 512, (device) => {
      ntfsckClean(device);
      // ntfs-3g counts free clusters from $Bitmap: exactly what the plan said is left.
      withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (mnt) => {
        const [free, blockSize] = mustRun('stat', ['-f', '-c', '%f %S', mnt]).trim().split(' ').map(Number);
        assert.is(free * blockSize, plan.copy.freeBytes);
      });
    });
  } finally {
    tmp.remove();
  }
});

test.run();
