// The one way guestdisk runs another program: an argv array handed to an injected runner (execFile underneath,
// never a shell), so tests check the exact argv on a fake, and names with spaces or quotes stay one argument.
import { GuestdiskError } from '../errors.js';

/** The only programs guestdisk ever runs: anything else is a bug. */
export const HOST_PROGRAMS = ['lvcreate', 'lvextend', 'lvs', 'vgs', 'virsh'] as const;
export type HostProgram = (typeof HOST_PROGRAMS)[number];

export interface HostCommandResult {
  /** Exit status; null when the program could not be started or died by a signal. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be run at all: ENOENT (not installed), EACCES… */
  readonly spawnError: string | null;
  /** The signal that ended the program (SIGTERM when it ran past the runner's timeout); absent or null: none. */
  readonly signal?: string | null;
}

export interface HostRunOptions {
  /** Written to the program's standard input, which is then closed (default: closed at once). */
  readonly input?: string;
}

export type HostRunner = (argv: readonly [HostProgram, ...string[]], options?: HostRunOptions) => Promise<HostCommandResult>;

export interface ExecRunnerOptions {
  /** Environment of the child, PATH included (the CLI passes its own). Default: inherited. */
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
  /**
   * Whether `program` is on PATH, asked before anything is started: when it answers false the run ends as a
   * missing program does (spawnError ENOENT) without loading node:child_process, which costs ~2 MB of peak
   * memory (measured in bench/) — on a host without libvirt, every write to a block device asks virsh which running
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
  return async (argv, runOptions = {}) => {
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
          const err = error as (NodeJS.ErrnoException & { code?: string | number; signal?: string | null }) | null;
          if (err && typeof err.code === 'string') {
            // the program did not run (ENOENT, EACCES): no exit status
            resolve({ status: null, stdout: stdout ?? '', stderr: stderr ?? '', spawnError: err.code, signal: null });
            return;
          }
          const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
          resolve({ status, stdout: stdout ?? '', stderr: stderr ?? '', spawnError: null, signal: err?.signal ?? null });
        },
      );
      child.stdin?.end(runOptions.input);
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

/** Debian packages of the host programs, for "not installed" messages. */
const PACKAGE_OF: Record<HostProgram, string> = { lvcreate: 'lvm2', lvextend: 'lvm2', lvs: 'lvm2', vgs: 'lvm2', virsh: 'libvirt-clients' };

/** What ended the program, in words: "exited with status 5", "was killed by SIGTERM", "is not installed …". */
function describeEnd(argv: readonly string[], result: HostCommandResult): string {
  if (result.spawnError === 'ENOENT') return `could not run: ${argv[0]} is not installed (not found on PATH)`;
  if (result.spawnError) return `could not run: ${argv[0]} (${result.spawnError})`;
  if (result.signal) return `was killed by ${result.signal}${result.signal === 'SIGTERM' ? ' (it ran past its time limit, or was stopped)' : ''}`;
  return `exited with status ${result.status}`;
}

/** Causes every program shares; lvm.ts and virsh.ts add their own through `advice`. */
function commonAdvice(argv: readonly string[], result: HostCommandResult): string | null {
  const program = argv[0] as HostProgram;
  if (result.spawnError === 'ENOENT') return `install ${PACKAGE_OF[program] ?? program} (Debian/Ubuntu: apt install ${PACKAGE_OF[program] ?? program}) or put ${program} on PATH`;
  if (result.spawnError === 'EACCES' || /permission denied|must be root|access denied/i.test(result.stderr)) return 'run guestdisk as root (or with sudo)';
  if (result.signal === 'SIGTERM') return `check why ${program} hangs (a stuck lock, an unreachable daemon) and run the command again`;
  return null;
}

/**
 * HOST_COMMAND_FAILED naming the command and its arguments, how it ended (exit status or signal), its stderr, and,
 * where the cause is known, what to do. `what` says what guestdisk was doing; `advice` gives the caller's own
 * reading of the failure (lvcreate's "insufficient free space", virsh's "does not support hotplugging"…).
 */
export function hostCommandFailed(argv: readonly string[], result: HostCommandResult, what?: string, advice?: string | null): GuestdiskError {
  const tail = stderrTail(result.stderr);
  const todo = advice ?? commonAdvice(argv, result);
  return new GuestdiskError(
    'HOST_COMMAND_FAILED',
    `${what ? `${what}: ` : ''}${renderArgv(argv)} ${describeEnd(argv, result)}${tail ? `: ${tail}` : ''}${todo ? `\nWhat to do: ${todo}` : ''}`,
    { argv: [...argv], status: result.status, signal: result.signal ?? null, stderr: tail, spawnError: result.spawnError, advice: todo },
  );
}

/** Reads a failed result and says what to do about it, or null when the cause is not one it knows. */
export type FailureAdvice = (result: HostCommandResult) => string | null;

/** Runs and returns stdout; any non-zero exit or failure to start is HOST_COMMAND_FAILED (with `advise`'s reading). */
export async function runChecked(runner: HostRunner, argv: readonly [HostProgram, ...string[]], what?: string, advise?: FailureAdvice, options?: HostRunOptions): Promise<string> {
  const result = await runner(argv, options);
  if (result.status !== 0) throw hostCommandFailed(argv, result, what, advise?.(result) ?? null);
  return result.stdout;
}
