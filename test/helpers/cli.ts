// Runs the CLI from source as users run it (a fresh process), capturing status and output.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CLI_SOURCE, REPO_ROOT } from './paths.js';

export interface CliResult { status: number; stdout: string; stderr: string }

export function runCli(args: readonly string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 10 * 60 * 1000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and throws with its output unless it exits 0. */
export function mustCli(args: readonly string[], env: Record<string, string> = {}): CliResult {
  const r = runCli(args, env);
  if (r.status !== 0) throw new Error(`guestdisk ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
