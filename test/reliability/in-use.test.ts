// Targets in use are TARGET_BUSY (exit 4) even with --force, and stay byte for byte as they were: image files
// attached to a loop device, mounted through one, held open for writing, a disk of a running domain; block devices
// with a loop device stacked on them (losetup -o on a loop device, the usual way to reach a partition without
// partscan), mounted through that stacked device with ntfs-3g, or held open for writing by a process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { createFakeHost } from '../helpers/fake-bin/fake-host.js';

const dir = makeTempDir('guestdisk-in-use-');
test.after(() => dir.remove());
const MiB = 1024 * 1024;
const TS = ['--timestamp', '1700000000', '--seed', 'in-use'];

function image(name: string, sizeBytes = 64 * MiB): string {
  const path = join(dir.path, name);
  writeFileSync(path, '');
  mustRun('truncate', ['-s', String(sizeBytes), path]);
  return path;
}

/** `create TARGET --force`, expected refused as busy with a message matching `why`, the target unchanged. */
async function expectBusy(target: string, why: RegExp, env: Record<string, string> = {}): Promise<void> {
  const before = await sha256File(target);
  for (const extra of [[], ['--json']]) {
    const r = await runCli(['create', target, '--force', '--fs', 'ntfs', ...TS, ...extra], env);
    assert.is(r.status, 4, `${r.stdout}${r.stderr}`);
    if (extra.length) {
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.is(err.code, 'TARGET_BUSY');
      assert.match(err.message, why);
    } else {
      assert.match(r.stderr, why);
    }
  }
  assert.is(await sha256File(target), before, `${target} was written`);
}

/** A process holding `path` open read-write (bash's `exec 3<>`), until killed. */
async function holdOpen(path: string, mode: '<>' | '<' = '<>'): Promise<ChildProcess> {
  const child = spawn('bash', ['-c', `exec 3${mode}"$1"; echo ready; exec sleep 60`, 'holder', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => resolve());
    child.on('exit', () => reject(new Error('holder exited')));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.on('exit', r));
}

test('image file attached to a loop device (read-only or not): TARGET_BUSY with --force, file unchanged', async () => {
  const img = image('looped.img');
  await mustCli(['create', img, '--fs', 'exfat', ...TS, '--force']);
  for (const readOnly of [true, false]) {
    const loop = attachLoop(img, { readOnly });
    try {
      await expectBusy(img, new RegExp(`attached to the loop device ${loop.device}.*losetup -d`));
      // another name for the same file is the same file
      const link = join(dir.path, `link-${readOnly}.img`);
      runTool('ln', ['-sf', img, link]);
      await expectBusy(link, /attached to the loop device/);
    } finally {
      loop.detach();
    }
  }
  const r = await runCli(['create', img, '--force', '--fs', 'none', ...TS]);
  assert.is(r.status, 0, 'once detached, it may be written');
});

test('image file mounted through a loop device (kernel ext4): TARGET_BUSY naming the mount, file unchanged', async () => {
  requireTool('mkfs.ext4');
  const img = image('mounted.img');
  mustRun('mkfs.ext4', ['-q', '-F', img]);
  const mnt = join(dir.path, 'mnt-ext4');
  mkdirSync(mnt);
  mustRun('mount', ['-o', 'loop,ro,noload', img, mnt]);
  try {
    await expectBusy(img, new RegExp(`loop device /dev/loop\\d+ \\(/dev/loop\\d+ is mounted on ${mnt}`));
  } finally {
    mustRun('umount', [mnt]);
  }
});

test('image file held open for writing by another process: TARGET_BUSY naming it; held for reading only: written', async () => {
  const img = image('held.img');
  const writer = await holdOpen(img, '<>');
  try {
    await expectBusy(img, /open for writing by sleep \(pid \d+\)/);
  } finally {
    await stop(writer);
  }
  const reader = await holdOpen(img, '<');
  try {
    const r = await runCli(['create', img, '--force', '--fs', 'none', ...TS]);
    assert.is(r.status, 0, r.stderr);
  } finally {
    await stop(reader);
  }
});

test('image file that a running libvirt domain uses (virsh domblklist, another path to it): TARGET_BUSY with --force', async () => {
  const img = image('vm.img');
  const host = createFakeHost({ vgs: {}, domains: { 'win 11': { running: true, disks: [{ type: 'file', device: 'disk', target: 'vdb', source: join(dir.path, '.', 'vm.img') }] } } });
  try {
    await expectBusy(img, /disk of the running libvirt domain "win 11"/, host.env);
  } finally {
    host.remove();
  }
});

test('block device with a loop device stacked on it at an offset, mounted through ntfs-3g: TARGET_BUSY, bytes unchanged', async () => {
  requireTool('ntfs-3g');
  requireTool('mkntfs');
  const backing = image('stacked.img', 128 * MiB);
  const lower = attachLoop(backing, { readOnly: false });
  try {
    await mustCli(['create', lower.device, '--fs', 'ntfs', '--force', ...TS]);
    // the partition, reached the usual way without partscan: a loop device on the loop device, at its offset
    const upper = attachLoop(lower.device, { readOnly: false, offsetBytes: MiB, sizeBytes: 126 * MiB });
    try {
      await expectBusy(lower.device, new RegExp(`${upper.device} is a loop device on ${lower.device} at byte 1048576: detach it first`));
      const mnt = join(dir.path, 'mnt-ntfs');
      mkdirSync(mnt, { recursive: true });
      mustRun('ntfs-3g', [upper.device, mnt]);
      try {
        await expectBusy(lower.device, new RegExp(`${upper.device} \\(a loop device on ${lower.device} at byte 1048576\\) is mounted on ${mnt} \\(fuseblk\\)`));
        await expectBusy(lower.device, /is open for writing by ntfs-3g \(pid \d+\)/);
      } finally {
        mustRun('umount', [mnt]);
      }
    } finally {
      upper.detach();
    }
  } finally {
    lower.detach();
  }
});

test('block device held open for writing by another process: TARGET_BUSY naming it, bytes unchanged', async () => {
  const backing = image('held-dev.img');
  const loop = attachLoop(backing, { readOnly: false });
  try {
    const writer = await holdOpen(loop.device, '<>');
    try {
      await expectBusy(loop.device, new RegExp(`${loop.device} is open for writing by sleep \\(pid \\d+\\)`));
    } finally {
      await stop(writer);
    }
    const r = await runCli(['create', loop.device, '--force', '--fs', 'none', ...TS]);
    assert.is(r.status, 0, r.stderr);
  } finally {
    loop.detach();
  }
});

test.run();
