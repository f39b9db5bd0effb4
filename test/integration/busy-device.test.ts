// A mounted device is reported as busy (TARGET_BUSY), not as "holds data, use --force": --force would not help.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, sha256File } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun } from '../helpers/tools.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';

test('create on a mounted device, with and without --force: TARGET_BUSY, bytes unchanged', async () => {
  const dir = makeTempDir();
  const img = join(dir.path, 'busy.img');
  writeFileSync(img, new Uint8Array(0));
  mustRun('truncate', ['-s', '64M', img]);
  // No lazy init: otherwise the kernel zeroes inode tables and the journal in the background after mount, and the
  // device's bytes change under us for reasons that have nothing to do with guestdisk.
  mustRun('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', img]);
  const loop = attachLoop(img, { readOnly: false });
  const mnt = join(dir.path, 'mnt');
  mkdirSync(mnt);
  try {
    // Read-only, so the kernel writes nothing either (no superblock or journal updates): any change would be ours.
    // A read-only mount is still a mount, and must be refused just the same.
    mustRun('mount', ['-o', 'ro,noload', loop.device, mnt]);
    try {
      const before = await sha256File(loop.device);
      for (const extra of [[], ['--force']]) {
        const r = await runCli(['create', loop.device, '--fs', 'none', '--seed', 's', ...extra]);
        assert.is(r.status, EXIT_CODE.TARGET_BUSY, r.stderr);
        assert.match(r.stderr, /mounted/);
      }
      assert.is(await sha256File(loop.device), before);
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
    dir.remove();
  }
});

test.run();
