// LVM through stand-in lvcreate/lvs (device-mapper does not work in CI): exact argv, JSON reading, refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { ensureLogicalVolume, lvcreateArgv, parseLvName, parseLvsJson } from '../../src/host/lvm.js';
import { createExecRunner } from '../../src/host/run.js';
import { createFakeHost, type FakeWorld } from '../helpers/fake-bin/fake-host.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function world(): FakeWorld {
  return { vgs: { vg0: { freeBytes: 10 * GiB, lvs: { old: { sizeBytes: GiB } } }, 'vg.b+2_x': { freeBytes: 64 * MiB, lvs: {} } } };
}

async function codeOf(p: Promise<unknown>): Promise<GuestdiskError> {
  const e = await p.then(() => null, (x: unknown) => x);
  assert.instance(e, GuestdiskError);
  return e as GuestdiskError;
}

test('parseLvName accepts lvm(8) names and refuses the rest before anything runs', async () => {
  assert.equal(parseLvName('vg0/win-data'), { vg: 'vg0', lv: 'win-data' });
  assert.equal(parseLvName('/dev/vg.b+2_x/d.1'), { vg: 'vg.b+2_x', lv: 'd.1' });
  for (const bad of ['vg0', 'vg0/', '/lv', 'a/b/c', 'vg 0/lv', 'vg0/my disk', "vg0/o'brien", 'vg0/-lv', '-vg/lv', 'vg0/..', 'vg0/snapshot1', 'vg0/x_tmeta', `vg0/${'a'.repeat(128)}`, 'vg0/ü']) {
    assert.throws(() => parseLvName(bad), (e: GuestdiskError) => e.code === 'INVALID_SPEC', bad);
  }
});

test('lvcreate argv: -L <bytes>b, or -l 100%FREE', () => {
  assert.equal(lvcreateArgv({ vg: 'vg0', lv: 'data' }, { bytes: 500 * GiB }), ['lvcreate', '--yes', '-L', '536870912000b', '-n', 'data', 'vg0']);
  assert.equal(lvcreateArgv({ vg: 'vg0', lv: 'data' }, { extents: '100%FREE' }), ['lvcreate', '--yes', '-l', '100%FREE', '-n', 'data', 'vg0']);
});

test('parseLvsJson reads lvs --reportformat json (strings, optional B suffix)', () => {
  const text = '  {\n      "report": [\n          {\n              "lv": [\n                  {"lv_name":"data", "vg_name":"vg0", "lv_path":"/dev/vg0/data", "lv_size":"4194304B"}\n              ]\n          }\n      ]\n  }\n';
  assert.equal(parseLvsJson(text), [{ vg: 'vg0', lv: 'data', path: '/dev/vg0/data', sizeBytes: 4194304 }]);
  assert.is(assertThrowsCode(() => parseLvsJson('  LV   VG   Attr'), 'HOST_COMMAND_FAILED'), true);
});

function assertThrowsCode(fn: () => unknown, code: string): boolean {
  try {
    fn();
  } catch (e) {
    return (e as GuestdiskError).code === code;
  }
  return false;
}

test('a new LV: lvs of the VG, lvcreate, lvs of the LV; the path comes from lv_path', async () => {
  const host = createFakeHost({ ...world(), newLvPaths: { 'vg0/win': '/dev/mapper/vg0-win' } });
  try {
    const r = await ensureLogicalVolume(createExecRunner({ env: host.env }), { vg: 'vg0', lv: 'win' }, { bytes: 100 * MiB + 1 }, false);
    assert.equal(r, { created: true, volume: { vg: 'vg0', lv: 'win', path: '/dev/mapper/vg0-win', sizeBytes: 104 * MiB } });
    assert.equal(host.calls(), [
      ['lvs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_path,lv_size', 'vg0'],
      ['lvcreate', '--yes', '-L', `${100 * MiB + 1}b`, '-n', 'win', 'vg0'],
      ['lvs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_path,lv_size', 'vg0/win'],
    ]);
  } finally {
    host.remove();
  }
});

test('100%FREE takes the rest of the VG', async () => {
  const host = createFakeHost(world());
  try {
    const r = await ensureLogicalVolume(createExecRunner({ env: host.env }), { vg: 'vg.b+2_x', lv: 'all' }, { extents: '100%FREE' }, false);
    assert.is(r.volume.sizeBytes, 64 * MiB);
    assert.is(r.volume.path, '/dev/vg.b+2_x/all');
    assert.equal(host.calls()[1], ['lvcreate', '--yes', '-l', '100%FREE', '-n', 'all', 'vg.b+2_x']);
  } finally {
    host.remove();
  }
});

test('an existing LV is refused without --force (TARGET_HAS_DATA); with it, reused as is, no lvcreate', async () => {
  const host = createFakeHost(world());
  try {
    const run = createExecRunner({ env: host.env });
    const e = await codeOf(ensureLogicalVolume(run, { vg: 'vg0', lv: 'old' }, { bytes: 2 * GiB }, false));
    assert.is(e.code, 'TARGET_HAS_DATA');
    assert.match(e.message, '--force');
    const r = await ensureLogicalVolume(run, { vg: 'vg0', lv: 'old' }, { bytes: 2 * GiB }, true);
    assert.equal(r, { created: false, volume: { vg: 'vg0', lv: 'old', path: '/dev/vg0/old', sizeBytes: GiB } });
    assert.ok(host.calls().every((c) => c[0] === 'lvs'));
  } finally {
    host.remove();
  }
});

test('LVM failures are HOST_COMMAND_FAILED carrying the program\'s own stderr', async () => {
  const host = createFakeHost(world());
  try {
    const run = createExecRunner({ env: host.env });
    const noVg = await codeOf(ensureLogicalVolume(run, { vg: 'nope', lv: 'x' }, { bytes: GiB }, false));
    assert.is(noVg.code, 'HOST_COMMAND_FAILED');
    assert.match(String(noVg.details.stderr), 'Volume group "nope" not found');
    const full = await codeOf(ensureLogicalVolume(run, { vg: 'vg0', lv: 'huge' }, { bytes: 100 * GiB }, false));
    assert.is(full.code, 'HOST_COMMAND_FAILED');
    assert.equal(full.details.argv, ['lvcreate', '--yes', '-L', `${100 * GiB}b`, '-n', 'huge', 'vg0']);
    assert.is(full.details.status, 5);
    assert.match(String(full.details.stderr), 'insufficient free space');
    const missingSize = await codeOf(ensureLogicalVolume(run, { vg: 'vg0', lv: 'new' }, null, false));
    assert.is(missingSize.code, 'INVALID_SPEC');
  } finally {
    host.remove();
  }
});

test.run();
