// The argv runner: arguments arrive verbatim (no shell), failures carry argv, status and stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { createExecRunner, renderArgv, runChecked, type HostRunner } from '../../src/host/run.js';
import { lvmAdvice } from '../../src/host/lvm.js';
import { createFakeHost } from '../helpers/fake-bin/fake-host.js';

const ODD = ['win 11', "o'brien", 'say "hi"', '$(touch /tmp/pwned)', '-dash', ''];

test('each argument reaches the program as it was given, spaces, quotes and $() included', async () => {
  const host = createFakeHost({ vgs: {}, domains: {} });
  try {
    const run = createExecRunner({ env: host.env });
    for (const odd of ODD) await run(['virsh', 'domblklist', '--domain', odd, '--details']);
    assert.equal(host.calls(), ODD.map((odd) => ['virsh', 'domblklist', '--domain', odd, '--details']));
  } finally {
    host.remove();
  }
});

test('a non-zero exit is HOST_COMMAND_FAILED with argv, status and the stderr tail', async () => {
  const host = createFakeHost({ vgs: {} });
  try {
    const run = createExecRunner({ env: host.env });
    const err = await runChecked(run, ['lvs', '--reportformat', 'json', 'no such vg']).catch((e: unknown) => e);
    assert.instance(err, GuestdiskError);
    const g = err as GuestdiskError;
    assert.is(g.code, 'HOST_COMMAND_FAILED');
    assert.equal(g.details.argv, ['lvs', '--reportformat', 'json', 'no such vg']);
    assert.is(g.details.status, 5);
    assert.match(String(g.details.stderr), 'Volume group "no such vg" not found');
    assert.match(g.message, "lvs --reportformat json 'no such vg' exited with status 5");
  } finally {
    host.remove();
  }
});

test('a missing program is HOST_COMMAND_FAILED naming it, not a crash', async () => {
  const run = createExecRunner({ env: { PATH: '/nonexistent' } });
  const err = (await runChecked(run, ['virsh', 'list']).catch((e: unknown) => e)) as GuestdiskError;
  assert.is(err.code, 'HOST_COMMAND_FAILED');
  assert.is(err.details.spawnError, 'ENOENT');
  assert.match(err.message, 'virsh is not installed');
});

test('lvcreate without room: the message names argv, status, stderr and what to do; details carry the advice', async () => {
  const run: HostRunner = async () => ({ status: 5, stdout: '', stderr: '  Volume group "vg0" has insufficient free space (10 extents): 25600 required.\n', spawnError: null });
  const err = (await runChecked(run, ['lvcreate', '--yes', '-L', '1b', '-n', 'x', 'vg0'], 'creating logical volume vg0/x', lvmAdvice('vg0')).catch((e: unknown) => e)) as GuestdiskError;
  assert.is(err.code, 'HOST_COMMAND_FAILED');
  assert.match(err.message, 'creating logical volume vg0/x: lvcreate --yes -L 1b -n x vg0 exited with status 5: Volume group "vg0" has insufficient free space');
  assert.match(err.message, '\nWhat to do: volume group vg0 has too little free space');
  assert.match(String(err.details.advice), 'vgs vg0');
});

test('a program killed by a signal says so (not "status null"); a missing one says which package to install', async () => {
  const killed: HostRunner = async () => ({ status: null, stdout: '', stderr: '', spawnError: null, signal: 'SIGTERM' });
  const err = (await runChecked(killed, ['virsh', 'list']).catch((e: unknown) => e)) as GuestdiskError;
  assert.match(err.message, 'virsh list was killed by SIGTERM');
  assert.is(err.details.signal, 'SIGTERM');
  const missing = (await runChecked(createExecRunner({ env: { PATH: '/nonexistent' } }), ['lvs']).catch((e: unknown) => e)) as GuestdiskError;
  assert.match(missing.message, 'What to do: install lvm2');
});

test('only lvcreate, lvs and virsh may run', async () => {
  const run = createExecRunner();
  const err = await run(['rm' as 'lvs', '-rf', '/']).catch((e: unknown) => e);
  assert.instance(err, GuestdiskError);
  assert.is((err as GuestdiskError).code, 'INVALID_SPEC');
});

test('renderArgv quotes what a shell would split (messages only)', () => {
  assert.is(renderArgv(['virsh', 'attach-disk', '--domain', "win 11's"]), `virsh attach-disk --domain 'win 11'\\''s'`);
});

test.run();
