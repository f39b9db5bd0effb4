// `guestdisk attach` with a stand-in virsh (the real one runs in test/vm/libvirt.test.ts): which virsh commands
// run for a running and a shut-off domain, and what is refused before virsh attaches anything.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mustCli, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tools.js';
import { createFakeHost, type FakeWorld } from '../helpers/fake-bin/fake-host.js';

const dir = makeTempDir('guestdisk-attach-cli-');
const img = (name: string): string => join(dir.path, name);
const SAME = ['--timestamp', '1700000000', '--fs', 'exfat'];
await mustCli(['create', img('a.img'), '--size', '16M', '--seed', 'a', ...SAME]);
await mustCli(['create', img('a-twin.img'), '--size', '16M', '--seed', 'a', ...SAME]);
await mustCli(['create', img('m.img'), '--size', '16M', '--seed', 'm', '--table', 'mbr', ...SAME]);
await mustCli(['create', img('m-twin.img'), '--size', '16M', '--seed', 'm', '--table', 'mbr', ...SAME]);
await mustCli(['create', img('4k.img'), '--size', '16M', '--seed', '4k', '--sector-size', '4096', ...SAME]);

const world = (): FakeWorld => ({
  vgs: {},
  domains: {
    up: { running: true, disks: [{ type: 'file', device: 'disk', target: 'vdb', source: img('a.img') }, { type: 'file', device: 'disk', target: 'vdd', source: img('m.img') }] },
    down: { running: false, disks: [] },
  },
});

test('a shut-off domain: domstate, then attach-disk --config; the note says it is seen at the next start', async () => {
  const host = createFakeHost(world());
  try {
    const r = await runCli(['attach', img('4k.img'), 'down', '--print-xml'], host.env);
    assert.match(r.stdout, "<blockio logical_block_size='4096' physical_block_size='4096'/>");
    const ok = await runCli(['attach', img('a-twin.img'), 'down'], host.env);
    assert.is(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, 'to the configuration of the shut-off domain: the guest sees it at its next start');
    const calls = host.calls().filter((c) => c[0] === 'virsh');
    assert.equal(calls[0], ['virsh', 'domstate', '--domain', 'down']);
    assert.equal(calls.at(-1)?.slice(-1), ['--config']);
    assert.ok(calls.some((c) => c.includes('domblklist') && c.includes('--inactive')));
  } finally {
    host.remove();
  }
});

test('refused before attaching: a target the domain has (exit 2, a free name), a disk with the same GPT disk GUID or MBR signature (exit 2)', async () => {
  const host = createFakeHost(world());
  try {
    const taken = await runCli(['attach', img('4k.img'), 'up', '--target-dev', 'vdb'], host.env);
    assert.is(taken.status, 2, taken.stderr);
    assert.match(taken.stderr, `domain "up" already has a disk vdb (${img('a.img')}): choose another --target-dev, e.g. vdc`);
    const twin = await runCli(['attach', img('a-twin.img'), 'up', '--target-dev', 'vdc'], host.env);
    assert.is(twin.status, 2, twin.stderr);
    assert.match(twin.stderr, `${img('a-twin.img')} has the same GPT disk GUID`);
    const mbrTwin = await runCli(['attach', img('m-twin.img'), 'up', '--target-dev', 'vde'], host.env);
    assert.is(mbrTwin.status, 2, mbrTwin.stderr);
    assert.match(mbrTwin.stderr, /has the same MBR disk signature 0x[0-9a-f]{8} as .*m\.img, the domain's disk vdd/);
    assert.not.ok(host.calls().some((c) => c[1] === 'attach-disk' || c[1] === 'attach-device'));
  } finally {
    host.remove();
  }
});

test('a 4096-byte-sector disk into a running domain: attach-device with the printed XML in a file', async () => {
  const host = createFakeHost(world());
  try {
    const r = await runCli(['attach', img('4k.img'), 'up', '--target-dev', 'vdc', '--json'], host.env);
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.is(out.logicalSectorSize, 4096);
    assert.equal(out.argv.slice(0, 5), ['virsh', 'attach-device', '--domain', 'up', '--file']);
    assert.equal(host.world().domains?.up.disks.at(-1), { type: 'file', device: 'disk', target: 'vdc', source: img('4k.img') });
  } finally {
    host.remove();
  }
});

test.after(() => dir.remove());
test.run();
