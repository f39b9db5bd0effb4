// Without --force, create refuses a target whose first or last MiB is not all zero (TARGET_HAS_DATA, exit 5,
// target unchanged), naming what it found; a target of zeros is written. Formats made by their own tools where
// Debian has them (mkfs.ext4, mkswap, mkfs.xfs, mkfs.btrfs, mkfs.vfat, mkntfs, sgdisk); container headers written
// as their specifications lay them out (qemu-img and cryptsetup are not test tools here).
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findExistingData } from '../../src/inspect/existing-data.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { runCli, sha256File } from '../helpers/cli.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';

const dir = makeTempDir('guestdisk-existing-data-');
test.after(() => dir.remove());
const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const TS = ['--timestamp', '1700000000', '--seed', 'existing'];
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function blank(name: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, '');
  mustRun('truncate', ['-s', String(SIZE), path]);
  return path;
}

/** A 64 MiB file with `bytes` at `offsetBytes` (negative: from the end). */
function withBytes(name: string, offsetBytes: number, bytes: Uint8Array): string {
  const path = blank(name);
  const at = offsetBytes < 0 ? SIZE + offsetBytes : offsetBytes;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
  return path;
}

function qcow2Header(): Uint8Array {
  // QEMU docs/interop/qcow2.txt: magic "QFI\xfb", version 3 (big-endian), then guest data clusters follow.
  const h = new Uint8Array(512);
  h.set([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
  return h;
}

type Case = { name: string; make: () => string; says: RegExp };

const CASES: Case[] = [
  { name: 'qcow2', make: () => withBytes('q.qcow2', 0, qcow2Header()), says: /qcow2\/qcow disk image/ },
  { name: 'VHDX', make: () => withBytes('v.vhdx', 0, ascii('vhdxfile')), says: /VHDX disk image/ },
  { name: 'fixed VHD (footer in the last sector)', make: () => withBytes('v.vhd', -512, ascii('conectix')), says: /VHD disk image \(fixed\)/ },
  { name: 'VMDK', make: () => withBytes('v.vmdk', 0, ascii('KDMV')), says: /VMDK disk image/ },
  { name: 'LUKS', make: () => withBytes('l.luks', 0, Uint8Array.of(0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0, 2)), says: /LUKS encrypted volume on the whole disk/ },
  { name: 'random bytes in the middle of the first MiB', make: () => withBytes('r.bin', 300_000, Uint8Array.of(7, 1, 2, 3)), says: /unrecognised data \(a non-zero byte at 300000, in the first MiB\)/ },
  { name: 'random bytes in the last MiB', make: () => withBytes('t.bin', -1000, Uint8Array.of(9)), says: new RegExp(`unrecognised data \\(a non-zero byte at ${SIZE - 1000}, in the last MiB\\)`) },
  { name: 'ext4 (mkfs.ext4)', make: () => { requireTool('mkfs.ext4'); const p = blank('e.img'); mustRun('mkfs.ext4', ['-q', '-F', p]); return p; }, says: /ext2\/3\/4 filesystem on the whole disk/ },
  { name: 'swap (mkswap)', make: () => { requireTool('mkswap'); const p = blank('s.img'); mustRun('mkswap', [p]); return p; }, says: /Linux swap area on the whole disk/ },
  { name: 'FAT (mkfs.vfat)', make: () => { requireTool('mkfs.vfat'); const p = blank('f.img'); mustRun('mkfs.vfat', [p]); return p; }, says: /FAT16 filesystem on the whole disk/ },
  { name: 'NTFS (mkntfs)', make: () => { requireTool('mkntfs'); const p = blank('n.img'); mustRun('mkntfs', ['-q', '-F', '-f', p]); return p; }, says: /NTFS filesystem on the whole disk/ },
  { name: 'GPT (sgdisk)', make: () => { requireTool('sgdisk'); const p = blank('g.img'); mustRun('sgdisk', ['-o', p]); return p; }, says: /GPT partition table \(512-byte sectors\).*backup GPT header/ },
];

for (const c of CASES) {
  test(`${c.name}: TARGET_HAS_DATA (exit 5) naming it, file unchanged; --force writes it`, async () => {
    const path = c.make();
    const before = await sha256File(path);
    const r = await runCli(['create', path, '--fs', 'ntfs', ...TS, '--json']);
    assert.is(r.status, 5, `${r.stdout}${r.stderr}`);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    assert.is(err.code, 'TARGET_HAS_DATA');
    assert.match(err.message, c.says);
    assert.match(err.message, /use --force to erase it/);
    assert.is(await sha256File(path), before);
    const dry = await runCli(['create', path, '--fs', 'ntfs', ...TS, '--dry-run']);
    assert.is(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /already holds data \(.*\): the real run needs --force/);
    assert.match(dry.stdout, c.says);
    assert.is((await runCli(['create', path, '--fs', 'ntfs', ...TS, '--force'])).status, 0);
  });
}

test('a file of zeros and an empty file are written without --force; a 0-byte file without --size says what to give', async () => {
  const zeros = blank('zeros.img');
  const r = await runCli(['create', zeros, '--fs', 'exfat', ...TS]);
  assert.is(r.status, 0, r.stderr);
  const empty = join(dir.path, 'empty.img');
  writeFileSync(empty, '');
  const noSize = await runCli(['create', empty, ...TS]);
  assert.is(noSize.status, 2);
  assert.match(noSize.stderr, /is an empty file \(0 bytes\): give --size/);
  const sized = await runCli(['create', empty, '--size', '64M', ...TS]);
  assert.is(sized.status, 0, sized.stderr);
});

test('findExistingData: zeros say nothing; a byte anywhere in the first or last MiB is unrecognised data; the middle is not read', async () => {
  const t = await openMemoryTarget({ sizeBytes: SIZE });
  assert.equal(await findExistingData(t), []);
  await t.write(SIZE / 2, Uint8Array.of(1));
  assert.equal(await findExistingData(t), []);
  await t.write(MiB - 512, Uint8Array.of(1));
  assert.equal(await findExistingData(t), [`unrecognised data (a non-zero byte at ${MiB - 512}, in the first MiB)`]);
  const small = await openMemoryTarget({ sizeBytes: 8192 });
  await small.write(4096, Uint8Array.of(0xff));
  assert.equal(await findExistingData(small), ['unrecognised data (a non-zero byte at 4096, in the first MiB)']);
});

test.run();
