// The CLI's LVM and libvirt steps, end to end through main(), with stand-in lvcreate/lvs/virsh on PATH
// (device-mapper and libvirt do not work in CI). The LV's device node is a real loop device, so the format
// in between is real.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { checkHostOptions, libvirtDomainDisks } from '../../src/cli/host-steps.js';
import type { CliIo } from '../../src/cli/create.js';
import { openBlockDeviceTarget } from '../../src/target/block-device.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { attachLoopDevice, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { createFakeHost, type FakeWorld } from '../helpers/fake-bin/fake-host.js';

const MiB = 1024 * 1024;
const ROOT = REPO_ROOT;
const WIN = "win 11 \"pro\" o'brien";
const dir = makeTempDir('guestdisk-host-cli-');

const cli = runCli; // in-process: the stand-ins are found through the run's own PATH (io.env), as in a process

function world(extra: Partial<FakeWorld> = {}): FakeWorld {
  return {
    vgs: { vg0: { freeBytes: 1024 * MiB, lvs: { old: { sizeBytes: 64 * MiB } } } },
    domains: { [WIN]: { running: true, disks: [{ type: 'file', device: 'disk', target: 'vda', source: '/var/lib/libvirt/images/win 11.qcow2' }] } },
    ...extra,
  };
}

function loopDevice(sizeBytes: number): { device: string; detach(): void } {
  const image = join(dir.path, `lv${Math.random().toString(36).slice(2)}.img`);
  writeFileSync(image, new Uint8Array(0));
  mustRun('truncate', ['-s', String(sizeBytes), image]);
  const device = attachLoopDevice([image]);
  return { device, detach: () => { runTool('losetup', ['-d', device]); } };
}

const LVS = (sel: string) => ['lvs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_path,lv_size', sel];

test('create --lvm vg0/win --size 64M … --attach DOMAIN: lvcreate, lvs, format, virsh attach-disk', async () => {
  requireTool('sgdisk');
  const loop = loopDevice(64 * MiB);
  const host = createFakeHost(world({ newLvPaths: { 'vg0/win': loop.device } }));
  try {
    const r = await cli(['create', '--lvm', 'vg0/win', '--size', '64M', '--fs', 'exfat', '--label', 'DATA', '--seed', 's', '--timestamp', '1700000000', '--attach', WIN, '--persistent', '--cache', 'writeback'], host.env);
    assert.is(r.status, 0, r.stderr);
    const calls = host.calls();
    assert.equal(calls.slice(0, 3), [LVS('vg0'), ['lvcreate', '--yes', '-L', `${64 * MiB}b`, '-n', 'win', 'vg0'], LVS('vg0/win')]);
    assert.equal(calls.at(-1), ['virsh', 'attach-disk', '--domain', WIN, '--source', loop.device, '--target', 'vdb', '--targetbus', 'virtio', '--driver', 'qemu', '--subdriver', 'raw', '--cache', 'writeback', '--sourcetype', 'block', '--persistent']);
    assert.ok(calls.every((c) => ['lvs', 'lvcreate', 'virsh'].includes(c[0])));
    assert.match(r.stderr, `created logical volume vg0/win: ${loop.device}`);
    assert.match(r.stderr, `attached ${loop.device} to domain`);
    assert.match(mustRun('sgdisk', ['-v', loop.device]), 'No problems found');
  } finally {
    host.remove();
    loop.detach();
  }
});

test('create --lvm on an existing LV: refused (exit 5) without lvcreate; --force formats it as it is', async () => {
  const loop = loopDevice(64 * MiB);
  const host = createFakeHost(world({ vgs: { vg0: { freeBytes: 0, lvs: { old: { sizeBytes: 64 * MiB, path: loop.device } } } } }));
  try {
    const refused = await cli(['create', '--lvm', 'vg0/old', '--size', '128M', '--fs', 'none', '--seed', 's', '--timestamp', '0'], host.env);
    assert.is(refused.status, 5, refused.stderr);
    assert.match(refused.stderr, 'logical volume vg0/old already exists');
    const forced = await cli(['create', '--lvm', 'vg0/old', '--size', '128M', '--fs', 'none', '--seed', 's', '--timestamp', '0', '--force'], host.env);
    assert.is(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, 'not resized to --size 128M');
    assert.ok(!host.calls().some((c) => c[0] === 'lvcreate'), JSON.stringify(host.calls()));
  } finally {
    host.remove();
    loop.detach();
  }
});

test('LVM failures exit 10 (HOST_COMMAND_FAILED) with the program\'s stderr; --json gives the argv', async () => {
  const host = createFakeHost(world());
  try {
    const r = await cli(['create', '--lvm', 'vg0/big', '--size', '4G', '--fs', 'none', '--json'], host.env);
    assert.is(r.status, 10, r.stderr);
    const err = JSON.parse(r.stdout).error;
    assert.is(err.code, 'HOST_COMMAND_FAILED');
    assert.equal(err.details.argv, ['lvcreate', '--yes', '-L', `${4096 * MiB}b`, '-n', 'big', 'vg0']);
    assert.match(err.details.stderr, 'insufficient free space');
    const badName = await cli(['create', '--lvm', 'vg0/my disk', '--size', '1G', '--fs', 'none'], host.env);
    assert.is(badName.status, 2);
    assert.is(host.calls().filter((c) => c[0] === 'lvcreate').length, 1);
  } finally {
    host.remove();
  }
});

test('create IMG --attach DOMAIN --print-xml prints <disk type=\'file\'> with the absolute path; nothing runs', async () => {
  const host = createFakeHost(world());
  try {
    const r = await cli(['create', 'rel dir.img', '--size', '64M', '--fs', 'none', '--seed', 's', '--timestamp', '0', '--attach', WIN, '--print-xml'], { ...host.env });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, `<disk type='file' device='disk'>\n  <driver name='qemu' type='raw' cache='none'/>\n  <source file='${join(ROOT, 'rel dir.img')}'/>\n  <target dev='vdb' bus='virtio'/>\n</disk>`);
    assert.equal(host.calls(), []);
  } finally {
    runTool('rm', ['-f', join(ROOT, 'rel dir.img')]);
    host.remove();
  }
});

test('attach IMG DOMAIN --json: virsh attach-disk with --sourcetype file; a second attach of the same file is refused (exit 4)', async () => {
  const image = join(dir.path, 'disk image.img');
  writeFileSync(image, new Uint8Array(MiB));
  const host = createFakeHost(world());
  try {
    const r = await cli(['attach', image, WIN, '--json', '--bus', 'sata'], host.env);
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.argv, ['virsh', 'attach-disk', '--domain', WIN, '--source', image, '--target', 'sdb', '--targetbus', 'sata', '--driver', 'qemu', '--subdriver', 'raw', '--cache', 'none', '--sourcetype', 'file']);
    assert.equal(host.calls().at(-1), out.argv);
    const again = await cli(['attach', image, WIN, '--target-dev', 'vdc'], host.env);
    assert.is(again.status, 4, again.stderr);
    assert.match(again.stderr, 'is already a disk of the running domain');
  } finally {
    host.remove();
  }
});

test('attach /dev/loopN DOMAIN --print-xml: <disk type=\'block\'> with source dev; virsh failures exit 10', async () => {
  const loop = loopDevice(8 * MiB);
  const host = createFakeHost(world());
  try {
    const xml = await cli(['attach', loop.device, WIN, '--print-xml', '--target-dev', 'vdd'], host.env);
    assert.is(xml.status, 0, xml.stderr);
    assert.is(xml.stdout, `<disk type='block' device='disk'>\n  <driver name='qemu' type='raw' cache='none'/>\n  <source dev='${loop.device}'/>\n  <target dev='vdd' bus='virtio'/>\n</disk>\n`);
    const gone = await cli(['attach', loop.device, 'no-such-vm'], host.env);
    assert.is(gone.status, 10);
    assert.match(gone.stderr, "error: failed to get domain 'no-such-vm'");
    const missing = await cli(['attach', join(dir.path, 'nope.img'), WIN], host.env);
    assert.is(missing.status, 2);
  } finally {
    host.remove();
    loop.detach();
  }
});

function ioWith(env: Record<string, string>, errors: string[]): CliIo {
  return { stdout: () => {}, stderr: (t) => errors.push(t), env, now: () => 0, interrupted: () => null };
}

test('a block device that a running domain uses (virsh domblklist, by device number) is refused, bytes unchanged', async () => {
  const loop = loopDevice(8 * MiB);
  const host = createFakeHost(world({ domains: { [WIN]: { running: true, disks: [{ type: 'block', device: 'disk', target: 'vdb', source: loop.device }] }, stopped: { running: false, disks: [] } } }));
  try {
    const sha = () => createHash('sha256').update(readFileSync(loop.device)).digest('hex');
    const before = sha();
    const errors: string[] = [];
    const e = (await openBlockDeviceTarget({ path: loop.device, mode: 'write', domainDisks: libvirtDomainDisks(ioWith(host.env, errors)) }).catch((x: unknown) => x)) as GuestdiskError;
    assert.instance(e, GuestdiskError);
    assert.is(e.code, 'TARGET_BUSY');
    assert.equal(e.details.reasons, ['libvirt']);
    assert.match(e.message, `is a disk of the running libvirt domain ${JSON.stringify(WIN)}`);
    assert.is(sha(), before);
    assert.equal(errors, []);
    // no virsh at all, or libvirt installed but not running: nothing to ask, no note
    const t1 = await openBlockDeviceTarget({ path: loop.device, mode: 'write', domainDisks: libvirtDomainDisks(ioWith({ PATH: '/nonexistent' }, errors)) });
    await t1.close();
    assert.equal(errors, []);
    const stopped = createFakeHost(world({ virshUnreachable: true }));
    try {
      const t2 = await openBlockDeviceTarget({ path: loop.device, mode: 'write', domainDisks: libvirtDomainDisks(ioWith(stopped.env, errors)) });
      await t2.close();
      assert.equal(errors, []);
    } finally {
      stopped.remove();
    }
    // libvirt there but refusing us: a note on stderr, the write goes ahead
    const denied = createFakeHost(world({ fail: { virsh: { status: 1, stderr: "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied\n" } } }));
    try {
      const t3 = await openBlockDeviceTarget({ path: loop.device, mode: 'write', domainDisks: libvirtDomainDisks(ioWith(denied.env, errors)) });
      await t3.close();
      assert.is(errors.length, 1);
      assert.match(errors[0], 'could not ask libvirt');
    } finally {
      denied.remove();
    }
  } finally {
    host.remove();
    loop.detach();
  }
});

test('checkHostOptions refuses bad --lvm/--attach values before anything is written', () => {
  for (const bad of [{ lvm: 'vg0' }, { lvm: 'vg0/a b', size: '1G' }, { lvm: 'vg0/x', size: '12Q' }, { attach: 'd', bus: 'ide' }, { attach: 'd', targetDev: 'sdb' }, { attach: 'd', printXml: true, cache: 'fast' }, { attach: '' }, { printXml: true }, { targetDev: 'vdc' }, { persistent: true }]) {
    assert.throws(() => checkHostOptions(bad), (e: GuestdiskError) => e.code === 'INVALID_SPEC', JSON.stringify(bad));
  }
  for (const good of [{}, { lvm: 'vg0/x', size: '100%FREE' }, { lvm: 'vg0/x' }, { attach: WIN, bus: 'scsi' }, { attach: WIN, printXml: true }]) checkHostOptions(good);
});

test.after(() => dir.remove());
test.run();
