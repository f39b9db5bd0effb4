#!/usr/bin/env node
// Runs every test file in its own process (a crash or hang in one cannot hide the others), several at a time,
// prints each file's result, and ends with the one line CI reads: "N passed, N failed".
//   node scripts/run-tests.mjs [--unit] [--only SUBSTRING] [--jobs N] [--no-build]
// --jobs (or GUESTDISK_TEST_JOBS): files run at once, default 2. Integration files may run beside each other:
// each makes its own temporary directory, loop devices (`losetup -f`) and mount points, and touches no other.
// Before the tests, dist/ is rebuilt (`npm run build`) unless it is newer than every source it is built from:
// the tests that need a real process run the built bin (test/helpers/cli.ts, runBin).
// Files run longest first, by their times in the last run (kept in node_modules/.cache; test/test-times.json when
// there is none, as in a fresh clone), so that two workers
// finish together instead of one waiting on a long file started last.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: {
    unit: { type: 'boolean', default: false },
    only: { type: 'string' },
    jobs: { type: 'string', default: process.env.GUESTDISK_TEST_JOBS ?? '2' },
    'no-build': { type: 'boolean', default: false },
  },
});
const jobs = Number(opt.jobs);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`run-tests: --jobs / GUESTDISK_TEST_JOBS must be a whole number ≥ 1, got ${opt.jobs}`);
const FILE_TIMEOUT_MS = Number(process.env.GUESTDISK_TEST_TIMEOUT_MS ?? 20 * 60 * 1000);
const TIMES_FILE = join(root, 'node_modules', '.cache', 'guestdisk', 'test-times.json');
const BASELINE_TIMES_FILE = join(root, 'test', 'test-times.json');

function walk(dir, keep) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : walk(path, keep);
    return keep(name) ? [path] : [];
  });
}

/** Newest modification time of what `npm run build` reads. */
function newestSource() {
  const sources = [...walk(join(root, 'src'), () => true), join(root, 'package.json'), join(root, 'scripts', 'build-cli.mjs'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
  return Math.max(...sources.map((p) => statSync(p).mtimeMs));
}

function distIsFresh() {
  try {
    return statSync(join(root, 'dist', 'cli', 'guestdisk-bundle.cjs')).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/** A file's times: the committed baseline (a fresh clone, as CI runs, has no cache), then this checkout's last run. */
function readTimes() {
  const read = (path) => {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return {};
    }
  };
  return { ...read(BASELINE_TIMES_FILE), ...read(TIMES_FILE) };
}

let files = walk(join(root, 'test'), (name) => name.endsWith('.test.ts')).filter((f) => !f.includes('/helpers/') && !f.includes('/fixtures/')).sort();
if (opt.unit) files = files.filter((f) => !f.includes('/integration/'));
if (opt.only) files = files.filter((f) => relative(root, f).includes(opt.only));
const times = readTimes();
// Unknown files first (they may be long), then longest first.
files.sort((a, b) => (times[relative(root, b)] ?? Infinity) - (times[relative(root, a)] ?? Infinity));

const started = Date.now();
if (files.length > 0 && !opt['no-build'] && !distIsFresh()) {
  console.log('building dist/ (npm run build)');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.log('the build failed: no test was run');
    console.log(`0 passed, ${files.length} failed`);
    process.exit(1);
  }
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runFile(file) {
  return new Promise((resolve) => {
    const begun = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/register-hooks.mjs', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[run-tests] timed out after ${FILE_TIMEOUT_MS / 1000}s\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = strip(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      let p = 0;
      let f = 0;
      if (Number.isNaN(total) || Number.isNaN(passed)) f = 1; // crashed before reporting: one failure
      else {
        p = passed;
        f = total - passed;
        if (code !== 0 && f === 0) f = 1; // non-zero exit without a failing test is still a failure
      }
      resolve({ file, passed: p, failed: f, seconds: (Date.now() - begun) / 1000, text });
    });
  });
}

const results = [];
const queue = [...files];
async function worker() {
  while (queue.length > 0) {
    const r = await runFile(queue.shift());
    results.push(r);
    const name = relative(root, r.file);
    // Indented output of a failing file is printed whole, never interleaved with another file's.
    console.log(`${r.failed ? 'FAIL' : 'ok  '} ${name}  ${r.passed} passed, ${r.failed} failed  (${r.seconds.toFixed(1)} s)`);
    if (r.failed) console.log(r.text.split('\n').map((l) => `    ${l}`).join('\n'));
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, files.length)) }, worker));

const newTimes = { ...times };
for (const r of results) newTimes[relative(root, r.file)] = r.seconds;
try {
  mkdirSync(dirname(TIMES_FILE), { recursive: true });
  writeFileSync(TIMES_FILE, `${JSON.stringify(newTimes, null, 1)}\n`);
} catch {
  // only the order of the next run depends on it
}

const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
if (files.length === 0) console.log('no test files found');
console.log(`(${files.length} files, ${jobs} at a time on ${cpus().length} CPUs, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
