// Real loop devices (root in CI) as block-device targets: geometry through ioctl and through the forced sysfs
// fallback against blockdev(8), CLI create judged by the conformance script, BLKZEROOUT, BLKRRPART, and every
// refusal (mounted, partition mounted, held O_EXCL by another process, read-only, active swap, partition of a
// disk) with the device's sha256 unchanged.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { openBlockDeviceTarget, partitionRereadOf, readBlockDeviceGeometry } from '../../src/target/block-device.js';
import { ioctlStatus, setIoctlEnabled } from '../../src/target/ioctl.js';
import { attachLoopDevice, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { runBin } from '../helpers/cli.js';
import { CONFORMANCE_DIR, REPO_ROOT } from '../helpers/paths.js';

const MiB = 1024 * 1024;
const ROOT = REPO_ROOT;
const CHECK_IMAGE = join(CONFORMANCE_DIR, 'check-image.sh');
const dir = makeTempDir('guestdisk-block-');
let imageCount = 0;

interface Loop { device: string; image: string; detach(): void }

/** A sparse image on a loop device; always detach in a finally. */
function attach(sizeBytes: number, options: { sector?: 512 | 4096; readOnly?: boolean; partscan?: boolean; image?: string } = {}): Loop {
  const image = options.image ?? join(dir.path, `d${imageCount++}.img`);
  if (!options.image) {
    writeFileSync(image, new Uint8Array(0));
    mustRun('truncate', ['-s', String(sizeBytes), image]);
  }
  const args: string[] = [];
  if (options.sector) args.push('-b', String(options.sector));
  if (options.readOnly) args.push('-r');
  if (options.partscan) args.push('-P');
  const device = attachLoopDevice([...args, image]);
  return { device, image, detach: () => { runTool('losetup', ['-d', device]); } };
}

function sha256Device(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(4 * MiB);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The built bin in its own process: GUESTDISK_NO_IOCTL is read once per process. */
function cli(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  return runBin(args, { env, timeoutMs: 300_000 });
}

/** Whether the optional package is installed: if it is, the ioctl path must load and be used. */
function ioctlPackageInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('ioctl');
    return true;
  } catch {
    return false;
  }
}

async function expectBusy(p: Promise<unknown>, reason: string, messagePart: string): Promise<GuestdiskError> {
  const e = await p.then(() => null, (x: unknown) => x);
  assert.instance(e, GuestdiskError, `expected TARGET_BUSY (${reason})`);
  const g = e as GuestdiskError;
  assert.is(g.code, 'TARGET_BUSY');
  assert.ok((g.details.reasons as string[]).includes(reason), `reasons ${JSON.stringify(g.details.reasons)} lack ${reason}`);
  assert.match(g.message, messagePart);
  return g;
}

test('ioctl package: used when installed, sysfs when not (npm ci --omit=optional)', () => {
  assert.is(ioctlStatus().available, ioctlPackageInstalled(), String(ioctlStatus().reason));
});

for (const sector of [512, 4096] as const) {
  test(`geometry of a ${sector}-byte loop device, through ioctl and forced sysfs, equals blockdev(8)`, async () => {
    requireTool('blockdev');
    const loop = attach(48 * MiB + 4 * sector, { sector });
    try {
      const [size, ss, pbsz] = mustRun('blockdev', ['--getsize64', '--getss', '--getpbsz', loop.device]).trim().split('\n').map(Number);
      const viaDefault = await readBlockDeviceGeometry(loop.device);
      setIoctlEnabled(false);
      const viaSysfs = await readBlockDeviceGeometry(loop.device);
      const opened = await openBlockDeviceTarget({ path: loop.device, mode: 'write' });
      await opened.close();
      setIoctlEnabled(true);
      const openedIoctl = await openBlockDeviceTarget({ path: loop.device, mode: 'write' });
      await openedIoctl.close();
      for (const g of [viaDefault, viaSysfs, opened, openedIoctl]) {
        assert.equal([g.sizeBytes, g.logicalSectorSize, g.physicalSectorSize], [size, ss, pbsz]);
      }
      assert.is(viaSysfs.source, 'sysfs');
      assert.is(viaDefault.source, ioctlPackageInstalled() ? 'ioctl' : 'sysfs');
      assert.is(ss, sector);
    } finally {
      setIoctlEnabled(true);
      loop.detach();
    }
  });
}

// Each filesystem on both sector sizes, each path (ioctl, sysfs) on both; FAT32 needs 65525 clusters, which
// with 4096-byte sectors means more than 257 MiB (sparse, so it costs nothing).
const CASES = [
  { sector: 512, fs: 'none', noIoctl: false, sizeMiB: 64 },
  { sector: 4096, fs: 'none', noIoctl: true, sizeMiB: 64 },
  { sector: 512, fs: 'exfat', noIoctl: true, sizeMiB: 64 },
  { sector: 4096, fs: 'exfat', noIoctl: false, sizeMiB: 64 },
  { sector: 512, fs: 'ntfs', noIoctl: false, sizeMiB: 64 },
  { sector: 4096, fs: 'ntfs', noIoctl: true, sizeMiB: 64 },
  { sector: 512, fs: 'fat32', noIoctl: true, sizeMiB: 300 },
  { sector: 4096, fs: 'fat32', noIoctl: false, sizeMiB: 300 },
] as const;

for (const c of CASES) {
  test(`create ${c.sector}-byte loop device by path, --fs ${c.fs}${c.noIoctl ? ', GUESTDISK_NO_IOCTL=1' : ''}: conformance table checks pass`, () => {
    requireTool('sgdisk');
    const loop = attach(c.sizeMiB * MiB, { sector: c.sector });
    try {
      const env: Record<string, string> = c.noIoctl ? { GUESTDISK_NO_IOCTL: '1' } : {};
      const label = c.fs === 'none' ? [] : ['--label', 'DATA'];
      const r = cli(['create', loop.device, '--fs', c.fs, ...label, '--seed', 'block-test', '--timestamp', '1700000000'], env);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, `${c.sector} bytes`);
      const sg = mustRun('sgdisk', ['-v', loop.device]);
      assert.match(sg, 'No problems found');
      const check = spawnSync('bash', [CHECK_IMAGE, loop.device, '--no-write-test', '--json', '--table', 'gpt', '--sector', String(c.sector), ...(c.fs === 'none' ? [] : ['--fs', c.fs, '--label', 'DATA'])], { encoding: 'utf8', timeout: 300_000 });
      const report = JSON.parse(check.stdout) as { checks: { status: string; name: string; detail: string }[] };
      const judged = report.checks.filter((k) => c.fs !== 'none' || !k.name.startsWith('fs.'));
      const failed = judged.filter((k) => k.status === 'FAIL');
      assert.equal(failed, [], JSON.stringify(failed));
      assert.ok(judged.filter((k) => k.status === 'PASS' && k.name.startsWith('table.')).length >= 5, 'table checks ran');
      if (c.fs !== 'none') assert.is(check.status, 0, check.stdout);
    } finally {
      loop.detach();
    }
  });
}

test('the same seed writes the same bytes through ioctl (BLKZEROOUT) and through sysfs (zero writes)', () => {
  const a = attach(64 * MiB);
  const b = attach(64 * MiB);
  try {
    // the same old data under both, so that the zero ranges really have to be zeroed
    const old = join(dir.path, 'old.bin');
    mustRun('dd', ['if=/dev/urandom', `of=${old}`, 'bs=1M', 'count=64', 'status=none']);
    for (const l of [a, b]) mustRun('dd', [`if=${old}`, `of=${l.device}`, 'bs=1M', 'status=none', 'conv=fsync']);
    assert.is(cli(['create', a.device, '--fs', 'exfat', '--seed', 'same', '--timestamp', '1700000000', '--force']).status, 0);
    assert.is(cli(['create', b.device, '--fs', 'exfat', '--seed', 'same', '--timestamp', '1700000000', '--force'], { GUESTDISK_NO_IOCTL: '1' }).status, 0);
    assert.is(sha256Device(a.device), sha256Device(b.device));
  } finally {
    a.detach();
    b.detach();
  }
});

for (const noIoctl of [false, true]) {
  test(`writeZeros over old data reads back as zeros${noIoctl ? ' (plain writes)' : ' (BLKZEROOUT)'}, neighbours intact`, async () => {
    const loop = attach(16 * MiB, { sector: 4096 });
    setIoctlEnabled(!noIoctl);
    try {
      const t = await openBlockDeviceTarget({ path: loop.device, mode: 'write' });
      const data = Uint8Array.from({ length: 8 * MiB }, (_, i) => (i * 131 + 7) & 0xff | 1);
      await t.write(MiB, data);
      await t.writeZeros(2 * MiB, 5 * MiB + 4096);
      await t.close();
      const fd = openSync(loop.device, 'r');
      const back = new Uint8Array(8 * MiB);
      readSync(fd, back, 0, back.length, MiB);
      closeSync(fd);
      assert.equal(back.subarray(0, MiB), data.subarray(0, MiB));
      assert.ok(back.subarray(MiB, 6 * MiB + 4096).every((x) => x === 0));
      assert.equal(back.subarray(6 * MiB + 4096), data.subarray(6 * MiB + 4096));
    } finally {
      setIoctlEnabled(true);
      loop.detach();
    }
  });
}

test('after a write, close() asks the kernel to re-read the table: EINVAL without partscan is "not-supported"', async () => {
  const plain = attach(8 * MiB);
  const scanned = attach(8 * MiB, { partscan: true });
  try {
    const results = [];
    for (const l of [plain, scanned]) {
      const t = await openBlockDeviceTarget({ path: l.device, mode: 'write' });
      await t.write(0, new Uint8Array(512));
      await t.close();
      results.push(partitionRereadOf(t));
    }
    const unwritten = await openBlockDeviceTarget({ path: plain.device, mode: 'write' });
    await unwritten.close();
    assert.is(partitionRereadOf(unwritten), null);
    if (ioctlPackageInstalled()) {
      assert.equal(results.map((r) => [r?.status, r?.errno]), [['not-supported', 'EINVAL'], ['reread', null]]);
      assert.match(results[0]!.message, 'Windows reads the partition table itself');
    } else {
      assert.equal(results.map((r) => r?.status), ['unavailable', 'unavailable']);
    }
  } finally {
    plain.detach();
    scanned.detach();
  }
});

test('refused, bytes unchanged: a mounted loop device (kernel ext4 mount; API and CLI)', async () => {
  requireTool('mkfs.ext4');
  const loop = attach(32 * MiB);
  const mnt = makeTempDir('guestdisk-mnt-');
  let mounted = false;
  try {
    mustRun('mkfs.ext4', ['-q', loop.device]);
    // read-only mounts: the kernel still holds the device, but no journal commit or lazy inode-table init
    // writes to it in the background while the bytes are compared
    mustRun('mount', ['-o', 'ro', loop.device, mnt.path]);
    mounted = true;
    const before = sha256Device(loop.device);
    await expectBusy(openBlockDeviceTarget({ path: loop.device, mode: 'write' }), 'mounted', `is mounted on ${mnt.path} (ext4)`);
    const r = cli(['create', loop.device, '--fs', 'none', '--seed', 's', '--timestamp', '0', '--force']);
    assert.is(r.status, 4, r.stderr);
    assert.match(r.stderr, 'is mounted on');
    assert.is(sha256Device(loop.device), before);
  } finally {
    if (mounted) runTool('umount', [mnt.path]);
    mnt.remove();
    loop.detach();
  }
});

test('refused, bytes unchanged: one of its partitions is mounted (partx node, exfat-fuse) — and a partition itself unless --force', async () => {
  requireTool('partx');
  requireTool('mount.exfat-fuse');
  requireTool('sgdisk');
  const loop = attach(64 * MiB);
  const mnt = makeTempDir('guestdisk-mnt-');
  let mounted = false;
  try {
    assert.is(cli(['create', loop.device, '--fs', 'exfat', '--label', 'DATA', '--seed', 'p', '--timestamp', '1700000000']).status, 0);
    // This kernel has no partition parser: partx(8) reads the table in user space and adds the node.
    mustRun('partx', ['-a', loop.device]);
    const part = `${loop.device}p1`;
    const unmounted = sha256Device(loop.device);
    await expectBusy(openBlockDeviceTarget({ path: part, mode: 'write' }), 'partition', 'is partition');
    assert.is(sha256Device(loop.device), unmounted);
    const forced = await openBlockDeviceTarget({ path: part, mode: 'write', force: true });
    assert.is(forced.sizeBytes, 62 * MiB);
    await forced.close();
    mustRun('mount.exfat-fuse', ['-o', 'ro', part, mnt.path]);
    mounted = true;
    const before = sha256Device(loop.device);
    await expectBusy(openBlockDeviceTarget({ path: loop.device, mode: 'write' }), 'mounted', `its partition ${part} is mounted on ${mnt.path}`);
    const r = cli(['create', loop.device, '--fs', 'none', '--seed', 's', '--timestamp', '0', '--force']);
    assert.is(r.status, 4, r.stderr);
    assert.is(sha256Device(loop.device), before);
  } finally {
    if (mounted) runTool('umount', [mnt.path]);
    runTool('partx', ['-d', loop.device]);
    mnt.remove();
    loop.detach();
  }
});

test('refused, bytes unchanged: held open O_EXCL by another process', async () => {
  const loop = attach(8 * MiB);
  mustRun('dd', ['if=/dev/urandom', `of=${loop.device}`, 'bs=1M', 'count=8', 'status=none', 'conv=fsync']);
  const before = sha256Device(loop.device);
  const holder = spawn(process.execPath, ['-e', `const fs=require('fs');fs.openSync(${JSON.stringify(loop.device)}, fs.constants.O_RDONLY|fs.constants.O_EXCL);process.stdout.write('held\\n');setInterval(()=>{},1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (d: Buffer) => { if (String(d).includes('held')) resolve(); });
      holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });
    await expectBusy(openBlockDeviceTarget({ path: loop.device, mode: 'write' }), 'exclusive-open', 'holds it open exclusively');
    const r = cli(['create', loop.device, '--fs', 'none', '--seed', 's', '--timestamp', '0', '--force']);
    assert.is(r.status, 4, r.stderr);
    assert.is(sha256Device(loop.device), before);
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    loop.detach();
  }
});

test('refused, bytes unchanged: a read-only loop device (losetup -r)', async () => {
  const rw = attach(8 * MiB);
  const image = rw.image;
  mustRun('dd', ['if=/dev/urandom', `of=${rw.device}`, 'bs=1M', 'count=8', 'status=none', 'conv=fsync']);
  rw.detach();
  const ro = attach(8 * MiB, { readOnly: true, image });
  try {
    const before = sha256Device(ro.device);
    await expectBusy(openBlockDeviceTarget({ path: ro.device, mode: 'write' }), 'read-only', 'is read-only');
    const r = cli(['create', ro.device, '--fs', 'none', '--seed', 's', '--timestamp', '0', '--force']);
    assert.is(r.status, 4, r.stderr);
    assert.match(r.stderr, 'read-only');
    assert.is(sha256Device(ro.device), before);
  } finally {
    ro.detach();
  }
});

test('refused, bytes unchanged: an active swap area', async () => {
  requireTool('mkswap');
  requireTool('swapon');
  const loop = attach(16 * MiB);
  let on = false;
  try {
    mustRun('mkswap', [loop.device]);
    mustRun('swapon', [loop.device]);
    on = true;
    const before = sha256Device(loop.device);
    await expectBusy(openBlockDeviceTarget({ path: loop.device, mode: 'write' }), 'swap', 'is an active swap area');
    assert.is(sha256Device(loop.device), before);
  } finally {
    if (on) runTool('swapoff', [loop.device]);
    loop.detach();
  }
});

test.after(() => dir.remove());
test.run();
