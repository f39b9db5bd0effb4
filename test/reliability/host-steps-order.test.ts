// create's host steps in the right order, with the stand-in lvcreate/lvs/virsh (test/helpers/fake-bin): everything
// that can be refused is refused before lvcreate runs or the disk is written; a new LV's stale signatures are not
// "data"; a failure after lvcreate or after the write says exactly what exists now and how to finish.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { createFakeHost, type FakeWorld } from '../helpers/fake-bin/fake-host.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';

const dir = makeTempDir('guestdisk-host-order-');
test.after(() => dir.remove());
const MiB = 1024 * 1024;
const TS = ['--timestamp', '1700000000', '--seed', 'order'];
const WORLD: FakeWorld = { vgs: { vg0: { freeBytes: 8 * 1024 * 1024 * MiB, lvs: {} } }, domains: { win: { running: true, disks: [] } } };

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

const lvcreates = (calls: string[][]): number => calls.filter((c) => c[0] === 'lvcreate').length;

test('--lvm: a spec that cannot be planned is refused before lvcreate (no LV left behind)', async () => {
  const bad: [string[], number, RegExp][] = [
    [['--timestamp', 'yesterday'], 2, /cannot read timestamp/],
    [['--timestamp', '2024-01-31T12:00:00'], 2, /without a zone/],
    [['--label', 'a/b'], 2, /contains "\/"/],
    [['--cluster-size', '3000', '--fs', 'exfat'], 2, /exFAT cluster size 3000/],
    [['--partition-name', 'y'.repeat(37)], 2, /GPT holds 36/],
    [['--size', '3T', '--table', 'mbr', '--fs', 'none'], 2, /use --table gpt/],
    [['--size', '20M', '--fs', 'fat32'], 3, /FAT32 needs at least 65525 clusters/],
    [['--size', '64M', '--sector-size', '4096', '--cluster-size', '512'], 2, /NTFS cluster size 512/],
  ];
  for (const [args, exit, message] of bad) {
    const host = createFakeHost(WORLD);
    try {
      const argv = ['create', '--lvm', 'vg0/new', '--size', '64M', ...args];
      const r = await runCli(argv, { ...host.env, SOURCE_DATE_EPOCH: '1700000000' });
      assert.is(r.status, exit, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.is(lvcreates(host.calls()), 0, `${argv.join(' ')} ran lvcreate`);
    } finally {
      host.remove();
    }
  }
});

test('--attach with no virsh on PATH: refused before anything is written (no image made, an old one untouched)', async () => {
  const fresh = join(dir.path, 'novirsh.img');
  const r = await runCli(['create', fresh, '--size', '64M', '--attach', 'win', ...TS, '--json'], { PATH: '/nonexistent' });
  assert.is(r.status, 10, r.stdout + r.stderr);
  const err = (JSON.parse(r.stdout) as ErrorJson).error;
  assert.is(err.code, 'HOST_COMMAND_FAILED');
  assert.match(err.message, /--attach needs virsh .* not on PATH; nothing was written/);
  assert.not.ok(existsSync(fresh), 'no image was made');
  const old = join(dir.path, 'old.img');
  await mustCli(['create', old, '--size', '64M', '--fs', 'exfat', ...TS]);
  const before = await sha256File(old);
  assert.is((await runCli(['create', old, '--force', '--attach', 'win', ...TS], { PATH: '/nonexistent' })).status, 10);
  assert.is(await sha256File(old), before);
});

test('--attach failing after the write: the error (text and --json) says the disk was written and is complete', async () => {
  const host = createFakeHost(WORLD);
  try {
    for (const json of [false, true]) {
      const img = join(dir.path, `attach-fails-${json}.img`);
      const r = await runCli(['create', img, '--size', '64M', '--fs', 'ntfs', '--attach', 'no-such-vm', ...TS, ...(json ? ['--json'] : [])], host.env);
      assert.is(r.status, 10, r.stdout + r.stderr);
      const message = json ? (JSON.parse(r.stdout) as ErrorJson).error.message : r.stderr;
      assert.match(message, /failed to get domain 'no-such-vm'/);
      assert.match(message, `The disk ${img} was written and is complete`);
      assert.match(message, `guestdisk attach ${img} "no-such-vm"`);
      if (json) {
        const details = (JSON.parse(r.stdout) as ErrorJson).error.details;
        assert.is(details.diskWritten, true);
        assert.is(details.diskState, 'complete');
      }
      const verified = await runCli(['verify', img]);
      assert.is(verified.status, 0, verified.stdout);
    }
  } finally {
    host.remove();
  }
});

test('options that do nothing in a combination are refused: --partition-name with MBR, attach options without --attach', async () => {
  const img = join(dir.path, 'idle.img');
  const cases: [string[], RegExp][] = [
    [['--table', 'mbr', '--partition-name', 'x'], /--partition-name names a GPT partition/],
    [['--target-dev', 'vdc'], /--target-dev only applies with --attach/],
    [['--persistent'], /--persistent only applies with --attach/],
    [['--bus', 'sata', '--cache', 'writeback'], /--bus, --cache only apply with --attach/],
    [['--print-xml'], /--print-xml only applies with --attach/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['create', img, '--size', '64M', ...TS, ...args, '--json']);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const err = (JSON.parse(r.stdout) as ErrorJson).error;
    assert.is(err.code, 'INVALID_SPEC');
    assert.match(err.message, message);
    assert.not.ok(existsSync(img));
  }
});

/** A stand-in "LV": a loop device over a file that held an NTFS volume (freed extents of a removed LV are not
 *  zeroed); create waits for a block device node, as lvcreate's /dev/VG/LV is one. */
function staleNtfsVolume(name: string): { file: string; device: string; detach(): void } {
  const file = staleNtfsFile(name);
  const loop = attachLoop(file, { readOnly: false });
  return { file, device: loop.device, detach: loop.detach };
}

function staleNtfsFile(name: string): string {
  requireTool('mkntfs');
  const path = join(dir.path, name);
  writeFileSync(path, '');
  mustRun('truncate', ['-s', String(64 * MiB), path]);
  mustRun('mkntfs', ['-q', '-F', '-f', '-p', '2048', '-H', '255', '-S', '63', path]);
  // place the old volume where a partition starts (byte 1048576), as on the removed LV
  mustRun('dd', [`if=${path}`, `of=${path}.tmp`, 'bs=1M', 'count=63', 'status=none']);
  mustRun('dd', [`if=${path}.tmp`, `of=${path}`, 'bs=1M', 'seek=1', 'conv=notrunc', 'status=none']);
  mustRun('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M', 'count=1', 'conv=notrunc', 'status=none']);
  mustRun('rm', ['-f', `${path}.tmp`]);
  return path;
}

test('freed extents: a new LV holding an old NTFS signature is formatted without TARGET_HAS_DATA, saying the stale signatures were erased', async () => {
  const lv = staleNtfsVolume('freed.lv');
  const lvFile = lv.device;
  const host = createFakeHost({ ...WORLD, newLvPaths: { 'vg0/b': lvFile } });
  try {
    const r = await runCli(['create', '--lvm', 'vg0/b', '--size', '64M', '--fs', 'exfat', ...TS, '--json'], host.env);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /erased stale signatures from the new volume's freed extents: NTFS filesystem at byte 1048576/);
    assert.equal((JSON.parse(r.stdout) as { erasedStaleData: string[] }).erasedStaleData, ['NTFS filesystem at byte 1048576']);
    assert.is(lvcreates(host.calls()), 1);
    const verified = await runCli(['verify', lvFile, '--expect-fs', 'exfat']);
    assert.is(verified.status, 0, verified.stdout);
  } finally {
    host.remove();
    lv.detach();
  }
});

test('freed extents: an existing LV with the same stale data is still refused without --force', async () => {
  const lv = staleNtfsVolume('existing.lv');
  const host = createFakeHost({ vgs: { vg0: { freeBytes: 0, lvs: { b: { sizeBytes: 64 * MiB, path: lv.device } } } } });
  try {
    const r = await runCli(['create', '--lvm', 'vg0/b', '--fs', 'exfat', ...TS], host.env);
    assert.is(r.status, 5, r.stderr);
    assert.match(r.stderr, /already exists/);
  } finally {
    host.remove();
    lv.detach();
  }
});

test('a failure after lvcreate says what exists now (the LV, unformatted) and the command that finishes the job', async () => {
  const lv = staleNtfsVolume('busy.lv');
  const lvFile = lv.device;
  const holder = spawn('bash', ['-c', 'exec 3<>"$1"; echo ready; exec sleep 60', 'holder', lvFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => holder.stdout!.once('data', resolve));
  const host = createFakeHost({ ...WORLD, newLvPaths: { 'vg0/c': lvFile } });
  try {
    const before = await sha256File(lvFile);
    const r = await runCli(['create', '--lvm', 'vg0/c', '--size', '64M', '--fs', 'ntfs', '--label', 'My Data', ...TS, '--json'], host.env);
    assert.is(r.status, 4, r.stdout + r.stderr);
    const err = (JSON.parse(r.stdout) as ErrorJson).error;
    assert.match(err.message, /open for writing by sleep/);
    assert.match(err.message, `The logical volume vg0/c (${lvFile}) was created and exists now, unformatted: finish with guestdisk create ${lvFile} --force --table gpt --fs ntfs --label "My Data" --seed order --timestamp 1700000000 (or remove it: lvremove vg0/c)`);
    assert.is(err.details.lvCreated, true);
    assert.is(await sha256File(lvFile), before);
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    host.remove();
    lv.detach();
  }
});

test.run();
