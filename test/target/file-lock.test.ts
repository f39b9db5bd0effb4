// The image lock (src/target/file-lock.ts): keyed by the file (device + inode), in one lock directory; stale locks
// taken over exactly once. Each test uses its own lock directory so that runs of the suite do not meet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GuestdiskError } from '../../src/errors.js';
import { acquireFileLock, lockDirectory, lockPathFor } from '../../src/target/file-lock.js';
import { makeTempDir, mustRun, runTool } from '../helpers/tools.js';
import { REPO_ROOT } from '../helpers/paths.js';

const lockOf = (img: string, lockDir: string): string => {
  const st = statSync(img);
  return lockPathFor({ dev: st.dev, ino: st.ino }, lockDir);
};

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    return e instanceof GuestdiskError ? e.code : String(e);
  }
}

function setUp(): { dir: string; locks: string; img: string; remove(): void } {
  const tmp = makeTempDir();
  const locks = join(tmp.path, 'locks');
  mkdirSync(locks);
  const img = join(tmp.path, 'x.img');
  writeFileSync(img, '');
  return { dir: tmp.path, locks, img, remove: tmp.remove };
}

/** A process that takes the lock on `img` and holds it until killed; resolves once it holds it. */
async function holder(img: string, lockDir: string): Promise<ChildProcess> {
  const code = `
    import { acquireFileLock } from ${JSON.stringify(join(REPO_ROOT, 'src/target/file-lock.ts'))};
    await acquireFileLock(process.argv[1], { lockDir: process.argv[2] });
    console.log('held');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, img, lockDir], { cwd: REPO_ROOT });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); if (out.includes('held')) resolve(); });
    child.stderr!.on('data', (d) => { out += String(d); });
    child.on('exit', () => reject(new Error(`holder exited: ${out}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null) await new Promise((r) => child.on('exit', r));
}

test('the default lock directory is /run/lock (world-writable, sticky) on this host', async () => {
  assert.is(await lockDirectory(), '/run/lock');
});

test('a second lock on the same image is TARGET_BUSY; release frees it; a dead owner\'s lock is taken over', async () => {
  const t = setUp();
  try {
    const first = await acquireFileLock(t.img, { lockDir: t.locks });
    assert.match(readFileSync(lockOf(t.img, t.locks), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));
    assert.is(await codeOf(() => acquireFileLock(t.img, { lockDir: t.locks })), 'TARGET_BUSY', 'the same process, twice');
    await first.release();
    assert.equal(readdirSync(t.locks), []);
    const child = await holder(t.img, t.locks);
    try {
      assert.is(await codeOf(() => acquireFileLock(t.img, { lockDir: t.locks })), 'TARGET_BUSY');
    } finally {
      await kill(child);
    }
    // the owner is gone (like a SIGKILLed run): the stale lock is taken over
    const again = await acquireFileLock(t.img, { lockDir: t.locks });
    await again.release();
  } finally {
    t.remove();
  }
});

test('the lock follows the file: a symlink, a hard link, ./x against x and a bind mount meet the same lock', async () => {
  const t = setUp();
  const bind = join(t.dir, 'bind');
  mkdirSync(bind);
  const sub = join(t.dir, 'sub');
  mkdirSync(sub);
  const img = join(sub, 'x.img');
  writeFileSync(img, '');
  symlinkSync(img, join(t.dir, 'sym.img'));
  linkSync(img, join(t.dir, 'hard.img'));
  mustRun('mount', ['--bind', sub, bind]);
  const child = await holder(img, t.locks);
  try {
    const names = [join(t.dir, 'sym.img'), join(t.dir, 'hard.img'), `./${relative(process.cwd(), img)}`, join(bind, 'x.img'), join(sub, '..', 'sub', 'x.img')];
    for (const name of names) assert.is(await codeOf(() => acquireFileLock(name, { lockDir: t.locks })), 'TARGET_BUSY', name);
  } finally {
    await kill(child);
    runTool('umount', [bind]);
    t.remove();
  }
});

test('a stale lock whose pid now belongs to another process (pid reuse) is taken over: the start time differs', async () => {
  const t = setUp();
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
  try {
    writeFileSync(lockOf(t.img, t.locks), `${other.pid} 1\n`); // alive, but started at another time than the lock says
    const lock = await acquireFileLock(t.img, { lockDir: t.locks });
    await lock.release();
    writeFileSync(lockOf(t.img, t.locks), `${other.pid}\n`); // an owner without a start time: trusted while alive
    assert.is(await codeOf(() => acquireFileLock(t.img, { lockDir: t.locks })), 'TARGET_BUSY');
  } finally {
    await kill(other);
    t.remove();
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
  const [img, lockDir, startAt] = [process.argv[1], process.argv[2], Number(process.argv[3])]; // with -e, argv[1] is the first argument
  while (Date.now() < startAt) {}
  try {
    const lock = await acquireFileLock(img, { lockDir });
    console.log('got ' + process.pid);
    await new Promise((r) => setTimeout(r, 4000));
    await lock.release();
  } catch (e) {
    console.log(e.code === 'TARGET_BUSY' ? 'busy' : 'error ' + e);
  }
`;

function race(img: string, lockDir: string, racers: number): Promise<string[]> {
  const startAt = Date.now() + 2500; // after every racer has started up
  return Promise.all(Array.from({ length: racers }, () => new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RACER, img, lockDir, String(startAt)], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { out += String(d); });
    child.on('exit', () => resolve(out.trim()));
  })));
}

test('many runs meeting one stale lock at the same instant: exactly one takes it over, the others are TARGET_BUSY', async () => {
  const t = setUp();
  try {
    for (let round = 0; round < 3; round++) {
      const stale = await deadPid();
      writeFileSync(lockOf(t.img, t.locks), `${stale} 1\n`);
      const results = await race(t.img, t.locks, 6);
      assert.is(results.filter((r) => r.startsWith('got')).length, 1, `round ${round}: ${results.join(' | ')}`);
      assert.is(results.filter((r) => r === 'busy').length, 5, `round ${round}: ${results.join(' | ')}`);
      const left = readdirSync(t.locks).map((f) => `${f}=${readFileSync(join(t.locks, f), 'utf8').trim()}`);
      assert.equal(left, [], `round ${round}: no lock, takeover or draft file is left behind (stale ${stale}: ${results.join(' | ')})`);
    }
  } finally {
    t.remove();
  }
});

test('a takeover lock left by a run killed inside the takeover window does not block the next run', async () => {
  const t = setUp();
  try {
    const path = lockOf(t.img, t.locks);
    writeFileSync(path, `${await deadPid()}\n`);
    writeFileSync(`${path}.takeover`, `${await deadPid()}\n`);
    const lock = await acquireFileLock(t.img, { lockDir: t.locks });
    assert.equal(readdirSync(t.locks), [path.slice(t.locks.length + 1)]);
    await lock.release();
    assert.equal(readdirSync(t.locks), []);
  } finally {
    t.remove();
  }
});

test('a draft left by a run killed between writing and linking it is removed; a live writer\'s draft is kept', async () => {
  const t = setUp();
  try {
    const path = lockOf(t.img, t.locks);
    const base = path.slice(t.locks.length + 1);
    const dead = await deadPid();
    writeFileSync(`${path}.${dead}.draft`, `${dead} 1\n`);
    const alive = process.ppid; // a process that outlives this test
    writeFileSync(`${path}.${alive}.draft`, `${alive} 1\n`);
    const lock = await acquireFileLock(t.img, { lockDir: t.locks });
    assert.equal(readdirSync(t.locks).sort(), [base, `${base}.${alive}.draft`].sort());
    await lock.release();
    assert.equal(readdirSync(t.locks), [`${base}.${alive}.draft`]);
  } finally {
    t.remove();
  }
});

test.run();
