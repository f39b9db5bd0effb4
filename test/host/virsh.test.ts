// virsh through a stand-in (no libvirt in CI): attach-disk argv, the <disk> XML (parsed by Python's XML parser),
// domblklist reading for the in-use check, and failures carrying virsh's stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { createExecRunner } from '../../src/host/run.js';
import { attachDisk, attachDiskArgv, attachModeFor, diskXml, listRunningDomainDisks, parseDomblklist, resolveAttachSpec, virshAdvice } from '../../src/host/virsh.js';
import { mustRun } from '../helpers/tools.js';
import { createFakeHost, type FakeWorld } from '../helpers/fake-bin/fake-host.js';

const WIN = "win 11 'pro'";

function world(): FakeWorld {
  return {
    vgs: {},
    domains: {
      [WIN]: { running: true, disks: [{ type: 'file', device: 'disk', target: 'vda', source: '/var/lib/libvirt/images/win 11.qcow2' }, { type: 'file', device: 'cdrom', target: 'sda' }] },
      off: { running: false, disks: [{ type: 'block', device: 'disk', target: 'vda', source: '/dev/vg0/off' }] },
      '-dash': { running: true, disks: [] },
    },
  };
}

test('defaults: virtio, vdb, cache none, not persistent; sata/scsi default to sdb', () => {
  const s = resolveAttachSpec({ domain: WIN, source: '/dev/vg0/data', sourceKind: 'block' });
  assert.equal(s, { domain: WIN, source: '/dev/vg0/data', sourceKind: 'block', targetDev: 'vdb', bus: 'virtio', cache: 'none', persistent: false, logicalSectorSize: 512 });
  assert.is(resolveAttachSpec({ domain: 'd', source: '/x', sourceKind: 'file', bus: 'sata' }).targetDev, 'sdb');
  for (const bad of [{ bus: 'ide' }, { cache: 'fast' }, { targetDev: 'vdb; reboot' }, { targetDev: 'sdb' }, { bus: 'scsi', targetDev: 'vdc' }]) {
    assert.throws(() => resolveAttachSpec({ domain: 'd', source: '/x', sourceKind: 'file', ...bad }), (e: GuestdiskError) => e.code === 'INVALID_SPEC', JSON.stringify(bad));
  }
});

test('attach-disk argv names every value with its option', () => {
  const s = resolveAttachSpec({ domain: WIN, source: '/dev/vg0/data', sourceKind: 'block', targetDev: 'vdc', cache: 'writeback', persistent: true });
  assert.equal(attachDiskArgv(s), ['virsh', 'attach-disk', '--domain', WIN, '--source', '/dev/vg0/data', '--target', 'vdc', '--targetbus', 'virtio', '--driver', 'qemu', '--subdriver', 'raw', '--cache', 'writeback', '--sourcetype', 'block', '--persistent']);
});

test('a shut-off domain gets --config; a 4096-byte-sector disk goes through attach-device with <blockio> in a file', () => {
  const s = resolveAttachSpec({ domain: WIN, source: '/img/a.img', sourceKind: 'file', persistent: false });
  assert.equal(attachDiskArgv(s, attachModeFor(s, false)).slice(-1), ['--config']);
  assert.equal(attachDiskArgv(s, attachModeFor(s, true)).slice(-1), ['file']);
  assert.equal(attachDiskArgv({ ...s, persistent: true }, attachModeFor({ ...s, persistent: true }, true)).slice(-1), ['--persistent']);
  const fourK = resolveAttachSpec({ domain: WIN, source: '/img/4k.img', sourceKind: 'file', logicalSectorSize: 4096 });
  assert.equal(attachDiskArgv(fourK, 'live', '/tmp/x/disk.xml'), ['virsh', 'attach-device', '--domain', WIN, '--file', '/tmp/x/disk.xml']);
  assert.match(diskXml(fourK), "\n  <blockio logical_block_size='4096' physical_block_size='4096'/>\n</disk>");
  assert.not.match(diskXml(s), 'blockio');
});

test('virsh failures with a known cause say what to do', () => {
  const s = resolveAttachSpec({ domain: WIN, source: '/img/a.img', sourceKind: 'file', bus: 'sata' });
  const advise = virshAdvice(s, WIN);
  const r = (stderr: string) => advise({ status: 1, stdout: '', stderr, spawnError: null });
  assert.match(r("error: Failed to attach disk\nerror: internal error: unable to execute QEMU command 'device_add': Bus 'pci.0' does not support hotplugging") ?? '', 'hot-plug needs ACPI');
  assert.match(r("error: Failed to attach disk\nerror: Operation not supported: disk bus 'sata' cannot be hotplugged.") ?? '', 'shut the domain down and attach again');
  assert.match(r('error: Failed to attach disk\nerror: internal error: Could not find sata controller with index 0 required for device') ?? '', 'shut the domain down and attach again');
  assert.match(r("error: failed to get domain 'x'") ?? '', 'virsh list --all');
  assert.match(r('error: failed to connect to the hypervisor') ?? '', 'start it');
  assert.is(r('error: something new'), null);
});

test('<disk> XML: block devices as type=block/source dev, images as type=file/source file; odd paths escaped', () => {
  requireXmlParser();
  const block = diskXml(resolveAttachSpec({ domain: 'd', source: `/dev/mapper/vg0-a'b&c`, sourceKind: 'block' }));
  assert.equal(parseXml(block), { tag: 'disk', type: 'block', device: 'disk', driver: { name: 'qemu', type: 'raw', cache: 'none' }, source: { dev: `/dev/mapper/vg0-a'b&c` }, target: { dev: 'vdb', bus: 'virtio' } });
  const file = diskXml(resolveAttachSpec({ domain: 'd', source: '/srv/my <disk>.img', sourceKind: 'file', bus: 'sata' }));
  assert.equal(parseXml(file), { tag: 'disk', type: 'file', device: 'disk', driver: { name: 'qemu', type: 'raw', cache: 'none' }, source: { file: '/srv/my <disk>.img' }, target: { dev: 'sdb', bus: 'sata' } });
});

function requireXmlParser(): void {
  mustRun('python3', ['-c', 'import xml.etree.ElementTree']);
}

/** Python's ElementTree (a parser we did not write) reads the element back. */
function parseXml(xml: string): unknown {
  const script = `import json,sys,xml.etree.ElementTree as E
d=E.fromstring(sys.stdin.read())
o={'tag':d.tag,**d.attrib}
for c in d: o[c.tag]=dict(c.attrib)
print(json.dumps(o))`;
  return JSON.parse(mustRun('python3', ['-c', script], { input: xml }));
}

test('domblklist --details: sources with spaces; "-" (empty CD-ROM) skipped', () => {
  const text = ' Type   Device   Target   Source\n------------------------------------------------\n file   disk     vda      /var/lib/my images/w.qcow2\n file   cdrom    sda      -\n block  disk     vdb      /dev/vg0/data\n\n';
  assert.equal(parseDomblklist('d', text), [
    { domain: 'd', target: 'vda', source: '/var/lib/my images/w.qcow2' },
    { domain: 'd', target: 'vdb', source: '/dev/vg0/data' },
  ]);
});

test('running domains\' disks, through virsh list --name and domblklist --domain', async () => {
  const host = createFakeHost(world());
  try {
    const r = await listRunningDomainDisks(createExecRunner({ env: host.env }));
    assert.equal(r, { checked: true, reason: null, disks: [{ domain: WIN, target: 'vda', source: '/var/lib/libvirt/images/win 11.qcow2' }] });
    assert.equal(host.calls(), [['virsh', 'list', '--name'], ['virsh', 'domblklist', '--domain', WIN, '--details'], ['virsh', 'domblklist', '--domain', '-dash', '--details']]);
  } finally {
    host.remove();
  }
});

test('no virsh, or libvirt unreachable: nothing checked, and it says why; no daemon socket: no domain runs', async () => {
  const missing = await listRunningDomainDisks(createExecRunner({ env: { PATH: '/nonexistent' } }));
  assert.equal(missing, { checked: false, reason: 'virsh is not installed', disks: [] });
  const stopped = createFakeHost({ ...world(), virshUnreachable: true });
  try {
    // libvirt installed but its daemon not started: it runs no domain, so there is nothing to warn about.
    assert.equal(await listRunningDomainDisks(createExecRunner({ env: stopped.env })), { checked: true, reason: null, disks: [] });
  } finally {
    stopped.remove();
  }
  const denied = createFakeHost({ ...world(), fail: { virsh: { status: 1, stderr: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied\n" } } });
  try {
    const r = await listRunningDomainDisks(createExecRunner({ env: denied.env }));
    assert.is(r.checked, false);
    assert.match(String(r.reason), 'Permission denied');
  } finally {
    denied.remove();
  }
});

test('attach-disk runs with the exact argv; virsh errors become HOST_COMMAND_FAILED with its stderr', async () => {
  const host = createFakeHost(world());
  try {
    const run = createExecRunner({ env: host.env });
    const spec = resolveAttachSpec({ domain: WIN, source: '/dev/vg0/data', sourceKind: 'block', persistent: true });
    await attachDisk(run, spec);
    assert.equal(host.calls().at(-1), attachDiskArgv(spec));
    assert.equal(host.world().domains![WIN].disks.at(-1), { type: 'block', device: 'disk', target: 'vdb', source: '/dev/vg0/data' });
    const again = (await attachDisk(run, spec).catch((e: unknown) => e)) as GuestdiskError;
    assert.is(again.code, 'HOST_COMMAND_FAILED');
    assert.is(again.details.status, 1);
    assert.match(String(again.details.stderr), 'target vdb already exists');
    const gone = (await attachDisk(run, { ...spec, domain: 'ghost "vm"' }).catch((e: unknown) => e)) as GuestdiskError;
    assert.match(gone.message, `error: failed to get domain 'ghost "vm"'`);
  } finally {
    host.remove();
  }
});

test.run();
