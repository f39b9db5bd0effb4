// vgs through the stand-in (the JSON report LVM 2.03 prints): argv, parsing, and refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { parseVgsJson, readVolumeGroup, vgsArgv } from '../../src/host/volume-group.js';
import { lvSizeUnit } from '../../src/cli/copy-from.js';
import { createExecRunner } from '../../src/host/run.js';
import { createFakeHost } from '../helpers/fake-bin/fake-host.js';

const MiB = 1024 ** 2;

test('vgs argv: JSON report in bytes without suffix, three fields, one VG', () => {
  assert.equal(vgsArgv('vg0'), ['vgs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_extent_size,vg_free', 'vg0']);
});

test('parseVgsJson reads strings with or without the B suffix; text that is not JSON is HOST_COMMAND_FAILED', () => {
  const text = '  {\n      "report": [\n          {\n              "vg": [\n                  {"vg_name":"vg0", "vg_extent_size":"4194304B", "vg_free":"1073741824B"}\n              ]\n          }\n      ]\n  }\n';
  assert.equal(parseVgsJson(text), [{ vg: 'vg0', extentBytes: 4 * MiB, freeBytes: 1024 * MiB }]);
  assert.throws(() => parseVgsJson('  VG   #PV #LV'), (e: GuestdiskError) => e.code === 'HOST_COMMAND_FAILED');
});

test('readVolumeGroup through the stand-in: the extent size; a missing VG fails with LVM\'s words and advice', async () => {
  const host = createFakeHost({ vgs: { vg0: { freeBytes: 64 * MiB, extentBytes: 32 * MiB, lvs: {} } } });
  try {
    const runner = createExecRunner({ env: host.env });
    assert.equal(await readVolumeGroup(runner, 'vg0'), { vg: 'vg0', extentBytes: 32 * MiB, freeBytes: 64 * MiB });
    const e = await readVolumeGroup(runner, 'nope').then(() => null, (x: unknown) => x);
    assert.instance(e, GuestdiskError);
    assert.is((e as GuestdiskError).code, 'HOST_COMMAND_FAILED');
    assert.match((e as GuestdiskError).message, 'there is no volume group nope');
  } finally {
    host.remove();
  }
});

test('lvSizeUnit: whole MiB and whole extents (extents of any power of two, and odd ones)', () => {
  assert.is(lvSizeUnit(4 * MiB), 4 * MiB);
  assert.is(lvSizeUnit(64 * 1024), MiB);
  assert.is(lvSizeUnit(3 * MiB), 3 * MiB);
  assert.is(lvSizeUnit(1536 * 1024), 3 * MiB);
});

test.run();
