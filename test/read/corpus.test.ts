// The Windows-made images of the shared corpus (its README gives their origin) read back and compared with
// sleuthkit (fls -r, icat: names and the sha256 of every file, NTFS streams included) and, for the bare NTFS
// volume, 7-Zip; exfat_win.raw also against the file list published with it (path, size, modification time).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openFileTarget } from '../../src/target/file-target.js';
import { openDiskVolume } from '../../src/read/open-volume.js';
import { CORPUS_DIR } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { hostTree, project, readerTree, sleuthkitTree } from './judges.js';

const IMAGES = [
  { name: 'ntfs_index.raw', source: 'msuhanov-dfir_ntfs/ntfs_index.raw.gz', fs: 'ntfs', label: 'Test index', warnings: [] },
  { name: 'ntfs-lastaccess.raw', source: 'msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz', fs: 'ntfs', label: 'Last access', warnings: [] },
  { name: 'ntfs-ramslack.raw', source: 'msuhanov-ntfs-samples/ntfs-ramslack.raw.gz', fs: 'ntfs', label: 'RAM Slack', warnings: [] },
  { name: 'ntfs.bin', source: 'dissect-ntfs/ntfs.bin.gz', fs: 'ntfs', label: 'New Volume', warnings: [] },
  { name: 'ntfs-cloud.bin', source: 'dissect-ntfs/ntfs-cloud.bin.gz', fs: 'ntfs', label: 'Example Volume', warnings: ['NTFS_LOGFILE_NOT_CLEAN'] },
  { name: 'ntfs.raw', source: 'msuhanov-ntfs-samples/ntfs.tgz', fs: 'ntfs', label: 'Test volume', warnings: [] },
  { name: 'vss_2003.raw', source: 'msuhanov-dfir_ntfs/vss_2003.tgz', fs: 'ntfs', label: 'Новый том', warnings: [] },
  { name: 'exfat_win.raw', source: 'msuhanov-dfir_ntfs/exfat_win.raw.gz', fs: 'exfat', label: 'test123', warnings: [] },
  { name: 'exfat_encrypted.raw', source: 'msuhanov-dfir_ntfs/exfat_encrypted.raw.gz', fs: 'exfat', label: 'encrypted', warnings: [] },
  { name: 'exfat.bin', source: 'dissect-fat/exfat.bin', fs: 'exfat', label: 'THESIS', warnings: [] },
] as const;

/** exFAT files whose ValidDataLength is 0 below their DataLength: the spec (§7.6.5) has such bytes read as zeros,
 *  as Windows returns them; sleuthkit returns the clusters' old contents. */
const ZEROED_PAST_VALID_DATA = new Set(['exfat_encrypted.raw:/usual_dir/0.bin.PFILE']);
const sha256Zeros = (n: number): string => createHash('sha256').update(new Uint8Array(n)).digest('hex');

for (const t of ['tar', 'gzip', 'dd', 'bash', 'fls', 'icat', '7zz', 'iconv']) requireTool(t);
const dir = makeTempDir('guestdisk-read-corpus-');
test.after(() => dir.remove());

function unpack(name: string, source: string): string {
  const from = join(CORPUS_DIR, source);
  if (!existsSync(from)) throw new Error(`corpus file ${from} is missing (see ${CORPUS_DIR}/README.md)`);
  const to = join(dir.path, name);
  if (source.endsWith('.gz')) mustRun('bash', ['-c', 'gzip -dc "$1" | dd of="$2" bs=1M conv=sparse status=none', 'x', from, to]);
  else if (source.endsWith('.tgz')) mustRun('tar', ['-xzf', from, '-C', dir.path, name]); // GNU tar keeps them sparse (64 / 128 GiB)
  else mustRun('cp', [from, to]);
  return to;
}

for (const image of IMAGES) {
  test(`${image.name}: listing and every file's bytes equal sleuthkit's; label and warnings`, async () => {
    const path = unpack(image.name, image.source);
    const target = await openFileTarget({ path, mode: 'read', logicalSectorSize: 512 });
    try {
      const volume = await openDiskVolume(target);
      const reader = volume.reader;
      assert.is(reader.filesystem, image.fs);
      assert.is(reader.label, image.label);
      assert.equal(reader.warnings.map((w) => w.code), [...image.warnings]);
      const ours = await readerTree(reader, { streams: true });
      const theirs = sleuthkitTree(path, { offsetSectors: volume.offsetBytes / 512, streams: true });
      assert.equal([...ours.keys()].sort(), [...theirs.keys()].sort());
      for (const [p, seen] of theirs) {
        if (seen.kind !== 'file' || ours.get(p)!.kind !== 'file') continue;
        if (ZEROED_PAST_VALID_DATA.has(`${image.name}:${p}`)) assert.is(ours.get(p)!.sha256, sha256Zeros(ours.get(p)!.sizeBytes), p);
        else assert.is(ours.get(p)!.sha256, seen.sha256, p);
      }
      assert.ok(ours.size > 3, `${ours.size} entries`);
    } finally {
      await target.close();
      rmSync(path, { force: true });
    }
  });
}

test('ntfs.bin (bare Windows NTFS volume): 7-Zip extracts the same files', async () => {
  const path = unpack('ntfs.bin', 'dissect-ntfs/ntfs.bin.gz');
  const out = join(dir.path, 'x7');
  const target = await openFileTarget({ path, mode: 'read', logicalSectorSize: 512 });
  try {
    const ours = await readerTree((await openDiskVolume(target)).reader, { streams: true });
    const r = runTool('7zz', ['x', '-y', `-o${out}`, path]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    const extracted = hostTree(out, { times: false, skip: (p) => p.startsWith('/[SYSTEM]') || p.startsWith('/[DELETED]') });
    let files = 0;
    for (const [p, seen] of extracted) {
      if (seen.kind !== 'file') continue;
      assert.is(ours.get(p)?.sha256, seen.sha256, p);
      files++;
    }
    assert.ok(files >= 6, `${files} files`);
  } finally {
    await target.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(path, { force: true });
  }
});

test('ntfs-2m.raw (2 MiB clusters, which sleuthkit 4.13 does not open): the ntfs-3g mount sees the same tree', async () => {
  const path = unpack('ntfs-2m.raw', 'msuhanov-ntfs-samples/ntfs-2m.raw.gz');
  const target = await openFileTarget({ path, mode: 'read', logicalSectorSize: 512 });
  const mnt = join(dir.path, 'mnt');
  mustRun('mkdir', ['-p', mnt]);
  try {
    const volume = await openDiskVolume(target);
    assert.is(volume.reader.label, '2M');
    const ours = project(await readerTree(volume.reader), {});
    const loop = attachLoop(path, { offsetBytes: volume.offsetBytes, sizeBytes: volume.sizeBytes });
    try {
      mustRun('ntfs-3g', ['-o', 'ro', loop.device, mnt]);
      try {
        const mounted = hostTree(mnt);
        assert.equal(ours, mounted);
        assert.ok(ours.size >= 3, `${ours.size} entries`);
      } finally {
        mustRun('umount', [mnt]);
      }
    } finally {
      loop.detach();
    }
  } finally {
    await target.close();
    rmSync(path, { force: true });
  }
});

test('exfat_win.raw: every path, size and modification time of the list published with the image', async () => {
  const path = unpack('exfat_win.raw', 'msuhanov-dfir_ntfs/exfat_win.raw.gz');
  const listing = mustRun('iconv', ['-f', 'cp1251', '-t', 'utf-8', join(CORPUS_DIR, 'msuhanov-dfir_ntfs/exfat_win_stat.txt')]);
  const target = await openFileTarget({ path, mode: 'read', logicalSectorSize: 512 });
  try {
    const ours = await readerTree((await openDiskVolume(target)).reader);
    const expected = listing.trim().split('\n').map((line) => line.split('\t'));
    // The list was made on a host at UTC+3 (its times are local); the volume records the offset, we give UTC.
    const localMs = (text: string): number => Date.parse(`${text.replace(' ', 'T')}+03:00`);
    assert.is(expected.length, ours.size);
    for (const [p, mtime, , , size] of expected) {
      const mine = ours.get(p);
      assert.ok(mine, `${p} is listed`);
      assert.is(mine!.sizeBytes, Number(size), p);
      assert.is(mine!.modifiedMs, localMs(mtime), p);
    }
  } finally {
    await target.close();
    rmSync(path, { force: true });
  }
});

test('win_exfat_7.raw: the damaged main boot sector is passed over for the backup', async () => {
  const path = unpack('win_exfat_7.raw', 'msuhanov-dfir_ntfs/win_exfat_7.raw.gz');
  const target = await openFileTarget({ path, mode: 'read', logicalSectorSize: 512 });
  try {
    const reader = (await openDiskVolume(target)).reader;
    const names: string[] = [];
    for await (const e of reader.list('/')) names.push(e.name);
    assert.equal(names, ['тест.txt']);
    let text = '';
    for await (const piece of reader.read('/тест.txt')) text += new TextDecoder().decode(piece);
    assert.is(text.length, 7);
  } finally {
    await target.close();
    rmSync(path, { force: true });
  }
});

test.run();
