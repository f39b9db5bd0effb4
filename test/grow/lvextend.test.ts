// lvextend for `grow --lvm`: the argv (no shell; bytes, which LVM rounds up to whole extents), and what a
// failing lvextend becomes (HOST_COMMAND_FAILED with its stderr), on an injected runner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { extendLogicalVolume, lvextendArgv, parseLvName } from '../../src/host/lvm.js';
import type { HostCommandResult, HostRunner } from '../../src/host/run.js';

test('lvextendArgv: -L +Nb to grow by N, -L Nb to grow to N, VG/LV as one argument', () => {
  const name = parseLvName('vg0/win_data');
  assert.equal(lvextendArgv(name, { byBytes: 107374182400 }), ['lvextend', '-L', '+107374182400b', 'vg0/win_data']);
  assert.equal(lvextendArgv(name, { toBytes: 2 ** 40 }), ['lvextend', '-L', '1099511627776b', 'vg0/win_data']);
});

test('extendLogicalVolume runs lvextend, then reads the new size back with lvs; a failure keeps its stderr', async () => {
  const calls: string[][] = [];
  const ok = (stdout: string): HostCommandResult => ({ status: 0, stdout, stderr: '', spawnError: null });
  const runner: HostRunner = async (argv) => {
    calls.push([...argv]);
    if (argv[0] === 'lvextend') return ok('');
    return ok(JSON.stringify({ report: [{ lv: [{ lv_name: 'data', vg_name: 'vg0', lv_path: '/dev/vg0/data', lv_size: '2147483648' }] }] }));
  };
  const lv = await extendLogicalVolume(runner, parseLvName('vg0/data'), { byBytes: 2 ** 30 });
  assert.is(lv.sizeBytes, 2 ** 31);
  assert.equal(calls[0], ['lvextend', '-L', '+1073741824b', 'vg0/data']);
  assert.is(calls[1][0], 'lvs');

  const failing: HostRunner = async () => ({ status: 5, stdout: '', stderr: '  Insufficient free space: 25600 extents needed, but only 10 available', spawnError: null });
  const error = await extendLogicalVolume(failing, parseLvName('vg0/data'), { byBytes: 100 * 2 ** 30 }).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof GuestdiskError);
  assert.is(error.code, 'HOST_COMMAND_FAILED');
  assert.match(error.message, /Insufficient free space/);
});

test.run();
