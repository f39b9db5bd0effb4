// Running external commands with a hard time limit, and measuring one command's wall time, write_bytes and RSS.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const MEASURE_SH = new URL('./measure.sh', import.meta.url).pathname;
const TAIL_BYTES = 4000;
const KILL_GRACE_MS = 5000;
const HUNG_GRACE_MS = 15000;

/**
 * Runs argv in its own process group. After timeoutMs the group gets SIGTERM, then SIGKILL; a process stuck in
 * an uninterruptible sleep (a sync() behind a hung FUSE daemon) is abandoned after a further grace period, so
 * the bench reports it as timed out instead of hanging.
 */
export function run(argv, { timeoutMs = 600_000, cwd, env, maxOutput = 1 << 20 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let done = false;
    const timers = [];
    const finish = (result) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      resolve({ stdout, stderr, timedOut, ...result });
    };
    child.stdout.on('data', (d) => { if (stdout.length < maxOutput) stdout += d; });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-maxOutput); });
    child.on('error', (e) => finish({ rc: 127, signal: null, error: e.message }));
    child.on('close', (rc, signal) => finish({ rc: rc ?? 128, signal }));
    const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
    timers.push(setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      timers.push(setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS));
      timers.push(setTimeout(() => {
        child.unref();
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ rc: 128, signal: 'HUNG', hung: true });
      }, KILL_GRACE_MS + HUNG_GRACE_MS));
    }, timeoutMs));
  });
}

export function tail(text, bytes = TAIL_BYTES) {
  return text.length > bytes ? text.slice(-bytes) : text;
}

/**
 * One timed sample: /usr/bin/time (peak RSS, and user + system CPU time, of the command and everything it
 * waited for; 10 ms resolution) around measure.sh
 * (wall time between fork and reap, and the /proc/<shell>/io counters that include every reaped descendant).
 */
export async function measure(argv, { workDir, timeoutMs, env }) {
  const ioFile = join(workDir, 'measure.io');
  const rssFile = join(workDir, 'measure.rss');
  rmSync(ioFile, { force: true });
  rmSync(rssFile, { force: true });
  const r = await run(['/usr/bin/time', '-f', '%M %U %S', '-o', rssFile, 'bash', MEASURE_SH, ioFile, ...argv], { timeoutMs, env });
  const sample = { rc: r.rc, timedOut: r.timedOut, hung: Boolean(r.hung), stdout: tail(r.stdout), stderr: tail(r.stderr) };
  try {
    const fields = Object.fromEntries(readFileSync(ioFile, 'utf8').trim().split('\n').map((l) => l.split(' ')));
    sample.rc = Number(fields.rc);
    sample.wallMs = (Number(fields.t1) - Number(fields.t0)) * 1000;
    sample.writeBytes = Number(fields.write_bytes);
    sample.cancelledWriteBytes = Number(fields.cancelled_write_bytes);
    sample.syscw = Number(fields.syscw);
  } catch { /* timed out or killed before measure.sh wrote its file */ }
  try {
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    const [rss, user, sys] = lines[lines.length - 1].split(' ').map(Number);
    sample.rssKb = rss;
    sample.cpuMs = (user + sys) * 1000;
  } catch { /* idem */ }
  sample.ok = !sample.timedOut && sample.rc === 0 && sample.wallMs !== undefined;
  return sample;
}

/** Counts write-family system calls of argv and all its children with strace -f -c (an extra, untimed run). */
export async function countWriteCalls(argv, { workDir, timeoutMs, env }) {
  const out = join(workDir, 'strace.txt');
  rmSync(out, { force: true });
  const r = await run(['strace', '-f', '-c', '-e', 'trace=write,pwrite64,writev,pwritev,pwritev2', '-o', out, ...argv], { timeoutMs, env });
  if (r.timedOut || r.rc !== 0) return { ok: false, rc: r.rc, timedOut: r.timedOut };
  const text = readFileSync(out, 'utf8');
  const calls = {};
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m) calls[m[2]] = Number(m[1]);
  }
  return { ok: true, total: calls.total ?? 0, calls };
}
