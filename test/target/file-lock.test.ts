import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../../src/errors.js';
import { acquireFileLock, lockPathFor } from '../../src/target/file-lock.js';
import { makeTempDir } from '../helpers/tools.js';

test('a second lock on the same image is TARGET_BUSY; release frees it', async () => {
  const dir = makeTempDir();
  try {
    const img = join(dir.path, 'x.img');
    const first = await acquireFileLock(img);
    assert.ok(existsSync(lockPathFor(img)));
    // our own pid holds it: a second process would be refused; simulate another live owner with a child process
    await first.release();
    assert.not.ok(existsSync(lockPathFor(img)));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    try {
      writeFileSync(lockPathFor(img), `${child.pid}\n`);
      let code = '';
      try { await acquireFileLock(img); } catch (e) { code = e instanceof GuestdiskError ? e.code : String(e); }
      assert.is(code, 'TARGET_BUSY');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
    }
    // the owner is gone (like a SIGKILLed run): the stale lock is taken over
    const again = await acquireFileLock(img);
    await again.release();
  } finally {
    dir.remove();
  }
});

test.run();
