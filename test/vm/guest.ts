// Boots a throw-away QEMU guest (Debian kernel, the initramfs of initramfs.ts, the host root read-only over 9p)
// and runs a list of shell steps in it, one after the other, each bounded by its own timeout and the whole boot by
// another: a hung guest is killed and fails the test. Each step's exit status, stdout and stderr come back over
// the guest's second serial port (ttyS1, a file on the host) as one line:
//   GDVM-STEP <name> <status> <milliseconds> <base64 stdout> <base64 stderr>
// so many scenarios share one boot and the test asserts on each step's result afterwards.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_ROOT_TAG } from './initramfs.js';
import type { GuestKernel } from './kernel.js';
import { requireVmTool } from './vm-tools.js';

export interface GuestStep {
  readonly name: string;
  /** bash script, run with `set -e` off; its exit status, stdout and stderr are the result. */
  readonly script: string;
  readonly timeoutSec?: number;
}

export interface StepResult {
  readonly name: string;
  readonly status: number;
  /** Wall time of the step inside the guest. */
  readonly seconds: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GuestDisk {
  /** Raw image on the host; the guest sees it as /dev/vda, /dev/vdb… in this order. */
  readonly file: string;
  readonly serial: string;
  /** The sector size the guest's kernel sees (virtio-blk logical and physical block size); default 512. */
  readonly logicalBlockSize?: 512 | 4096;
}

export interface GuestRun {
  readonly steps: ReadonlyMap<string, StepResult>;
  readonly console: string;
  readonly seconds: number;
  readonly timedOut: boolean;
  /** The runner printed its end line: every step ran. */
  readonly finished: boolean;
  readonly accel: 'kvm' | 'tcg';
}

export interface GuestOptions {
  readonly kernel: GuestKernel;
  readonly initramfs: string;
  /** A directory of this run (host path; the guest sees it at the same path, read-only). */
  readonly dir: string;
  readonly steps: readonly GuestStep[];
  readonly disks?: readonly GuestDisk[];
  /** Exported before the steps run: PATH additions, DM_DISABLE_UDEV… */
  readonly env?: Readonly<Record<string, string>>;
  readonly memoryMiB?: number;
  readonly timeoutMs: number;
}

/**
 * TCG unless GUESTDISK_VM_ACCEL=kvm: a /dev/kvm that opens is no proof that KVM runs guests (nested under another
 * hypervisor it may hang before the kernel prints a line), and a hung guest would cost the whole timeout.
 */
export function pickAccel(): 'kvm' | 'tcg' {
  return process.env.GUESTDISK_VM_ACCEL === 'kvm' ? 'kvm' : 'tcg';
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The guest's script: exports, then each step in a file of its own, its result as one line on ttyS1. */
function writeRunner(options: GuestOptions): string {
  const stepsDir = join(options.dir, 'steps');
  mkdirSync(stepsDir, { recursive: true });
  const lines = [
    '#!/bin/bash',
    'exec 3>/dev/ttyS1',
    'export LC_ALL=C HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...Object.entries(options.env ?? {}).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    'out=$(mktemp) err=$(mktemp)',
    'emit() { printf "GDVM-STEP %s %s %s %s %s\\n" "$1" "$2" "$(( ($(date +%s%N) - t0) / 1000000 ))" "$(base64 -w0 < "$out")" "$(base64 -w0 < "$err")" >&3; }',
    'echo "GDVM-READY $(uname -r)" >&3',
  ];
  options.steps.forEach((step, i) => {
    if (!/^[\w.:-]+$/.test(step.name)) throw new Error(`step name ${JSON.stringify(step.name)}: letters, digits, . : - _ only`);
    const file = join(stepsDir, `${String(i).padStart(3, '0')}-${step.name}.sh`);
    writeFileSync(file, step.script);
    lines.push(`t0=$(date +%s%N); timeout -k 5 ${step.timeoutSec ?? 120} bash ${shellQuote(file)} >"$out" 2>"$err" </dev/null 3>&-; emit ${step.name} $?`);
  });
  lines.push('echo GDVM-END >&3', 'sync');
  const runner = join(options.dir, 'run.sh');
  writeFileSync(runner, lines.join('\n') + '\n');
  return runner;
}

function parseResults(text: string): { steps: Map<string, StepResult>; finished: boolean } {
  const steps = new Map<string, StepResult>();
  let finished = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === 'GDVM-END') finished = true;
    const m = /^GDVM-STEP (\S+) (\d+) (\d+) (\S*) (\S*)$/.exec(line);
    if (!m) continue;
    const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
    steps.set(m[1], { name: m[1], status: Number(m[2]), seconds: Number(m[3]) / 1000, stdout: b64(m[4]), stderr: b64(m[5]) });
  }
  return { steps, finished };
}

/** A 4Kn disk: logical and physical block size both 4096, as `losetup -b 4096` gives the host. */
function blockSizeProps(disk: GuestDisk): string {
  const size = disk.logicalBlockSize ?? 512;
  return size === 512 ? '' : `,logical_block_size=${size},physical_block_size=${size}`;
}

export async function runGuest(options: GuestOptions): Promise<GuestRun> {
  const qemu = requireVmTool('qemu-system-x86_64');
  const runner = writeRunner(options);
  const consoleLog = join(options.dir, 'console.log');
  const resultsLog = join(options.dir, 'results.log');
  writeFileSync(resultsLog, '');
  const accel = pickAccel();
  // no_timer_check: under TCG on a busy host the kernel's early check that the timer interrupt arrives through the
  // IO-APIC can time out and panic ("IO-APIC + timer doesn't work"); the check proves nothing about guestdisk.
  const args = [
    '-nodefaults', '-display', 'none', '-no-reboot',
    '-accel', accel, ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m', String(options.memoryMiB ?? 768), '-smp', '1',
    '-kernel', options.kernel.image, '-initrd', options.initramfs,
    '-append', `console=ttyS0 loglevel=4 panic=-1 no_timer_check gdvm_run=${runner}`,
    '-serial', `file:${consoleLog}`, '-serial', `file:${resultsLog}`,
    '-virtfs', `local,path=/,mount_tag=${HOST_ROOT_TAG},security_model=none,readonly=on,multidevs=remap`,
    ...(options.disks ?? []).flatMap((d, i) => ['-drive', `file=${d.file},format=raw,if=none,id=disk${i},cache=unsafe`, '-device', `virtio-blk-pci,drive=disk${i},serial=${d.serial}${blockSizeProps(d)}`]),
  ];
  const started = Date.now();
  const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let qemuErr = '';
  child.stderr.on('data', (d) => (qemuErr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  // A test process that dies while the guest runs (an uncaught error) must not leave QEMU behind.
  const killGuest = (): void => void child.kill('SIGKILL');
  process.once('exit', killGuest);
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  process.off('exit', killGuest);
  clearTimeout(timer);
  const seconds = (Date.now() - started) / 1000;
  const { steps, finished } = parseResults(readFileSync(resultsLog, 'utf8'));
  const consoleText = (existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '') + (qemuErr ? `\n[qemu stderr]\n${qemuErr}` : '');
  return { steps, console: consoleText, seconds, timedOut, finished, accel };
}

/** The result of one step; throws, with the guest's console tail, when the step never reported. */
export function stepResult(run: GuestRun, name: string): StepResult {
  const r = run.steps.get(name);
  if (r) return r;
  const why = run.timedOut ? `the guest was killed after its timeout (${run.seconds.toFixed(0)} s)` : run.finished ? 'no such step' : 'the guest stopped before it';
  throw new Error(`guest step ${name} did not report: ${why}\n--- guest console (tail) ---\n${run.console.slice(-4000)}`);
}
