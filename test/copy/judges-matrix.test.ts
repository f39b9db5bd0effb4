// The judges' matrix where the per-filesystem files leave holes: exFAT and FAT32 on GPT with 4096-byte sectors,
// NTFS with 1 KiB clusters on MBR; a second source placed with SRC:/DEST (a tar.gz under /tools/archive); and for
// every filesystem the readers the other files do not run on it: guestdisk's own verify, `ls -R --json` (names,
// sizes, mtimes, the read-only bit) and `get` equal to the source, sleuthkit's istat showing the read-only
// attribute, and the conformance judge (check-image.sh, 0 FAIL) on the two new exFAT/FAT32 combinations. Each
// tool runs once per image.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { FsKind } from '../../src/plan/layout.js';
import { mustCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { fsckFatClean, mtoolsExtract, mtoolsName, sevenZipExtract, sleuthkitTree } from './fat32-judges.js';
import {
  firstPartition, guestdiskGet, guestdiskVerifyClean, ntfsckClean, ntfsfixClean, sleuthkitNtfsTree, withNtfs3g, withPartition, withoutSystemEntries,
} from './ntfs-judges.js';
import { OLD_MTIME, TIMESTAMP, expectedListing, listTree, makeJudgeTree, sorted, withoutDirMtimes, type Entry } from './trees.js';

for (const tool of ['fsck.exfat', 'mount.exfat-fuse', 'fsck.fat', 'mcopy', '7zz', 'fls', 'icat', 'istat', 'ntfsfix', 'ntfs-3g', 'fusermount3', 'losetup', 'sfdisk', 'tar']) requireTool(tool);

const CHECK = join(CONFORMANCE_DIR, 'check-image.sh');

interface MatrixCase { fs: FsKind; table: 'gpt' | 'mbr'; sector: 512 | 4096; clusterSize: number; size: string; conformance: boolean }
const CASES: MatrixCase[] = [
  { fs: 'exfat', table: 'gpt', sector: 4096, clusterSize: 4096, size: '96M', conformance: true },
  { fs: 'fat32', table: 'gpt', sector: 4096, clusterSize: 4096, size: '300M', conformance: true },
  { fs: 'ntfs', table: 'mbr', sector: 512, clusterSize: 1024, size: '64M', conformance: false },
];

function mtimeless(listing: Map<string, Entry>): [string, Entry][] {
  return sorted(new Map([...listing].map(([p, e]) => [p, { ...e, mtime: 0 }])));
}

/** fls lists the volume label as an entry of the root. */
function withoutLabel(listing: Map<string, Entry>): Map<string, Entry> {
  return new Map([...listing].filter(([p]) => !p.endsWith('(Volume Label Entry)')));
}

/** The judges' tree at the root, and a small tree as a tar.gz placed at /tools/archive. */
function makeSources(dir: string, clusterSize: number): { src: string; archive: string; expected: Map<string, Entry> } {
  const src = join(dir, 'src');
  makeJudgeTree(src, clusterSize);
  const extra = join(dir, 'extra');
  mkdirSync(join(extra, 'bin'), { recursive: true });
  writeFileSync(join(extra, 'bin', 'setup.cmd'), '@echo off\r\necho installing\r\n');
  writeFileSync(join(extra, 'notes.txt'), 'from the archive\n');
  for (const p of ['bin/setup.cmd', 'notes.txt', 'bin', '.']) utimesSync(join(extra, p), OLD_MTIME, OLD_MTIME);
  const archive = join(dir, 'extra.tar.gz');
  mustRun('tar', ['--format=pax', '-czf', archive, '-C', extra, '.']);
  const expected = listTree(src);
  for (const [p, e] of listTree(extra)) expected.set(`/tools/archive${p}`, e);
  expected.set('/tools', { kind: 'dir', size: 0, sha256: '', mtime: TIMESTAMP });
  expected.set('/tools/archive', { kind: 'dir', size: 0, sha256: '', mtime: OLD_MTIME });
  return { src, archive, expected };
}

/** 7-Zip on the partition alone: its disk-image reader takes a GPT disk of 4096-byte sectors for an MBR disk of
 *  512-byte ones and finds no volume; given the partition (a loop device limited to it) it reads the FAT. */
function sevenZipPartition(image: string, part: { offsetBytes: number; sizeBytes: number }, sector: 512 | 4096, into: string): Map<string, Entry> {
  const loop = attachLoop(image, { ...part, sectorSize: sector });
  try {
    mkdirSync(into, { recursive: true });
    const r = runTool('7zz', ['x', '-y', '-tFAT', `-o${into}`, loop.device]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.not.match(r.stdout, /WARNING|ERROR/i, r.stdout);
    return listTree(into);
  } finally {
    loop.detach();
  }
}

interface LsEntry { path: string; kind: string; sizeBytes: number; modified: string; attributes: { readOnly: boolean } }

/** guestdisk ls -R --json: every entry, with its size, mtime and read-only bit. */
async function guestdiskLs(image: string): Promise<LsEntry[]> {
  const out = JSON.parse((await mustCli(['ls', '-R', '--json', image])).stdout) as { entries: LsEntry[] };
  return out.entries;
}

/** sleuthkit's istat: the attributes it reads for the entry `fls` lists under `path` (the read-only flag). */
function istatReadOnly(image: string, offsetSectors: number, sector: number, path: string): boolean {
  const args = ['-b', String(sector), '-o', String(offsetSectors), image];
  const line = mustRun('fls', ['-r', '-p', ...args]).split('\n').find((l) => l.endsWith(`:\t${path.slice(1)}`));
  assert.ok(line, `fls lists ${path}`);
  const address = /\s(\d+(?:-\d+-\d+)?):\t/.exec(line!)![1];
  const stat = mustRun('istat', [...args.slice(0, 4), image, address]);
  const flags = stat.split('\n').filter((l) => /^(Flags|File Attributes):/.test(l));
  assert.ok(flags.length > 0, stat.slice(0, 600));
  return flags.every((l) => l.includes('Read Only'));
}

for (const c of CASES) {
  test(`${c.fs} ${c.table}/${c.sector}, ${c.clusterSize}-byte clusters, a tar.gz placed at /tools/archive: checkers, readers, istat, verify, ls and get agree with the sources`, async () => {
    const tmp = makeTempDir(`guestdisk-copy-matrix-${c.fs}-`);
    try {
      const { src, archive, expected: source } = makeSources(tmp.path, c.clusterSize);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', c.size, '--fs', c.fs, '--table', c.table, '--sector-size', String(c.sector), '--cluster-size', String(c.clusterSize),
        '--label', 'COPIED', '--copy-from', src, '--copy-from', `${archive}:/tools/archive`, '--seed', 'matrix', '--timestamp', String(TIMESTAMP)]);
      const granularity = c.fs === 'fat32' ? 2 : 1;
      const expected = expectedListing(source, TIMESTAMP, granularity, { dirMtimes: c.fs === 'ntfs' });
      const part = firstPartition(image, c.sector);
      const offsetSectors = part.offsetBytes / c.sector;

      if (c.fs === 'ntfs') {
        withPartition(image, c.sector, (device) => {
          ntfsfixClean(device);
          ntfsckClean(device);
          withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (dir) => assert.equal(sorted(withoutSystemEntries(listTree(dir))), sorted(expected), 'ntfs-3g'));
        });
        assert.equal(mtimeless(withoutSystemEntries(sleuthkitNtfsTree(image, offsetSectors, c.sector))), mtimeless(expected), 'sleuthkit');
        assert.equal(mtimeless(withoutSystemEntries(sevenZipExtract(image, join(tmp.path, '7z')))), mtimeless(expected), '7-Zip');
      } else if (c.fs === 'exfat') {
        const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, sectorSize: c.sector });
        const mnt = join(tmp.path, 'mnt');
        mkdirSync(mnt);
        try {
          const fsck = runTool('fsck.exfat', ['-n', loop.device]);
          assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
          mustRun('mount.exfat-fuse', ['-o', 'ro', loop.device, mnt]);
          try {
            assert.equal(sorted(withoutDirMtimes(listTree(mnt))), sorted(withoutDirMtimes(expected)), 'exfat-fuse');
          } finally {
            mustRun('fusermount3', ['-u', mnt]);
          }
        } finally {
          loop.detach();
        }
        assert.equal(mtimeless(withoutLabel(sleuthkitTree(image, offsetSectors, c.sector))), mtimeless(expected), 'sleuthkit');
      } else {
        fsckFatClean(image, part.offsetBytes, c.sector);
        const viaMtools = withoutDirMtimes(mtoolsExtract(image, part.offsetBytes, join(tmp.path, 'mtools')));
        assert.equal(sorted(viaMtools), sorted(new Map([...withoutDirMtimes(expected)].map(([p, e]) => [mtoolsName(p), e]))), 'mtools');
        const files = (l: Map<string, Entry>): [string, Entry][] => sorted(new Map([...withoutDirMtimes(l)].filter(([, e]) => e.kind === 'file')));
        assert.equal(files(sevenZipPartition(image, part, c.sector, join(tmp.path, '7z'))), files(expected), '7-Zip');
        assert.equal(mtimeless(withoutLabel(sleuthkitTree(image, offsetSectors, c.sector))), mtimeless(expected), 'sleuthkit');
      }

      // The read-only bit from the mode, as sleuthkit reads the attributes.
      assert.ok(istatReadOnly(image, offsetSectors, c.sector, '/readonly.txt'), 'readonly.txt is read-only');
      assert.not.ok(istatReadOnly(image, offsetSectors, c.sector, '/readme.txt'), 'readme.txt is not');

      // guestdisk's own readers: verify clean; ls -R --json and get equal to the sources.
      await guestdiskVerifyClean(image);
      const ls = (await guestdiskLs(image)).filter((e) => !e.path.startsWith('/$') && !e.path.startsWith('/System Volume Information'));
      const seen = new Map(ls.map((e) => [e.path, { kind: e.kind === 'dir' || e.kind === 'directory' ? 'dir' : 'file', size: e.kind === 'file' ? e.sizeBytes : 0, mtime: Math.floor(Date.parse(e.modified) / 1000), readOnly: e.attributes.readOnly }]));
      const want = new Map([...expected].map(([p, e]) => [p, { kind: e.kind, size: e.size, mtime: e.mtime, readOnly: p === '/readonly.txt' }]));
      // exFAT and FAT32 directories' own times are not compared (as with the other readers).
      const dirsTimeless = (m: Map<string, { kind: string; size: number; mtime: number; readOnly: boolean }>) =>
        [...m].map(([p, e]) => [p, e.kind === 'dir' && c.fs !== 'ntfs' ? { ...e, mtime: 0 } : e] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      assert.equal(dirsTimeless(seen), dirsTimeless(want), 'guestdisk ls -R --json');
      assert.equal(mtimeless(await guestdiskGet(image, join(tmp.path, 'get'))), mtimeless(expected), 'guestdisk get');

      if (c.conformance) {
        assert.ok(existsSync(CHECK), `the conformance judge is missing: ${CHECK}`);
        const r = runTool('bash', [CHECK, image, '--label', 'COPIED', '--fs', c.fs, '--table', c.table, '--sector', String(c.sector)], { timeoutMs: 10 * 60 * 1000 });
        const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
        assert.ok(summary, `no summary from check-image.sh:\n${r.stdout}\n${r.stderr}`);
        const bad = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
        assert.equal(bad, [], bad.join('\n'));
      }
    } finally {
      tmp.remove();
    }
  });
}

test.run();
