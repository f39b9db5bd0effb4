// Where the output goes can fail after the work is done: stdout on /dev/full or a pipe whose reader is gone. That
// is IO_FAILED (exit 9), one line on stderr, silent for a closed pipe — never an internal error, and the disk is
// written all the same. Usage errors with --json are the INVALID_SPEC error object on stdout, like any other error.
// And main() keeps nothing from one call to the next (tests run many in one process).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { main, type ProgramIo } from '../../src/cli/main.js';
import { GuestdiskError } from '../../src/errors.js';
import { runBin, runCli } from '../helpers/cli.js';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tools.js';

const dir = makeTempDir('guestdisk-output-');
test.after(() => dir.remove());

const SAME = ['--seed', 'out', '--timestamp', '1700000000'];
let images = 0;
const image = (): string => join(dir.path, `d${images++}.img`);

/** The disk a run left, judged by verify (in-process, output captured). */
async function verified(path: string): Promise<boolean> {
  return (await runCli(['verify', path, '--expect-fs', 'exfat', '--expect-label', 'OUT'])).status === 0;
}

/** The bin with stdout on /dev/full. */
function toDevFull(args: string[]): { status: number; stderr: string } {
  const full = openSync('/dev/full', 'w');
  try {
    const r = runBin(args, { stdio: ['ignore', full, 'pipe'] });
    return { status: r.status, stderr: r.stderr };
  } finally {
    closeSync(full);
  }
}

/** The bin with stdout on a pipe whose read end this process closes at once, before the bin writes anything. */
function toClosedPipe(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

for (const json of [false, true]) {
  const extra = json ? ['--json'] : [];
  test(`create${json ? ' --json' : ''} with stdout on /dev/full: the disk is written, exit 9 (IO_FAILED), one line on stderr`, async () => {
    const img = image();
    const r = toDevFull(['create', img, '--size', '64M', '--fs', 'exfat', '--label', 'OUT', ...SAME, ...extra]);
    assert.is(r.status, EXIT_CODE.IO_FAILED, r.stderr);
    assert.match(r.stderr, /^guestdisk: cannot write to standard output \(ENOSPC: no space left on device, write\); the command itself ended with exit status 0\n$/);
    assert.ok(await verified(img), 'the disk is complete');
  });
}

test('inspect and verify with stdout on /dev/full: exit 9, not an internal error', async () => {
  const img = image();
  assert.is((await runCli(['create', img, '--size', '64M', '--fs', 'exfat', '--label', 'OUT', ...SAME])).status, 0);
  for (const args of [['inspect', img], ['inspect', img, '--json'], ['verify', img], ['verify', img, '--json']]) {
    const r = toDevFull(args);
    assert.is(r.status, EXIT_CODE.IO_FAILED, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /cannot write to standard output/);
    assert.not.match(r.stderr, /internal error|\n\s+at /);
  }
});

test('create, inspect, verify with stdout on a closed pipe: exit 9 and nothing on stderr; the disk is written', async () => {
  const img = image();
  const c = await toClosedPipe(['create', img, '--size', '64M', '--fs', 'exfat', '--label', 'OUT', ...SAME]);
  assert.is(c.status, EXIT_CODE.IO_FAILED, c.stderr);
  assert.is(c.stderr, '');
  assert.ok(await verified(img), 'the disk is complete');
  for (const args of [['inspect', img, '--json'], ['verify', img]]) {
    const r = await toClosedPipe(args);
    assert.is(r.status, EXIT_CODE.IO_FAILED, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr, '');
  }
});

/** Commander's usage errors, for every command. */
const USAGE_ERRORS: readonly [string[], RegExp, string][] = [
  [['create', 'x.img', '--bogus'], /unknown option '--bogus'/, 'unknownOption'],
  [['create', 'x.img', '--fs', 'zfs'], /argument 'zfs' is invalid\. Allowed choices are ntfs, exfat, fat32, none/, 'invalidArgument'],
  [['create', 'x.img', '--size'], /option '--size <size>' argument missing/, 'optionMissingArgument'],
  [['inspect'], /missing required argument 'target'/, 'missingArgument'],
  [['inspect', 'x.img', '--sector-size', '1024'], /Allowed choices are 512, 4096/, 'invalidArgument'],
  [['verify', 'x.img', '--expect-fs', 'ext4'], /Allowed choices are ntfs, exfat, fat32/, 'invalidArgument'],
  [['verify', 'a.img', 'b.img'], /too many arguments/, 'excessArguments'],
  [['attach', 'x.img'], /missing required argument 'domain'/, 'missingArgument'],
];

test('every usage error with --json: the INVALID_SPEC error object alone on stdout, exit 2', async () => {
  for (const [args, message, usage] of USAGE_ERRORS) {
    const r = await runCli([args[0], '--json', ...args.slice(1)]); // before the rest: `--size --json` would be a size
    const what = `${args.join(' ')}: ${r.stdout} ${r.stderr}`;
    assert.is(r.status, EXIT_CODE.INVALID_SPEC, what);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string; details: { usage: string } } };
    assert.equal(Object.keys(parsed), ['error'], what);
    assert.is(parsed.error.code, 'INVALID_SPEC', what);
    assert.match(parsed.error.message, message, what);
    assert.is(parsed.error.details.usage, usage, what);
    assert.is(r.stderr, '', what);
  }
});

test('usage errors without --json: commander\'s message on stderr only, exit 2', async () => {
  for (const [args, message] of USAGE_ERRORS) {
    const r = await runCli(args);
    assert.is(r.status, EXIT_CODE.INVALID_SPEC, args.join(' '));
    assert.is(r.stdout, '');
    assert.match(r.stderr, message);
  }
});

test('the bin itself: a usage error with --json is the error object on stdout', () => {
  const r = runBin(['create', 'x.img', '--table', 'apm', '--json']);
  assert.is(r.status, 2, r.stderr);
  assert.is(JSON.parse(r.stdout).error.code, 'INVALID_SPEC');
});

/** A capture whose flush fails as a closed pipe or a full disk would. */
function failingIo(errno: 'EPIPE' | 'ENOSPC'): ProgramIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => { io.out += t; },
    stderr: (t: string) => { io.err += t; },
    env: {},
    now: () => 0,
    interrupted: () => null,
    flush: () => Promise.reject(new GuestdiskError('IO_FAILED', `cannot write to standard output (${errno})`, { errno })),
  };
  return io;
}

test('main(): a failed flush is IO_FAILED whatever the command returned; EPIPE says nothing', async () => {
  const pipe = failingIo('EPIPE');
  assert.is(await main(['--version'], pipe), EXIT_CODE.IO_FAILED);
  assert.is(pipe.err, '');
  const full = failingIo('ENOSPC');
  assert.is(await main(['verify', join(dir.path, 'missing.img')], full), EXIT_CODE.IO_FAILED);
  assert.match(full.err, /cannot write to standard output \(ENOSPC\); the command itself ended with exit status 2/);
});

test('main() keeps nothing between calls: --json, interruption and exit codes belong to one call', async () => {
  const img = image();
  assert.is((await runCli(['create', img, '--bogus', '--json'])).status, 2);
  const plain = await runCli(['verify', join(dir.path, 'missing.img')]);
  assert.is(plain.stdout, '', 'the previous call\'s --json is gone');
  assert.match(plain.stderr, /^guestdisk: /);

  let stderr = '';
  const interrupted: ProgramIo = { stdout: () => {}, stderr: (t) => { stderr += t; }, env: process.env, now: () => Date.now(), interrupted: () => 'SIGINT' };
  assert.is(await main(['create', img, '--size', '64M', ...SAME], interrupted), EXIT_CODE.INTERRUPTED);
  assert.match(stderr, /interrupted by SIGINT/);
  const after = await runCli(['create', img, '--size', '64M', '--fs', 'exfat', '--label', 'OUT', '--force', ...SAME]);
  assert.is(after.status, 0, after.stderr);
  assert.ok(await verified(img));
});

test.run();
