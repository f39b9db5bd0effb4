// The CLI as a child process the reliability tests can signal: the built bin, as users run it, watched for
// the moment it starts writing (its lock file, or the target open in /proc/PID/fd), stopped, killed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { mustRun } from '../helpers/tools.js';

export interface CliExit { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
export interface CliProcess { child: ChildProcess; pid: number; done: Promise<CliExit> }

export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliExit>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`guestdisk ${args.join(' ')} did not finish in 5 minutes`)); }, 300_000);
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
  return { child, pid: child.pid!, done };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `ready` every millisecond; false when the process ended (or `timeoutMs` passed) first. */
export async function waitUntil(p: CliProcess, ready: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  let ended = false;
  void p.done.then(() => (ended = true), () => (ended = true));
  const start = Date.now();
  while (!ended && Date.now() - start < timeoutMs) {
    if (ready()) return true;
    await sleep(1);
  }
  return false;
}

/** True once the process holds `path` open for writing (/proc/PID/fdinfo flags: O_WRONLY or O_RDWR). */
export function holdsOpen(pid: number, path: string): boolean {
  const want = realpathSync(path);
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== want) continue;
        const flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
        if ((flags & 3) !== 0) return true;
      } catch { /* the fd closed meanwhile */ }
    }
  } catch { /* the process is gone */ }
  return false;
}

/** An image file's lock (src/target/file-lock.ts): present from just before the first read of the target. */
/** Keyed by the file's device and inode numbers, in /run/lock (or /tmp); a path that leads nowhere has no lock. */
export function lockOf(image: string): string {
  try {
    const st = statSync(image);
    return `${existsSync('/run/lock') ? '/run/lock' : '/tmp'}/guestdisk.${st.dev}.${st.ino}.lock`;
  } catch {
    return `${image}.no-such-file.lock`;
  }
}
export const locked = (image: string): boolean => existsSync(lockOf(image));
/** The owner's pid in a lock file ("PID STARTTIME"). */
export function lockOwner(lockText: string): string {
  return lockText.trim().split(/\s+/)[0] ?? '';
}
/** The lock exists and names its owner. */
export function lockedBy(image: string, pid: number): boolean {
  try {
    return lockOwner(readFileSync(lockOf(image), 'utf8')) === String(pid);
  } catch {
    return false;
  }
}

/**
 * sha256 of a file's content that reads only its data extents (SEEK_DATA/SEEK_HOLE), so an 8 TiB sparse image
 * costs what it holds; all-zero 64 KiB blocks count as holes, so the digest depends on content alone.
 */
export function sparseDigest(path: string): string {
  const script = `
import hashlib, os, sys
h = hashlib.sha256(); B = 65536
fd = os.open(sys.argv[1], os.O_RDONLY); size = os.fstat(fd).st_size; pos = 0
while pos < size:
    try: data = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError: break
    hole = os.lseek(fd, data, os.SEEK_HOLE); at = data - data % B
    while at < hole:
        block = os.pread(fd, B, at)
        if block.count(0) != len(block): h.update(str(at).encode()); h.update(block)
        at += B
    pos = hole
print(h.hexdigest(), size)`;
  return mustRun('python3', ['-c', script, path], { timeoutMs: 300_000 }).trim();
}

/** A deterministic random source (mulberry32), so a failing run can be repeated from the seed it prints. */
export function randomFrom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Detaches every loop device still over `backing` (a device some process still held is only marked for
 * autoclear by `losetup -d`): retries for a few seconds, then fails loudly, so a leaked loop device shows.
 */
export async function detachLoopsOver(backing: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const left = mustRun('losetup', ['-j', backing], { timeoutMs: 60_000 }).split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf(':')));
    if (left.length === 0) return;
    for (const device of left) spawnSync('losetup', ['-d', device]);
    await sleep(100);
  }
  throw new Error(`loop devices over ${backing} stay attached: ${mustRun('losetup', ['-j', backing])}`);
}
