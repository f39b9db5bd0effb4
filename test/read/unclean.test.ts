// Volumes Windows left unclean are still read, with a warning: NTFS hibernated (hiberfil.sys "HIBR"), NTFS dirty
// flag, exFAT VolumeDirty, FAT32 ClnShutBit clear. ($LogFile not marked clean is ntfs-cloud.bin of the corpus.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openFileTarget } from '../../src/target/file-target.js';
import { openVolume } from '../../src/read/open-volume.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';

for (const t of ['mkntfs', 'ntfs-3g', 'mkfs.exfat', 'mkfs.fat', 'truncate']) requireTool(t);
const dir = makeTempDir('guestdisk-read-unclean-');
test.after(() => dir.remove());

function patch(path: string, offset: number, f: (bytes: Uint8Array) => void, length = 4096): void {
  const fd = openSync(path, 'r+');
  try {
    const bytes = new Uint8Array(length);
    readSync(fd, bytes, 0, length, offset);
    f(bytes);
    writeSync(fd, bytes, 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

async function warningsOf(path: string): Promise<string[]> {
  const t = await openFileTarget({ path, mode: 'read', logicalSectorSize: 512 });
  try {
    const r = await openVolume(t);
    let n = 0;
    for await (const _ of r.list('/')) n++;
    assert.ok(n >= 1, 'still listed');
    return r.warnings.map((w) => w.code);
  } finally {
    await t.close();
  }
}

test('NTFS: hibernated (hiberfil.sys starts with HIBR), then also marked dirty', async () => {
  const image = join(dir.path, 'ntfs.img');
  const mnt = join(dir.path, 'mnt');
  mustRun('truncate', ['-s', '64M', image]);
  mustRun('mkntfs', ['-q', '-F', '-Q', image]);
  mustRun('mkdir', [mnt]);
  mustRun('ntfs-3g', [image, mnt]);
  try {
    mustRun('bash', ['-c', 'printf "HIBR" > "$1/hiberfil.sys"; head -c 8188 /dev/zero >> "$1/hiberfil.sys"; printf data > "$1/file.txt"', 'x', mnt]);
  } finally {
    mustRun('umount', [mnt]);
  }
  assert.equal(await warningsOf(image), ['NTFS_HIBERNATED']);
  const cli = await runCli(['ls', image]);
  assert.is(cli.status, 0);
  assert.match(cli.stderr, /warning: NTFS_HIBERNATED/);
  // $Volume's $VOLUME_INFORMATION: record 3 of $MFT (boot sector: cluster size, $MFT LCN); flags at value + 0x0a.
  const boot = new Uint8Array(512);
  const fd = openSync(image, 'r');
  readSync(fd, boot, 0, 512, 0);
  closeSync(fd);
  const view = new DataView(boot.buffer);
  const clusterSize = view.getUint16(0x0b, true) * boot[0x0d];
  const record3 = Number(view.getBigUint64(0x30, true)) * clusterSize + 3 * 1024;
  patch(image, record3, (rec) => {
    const r = new DataView(rec.buffer);
    let at = r.getUint16(0x14, true);
    while (r.getUint32(at, true) !== 0x70) at += r.getUint32(at + 4, true);
    const value = at + r.getUint16(at + 0x14, true);
    r.setUint16(value + 0x0a, r.getUint16(value + 0x0a, true) | 1, true);
  }, 1024);
  assert.equal(await warningsOf(image), ['NTFS_DIRTY', 'NTFS_HIBERNATED']);
});

test('exFAT VolumeDirty and FAT32 ClnShutBit', async () => {
  const ex = join(dir.path, 'exfat.img');
  mustRun('truncate', ['-s', '64M', ex]);
  mustRun('mkfs.exfat', [ex]);
  patch(ex, 0, (b) => { b[0x6a] |= 0x02; }, 512);
  const t = await openFileTarget({ path: ex, mode: 'read', logicalSectorSize: 512 });
  try {
    assert.equal((await openVolume(t)).warnings.map((w) => w.code), ['EXFAT_DIRTY']);
  } finally {
    await t.close();
  }
  const fat = join(dir.path, 'fat.img');
  mustRun('truncate', ['-s', '64M', fat]);
  mustRun('mkfs.fat', ['-F', '32', fat]);
  const boot = new Uint8Array(512);
  const fd = openSync(fat, 'r');
  readSync(fd, boot, 0, 512, 0);
  closeSync(fd);
  const fatStart = new DataView(boot.buffer).getUint16(0x0e, true) * 512;
  patch(fat, fatStart, (b) => { b[7] &= ~0x08; }, 512);
  const t2 = await openFileTarget({ path: fat, mode: 'read', logicalSectorSize: 512 });
  try {
    assert.equal((await openVolume(t2)).warnings.map((w) => w.code), ['FAT_DIRTY']);
  } finally {
    await t2.close();
  }
});

test.run();
