import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../../src/errors.js';
import { acquireFileLock, lockPathFor } from '../../src/target/file-lock.js';
import { makeTempDir } from '../helpers/tools.js';
import { REPO_ROOT } from '../helpers/paths.js';

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

/** A pid that is certainly dead: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid ?? 999_999_999;
}

// Each racer waits for the same instant, then tries to lock; a winner holds the lock longer than the whole race
// lasts, so a second "got" can only come from two runs taking over the same stale lock together.
const RACER = `
  import { acquireFileLock } from ${JSON.stringify(join(REPO_ROOT, 'src/target/file-lock.ts'))};
  const [img, startAt] = [process.argv[1], Number(process.argv[2])]; // with -e, argv[1] is the first argument
  while (Date.now() < startAt) {}
  try {
    const lock = await acquireFileLock(img);
    console.log('got ' + process.pid);
    await new Promise((r) => setTimeout(r, 4000));
    await lock.release();
  } catch (e) {
    console.log(e.code === 'TARGET_BUSY' ? 'busy' : 'error ' + e);
  }
`;

function race(img: string, racers: number): Promise<string[]> {
  const startAt = Date.now() + 2500; // after every racer has started up
  return Promise.all(Array.from({ length: racers }, () => new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RACER, img, String(startAt)], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { out += String(d); });
    child.on('exit', () => resolve(out.trim()));
  })));
}

test('many runs meeting one stale lock at the same instant: exactly one takes it over, the others are TARGET_BUSY', async () => {
  const dir = makeTempDir();
  try {
    const img = join(dir.path, 'x.img');
    for (let round = 0; round < 3; round++) {
      const stale = await deadPid();
      writeFileSync(lockPathFor(img), `${stale}\n`);
      const results = await race(img, 6);
      assert.is(results.filter((r) => r.startsWith('got')).length, 1, `round ${round}: ${results.join(' | ')}`);
      assert.is(results.filter((r) => r === 'busy').length, 5, `round ${round}: ${results.join(' | ')}`);
      const left = readdirSync(dir.path).map((f) => `${f}=${readFileSync(join(dir.path, f), 'utf8').trim()}`);
      assert.equal(left, [], `round ${round}: no lock, takeover or draft file is left behind (stale ${stale}: ${results.join(' | ')})`);
    }
  } finally {
    dir.remove();
  }
});

test('a takeover lock left by a run killed inside the takeover window does not block the next run', async () => {
  const dir = makeTempDir();
  try {
    const img = join(dir.path, 'x.img');
    writeFileSync(lockPathFor(img), `${await deadPid()}\n`);
    writeFileSync(`${lockPathFor(img)}.takeover`, `${await deadPid()}\n`);
    const lock = await acquireFileLock(img);
    assert.equal(readdirSync(dir.path).sort(), ['x.img.guestdisk-lock']);
    await lock.release();
    assert.equal(readdirSync(dir.path), []);
  } finally {
    dir.remove();
  }
});

test.run();
