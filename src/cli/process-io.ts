// The running process as a ProgramIo: stdout and stderr, the environment, the clock, and SIGINT/SIGTERM as the
// interruption state. Only bin.ts makes one; tests give main() a capture instead.
import { GuestdiskError } from '../errors.js';
import type { ProgramIo } from './io.js';

export interface ProcessIo extends ProgramIo {
  /** Records a signal; `interrupted()` reports the first one. */
  interrupt(signal: NodeJS.Signals): void;
}

const withNewline = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);

/**
 * Writes to a stream and remembers its first error instead of letting it crash the process: a stream's write
 * errors arrive later, as an 'error' event (an unhandled one ends node with a stack trace) and as the write's
 * callback, so they are collected here and looked at by `settled`, after the command.
 */
function outputTo(stream: NodeJS.WritableStream): { write(text: string): void; settled(): Promise<NodeJS.ErrnoException | null> } {
  let failure: NodeJS.ErrnoException | null = null;
  let last: Promise<void> = Promise.resolve();
  stream.on('error', (e: NodeJS.ErrnoException) => { failure ??= e; });
  return {
    write(text) {
      if (failure) return;
      last = new Promise((resolve) => {
        stream.write(text, (e) => {
          if (e) failure ??= e;
          resolve();
        });
      });
    },
    // Writes finish in order, so the last one settling means all have.
    settled: () => last.then(() => failure),
  };
}

export function createProcessIo(): ProcessIo {
  const stdout = outputTo(process.stdout);
  const stderr = outputTo(process.stderr);
  let signal: NodeJS.Signals | null = null;
  let stderrIsTty: boolean | undefined;
  return {
    stdout: (t) => stdout.write(withNewline(t)),
    stderr: (t) => stderr.write(withNewline(t)),
    env: process.env,
    now: () => Date.now(),
    interrupted: () => signal,
    interrupt: (s) => { signal ??= s; },
    // The progress line, on a terminal only.
    progress: (line) => {
      stderrIsTty ??= process.stderr.isTTY === true;
      if (stderrIsTty) stderr.write(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`);
    },
    // A failed stderr has nowhere to be reported; a failed stdout is the run's result (main.ts).
    async flush() {
      const [out] = await Promise.all([stdout.settled(), stderr.settled()]);
      if (out) {
        throw new GuestdiskError('IO_FAILED', `cannot write to standard output (${out.message})`, { errno: out.code ?? null }, { cause: out });
      }
    },
  };
}
