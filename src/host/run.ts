// The one way guestdisk runs another program: an argv array handed to an injected runner (execFile underneath,
// never a shell), so tests check the exact argv on a fake, and names with spaces or quotes stay one argument.
import { GuestdiskError } from '../errors.js';

/** The only programs guestdisk ever runs (issue 7): anything else is a bug. */
export const HOST_PROGRAMS = ['lvcreate', 'lvextend', 'lvs', 'virsh'] as const;
export type HostProgram = (typeof HOST_PROGRAMS)[number];

export interface HostCommandResult {
  /** Exit status; null when the program could not be started or died by a signal. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be run at all: ENOENT (not installed), EACCES… */
  readonly spawnError: string | null;
}

export type HostRunner = (argv: readonly [HostProgram, ...string[]]) => Promise<HostCommandResult>;

export interface ExecRunnerOptions {
  /** Environment of the child, PATH included (the CLI passes its own). Default: inherited. */
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
  /**
   * Whether `program` is on PATH, asked before anything is started: when it answers false the run ends as a
   * missing program does (spawnError ENOENT) without loading node:child_process, which costs ~2 MB of peak
   * memory (bench/, issue 9) — on a host without libvirt, every write to a block device asks virsh which running
   * VMs use it. Default: not asked (execFile finds out).
   */
  readonly isInstalled?: (program: HostProgram) => boolean;
}

const STDERR_TAIL_CHARS = 2000;
const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * A runner over execFile: no shell, stdin closed (an LVM prompt reads EOF and answers no instead of hanging).
 * node:child_process is loaded on the first run, not at start-up: most runs never start a program.
 */
export function createExecRunner(options: ExecRunnerOptions = {}): HostRunner {
  return async (argv) => {
    const [program, ...args] = argv;
    if (!(HOST_PROGRAMS as readonly string[]).includes(program)) {
      throw new GuestdiskError('INVALID_SPEC', `guestdisk runs only ${HOST_PROGRAMS.join(', ')}, not ${program}`);
    }
    if (options.isInstalled && !options.isInstalled(program as HostProgram)) {
      return { status: null, stdout: '', stderr: '', spawnError: 'ENOENT' };
    }
    const { execFile } = await import('node:child_process');
    return new Promise((resolve) => {
      const child = execFile(
        program,
        args,
        {
          env: options.env as NodeJS.ProcessEnv | undefined,
          timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          maxBuffer: 16 << 20,
          encoding: 'utf8',
          shell: false,
        },
        (error, stdout, stderr) => {
          const err = error as (NodeJS.ErrnoException & { code?: string | number }) | null;
          if (err && typeof err.code === 'string') {
            // the program did not run (ENOENT, EACCES) or was killed: no exit status
            resolve({ status: null, stdout: stdout ?? '', stderr: stderr ?? '', spawnError: err.code });
            return;
          }
          const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
          resolve({ status, stdout: stdout ?? '', stderr: stderr ?? '', spawnError: null });
        },
      );
      child.stdin?.end();
    });
  };
}

export function stderrTail(stderr: string): string {
  const trimmed = stderr.trim();
  return trimmed.length <= STDERR_TAIL_CHARS ? trimmed : `…${trimmed.slice(-STDERR_TAIL_CHARS)}`;
}

/** Shell-like rendering for messages only (never executed): each argument quoted when it needs it. */
export function renderArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function hostCommandFailed(argv: readonly string[], result: HostCommandResult, what?: string): GuestdiskError {
  const tail = stderrTail(result.stderr);
  const how = result.spawnError === 'ENOENT'
    ? `${argv[0]} is not installed (not found on PATH)`
    : result.spawnError
      ? `${argv[0]} could not be run (${result.spawnError})`
      : `exited with status ${result.status}`;
  return new GuestdiskError(
    'HOST_COMMAND_FAILED',
    `${what ? `${what}: ` : ''}${renderArgv(argv)} ${how}${tail ? `: ${tail}` : ''}`,
    { argv: [...argv], status: result.status, stderr: tail, spawnError: result.spawnError },
  );
}

/** Runs and returns stdout; any non-zero exit or failure to start is HOST_COMMAND_FAILED. */
export async function runChecked(runner: HostRunner, argv: readonly [HostProgram, ...string[]], what?: string): Promise<string> {
  const result = await runner(argv);
  if (result.status !== 0) throw hostCommandFailed(argv, result, what);
  return result.stdout;
}
