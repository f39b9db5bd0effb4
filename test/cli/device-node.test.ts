// Waiting for a logical volume's device node: it may appear after lvcreate returns (udev without LVM's udev sync).
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { waitForDeviceNode } from '../../src/cli/device-node.js';
import { attachLoop, makeTempDir, mustRun } from '../helpers/tools.js';

test('a node that appears late (as udev makes it) is waited for; one that never appears fails with what to do', async () => {
  const dir = makeTempDir('guestdisk-device-node-');
  const image = join(dir.path, 'lv.img');
  writeFileSync(image, '');
  mustRun('truncate', ['-s', '1M', image]);
  const loop = attachLoop(image);
  try {
    const link = join(dir.path, 'vg', 'lv');
    mustRun('mkdir', ['-p', join(dir.path, 'vg')]);
    const started = Date.now();
    setTimeout(() => symlinkSync(loop.device, link), 400);
    await waitForDeviceNode(link, 'logical volume vg/lv', 5000);
    assert.ok(Date.now() - started >= 400);
    const err = (await waitForDeviceNode(join(dir.path, 'vg', 'never'), 'logical volume vg/never', 300).catch((e: unknown) => e)) as GuestdiskError;
    assert.instance(err, GuestdiskError);
    assert.is(err.code, 'IO_FAILED');
    assert.match(err.message, 'logical volume vg/never exists, but its device node');
    assert.match(err.message, 'DM_DISABLE_UDEV=1');
    assert.match(err.message, '--force');
  } finally {
    loop.detach();
    dir.remove();
  }
});

test.run();
