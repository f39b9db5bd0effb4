// Running guestdisk from tests. `runCli` calls main(argv, io) in this process with captured output: the same
// commander wiring, commands and exit codes as the bin, without starting a node (most CLI tests). `runBin` runs
// the built bin in a fresh process, for what only a process has: signals, being killed, several runs at once,
// real stdout/stderr (a terminal, /dev/full, a closed pipe), argv bytes, and the bin itself.
import { spawnSync, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { main, type ProgramIo } from '../../src/cli/main.js';
import { BIN, REPO_ROOT } from './paths.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** What the command wrote through the io's byte output (cat's file bytes), copied as it came. */
  stdoutBytes: Uint8Array;
}

const withNewline = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);

/** `guestdisk ARGS` in-process, with `env` over this process's environment. Never interrupted. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const pieces: Uint8Array[] = [];
  const io: ProgramIo = {
    stdout: (t) => { stdout += withNewline(t); },
    stderr: (t) => { stderr += withNewline(t); },
    stdoutBytes: async (bytes) => { pieces.push(bytes.slice()); },
    stdoutText: async (t) => { stdout += t; },
    env: { ...process.env, ...env },
    now: () => Date.now(),
    interrupted: () => null,
  };
  const status = await main([...args], io);
  return { status, stdout, stderr, stdoutBytes: Buffer.concat(pieces) };
}

/** Runs the CLI in-process and throws with its output unless it exits 0. */
export async function mustCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await runCli(args, env);
  if (r.status !== 0) throw new Error(`guestdisk ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

export interface BinOptions {
  readonly env?: Record<string, string>;
  /** Default: stdin ignored, stdout and stderr captured. */
  readonly stdio?: StdioOptions;
  readonly timeoutMs?: number;
}

/** The built bin (`node dist/cli/guestdisk.cjs ARGS`) as a fresh process. */
export function runBin(args: readonly string[], options: BinOptions = {}): CliResult & { signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 10 * 60 * 1000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  const stdout = r.stdout ?? '';
  return { status: r.status ?? -1, signal: r.signal, stdout, stderr: r.stderr ?? '', stdoutBytes: Buffer.from(stdout) };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
