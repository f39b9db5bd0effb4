#!/usr/bin/env node
// Runs every test file in its own process (a crash or hang in one cannot hide the others), prints each file's
// result, and ends with the one line CI reads: "N passed, N failed".
//   node scripts/run-tests.mjs [--unit] [--only SUBSTRING] [--jobs N]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const jobs = args.includes('--jobs') ? Number(args[args.indexOf('--jobs') + 1]) : 1;
const FILE_TIMEOUT_MS = Number(process.env.GUESTDISK_TEST_TIMEOUT_MS ?? 20 * 60 * 1000);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'helpers' || name === 'fixtures' ? [] : walk(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

let files = walk(join(root, 'test')).sort();
// Integration tests (tools, loop devices, mounts) run after the unit tests.
files = [...files.filter((f) => !f.includes('/integration/')), ...files.filter((f) => f.includes('/integration/'))];
if (unitOnly) files = files.filter((f) => !f.includes('/integration/'));
if (only) files = files.filter((f) => relative(root, f).includes(only));

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
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
      resolve({ file, passed: p, failed: f, seconds: (Date.now() - started) / 1000, text, code });
    });
  });
}

const results = [];
const queue = [...files];
async function worker() {
  while (queue.length > 0) {
    const file = queue.shift();
    const r = await runFile(file);
    results.push(r);
    const name = relative(root, r.file);
    console.log(`${r.failed ? 'FAIL' : 'ok  '} ${name}  ${r.passed} passed, ${r.failed} failed  (${r.seconds.toFixed(1)} s)`);
    if (r.failed) console.log(r.text.split('\n').map((l) => `    ${l}`).join('\n'));
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));

const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
if (files.length === 0) console.log('no test files found');
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
