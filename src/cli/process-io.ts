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
function outputTo(stream: NodeJS.WritableStream): { write(data: string | Uint8Array): Promise<void>; settled(): Promise<NodeJS.ErrnoException | null> } {
  let failure: NodeJS.ErrnoException | null = null;
  let last: Promise<void> = Promise.resolve();
  stream.on('error', (e: NodeJS.ErrnoException) => { failure ??= e; });
  return {
    write(data) {
      if (failure) return last;
      last = new Promise((resolve) => {
        stream.write(data, (e) => {
          if (e) failure ??= e;
          resolve();
        });
      });
      return last;
    },
    // Writes finish in order, so the last one settling means all have.
    settled: () => last.then(() => failure),
  };
}

const stdoutFailed = (e: NodeJS.ErrnoException): GuestdiskError =>
  new GuestdiskError('IO_FAILED', `cannot write to standard output (${e.message})`, { errno: e.code ?? null }, { cause: e });

export function createProcessIo(): ProcessIo {
  const stdout = outputTo(process.stdout);
  const stderr = outputTo(process.stderr);
  let signal: NodeJS.Signals | null = null;
  let stderrIsTty: boolean | undefined;
  const textEncoder = new TextEncoder();
  let textBytes = new Uint8Array(0);
  return {
    stdout: (t) => void stdout.write(withNewline(t)),
    stderr: (t) => void stderr.write(withNewline(t)),
    // Awaited piece by piece, so a reader of the bytes never runs ahead of the pipe.
    async stdoutBytes(bytes) {
      await stdout.write(bytes);
      const failure = await stdout.settled();
      if (failure) throw stdoutFailed(failure);
    },
    // Encoded into one reused buffer: a report of tens of MB in pieces leaves no bytes per piece for the collector.
    async stdoutText(text) {
      if (textBytes.length < text.length * 3) textBytes = new Uint8Array(text.length * 3); // UTF-8: ≤ 3 bytes per UTF-16 unit
      const { written } = textEncoder.encodeInto(text, textBytes);
      // A failure is not thrown here: like stdout()'s, it is the run's result once the command has ended (flush).
      await stdout.write(textBytes.subarray(0, written));
    },
    env: process.env,
    now: () => Date.now(),
    interrupted: () => signal,
    interrupt: (s) => { signal ??= s; },
    // The progress line, on a terminal only.
    progress: (line) => {
      stderrIsTty ??= process.stderr.isTTY === true;
      if (stderrIsTty) void stderr.write(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`);
    },
    // A failed stderr has nowhere to be reported; a failed stdout is the run's result (main.ts).
    async flush() {
      const [out] = await Promise.all([stdout.settled(), stderr.settled()]);
      if (out) throw stdoutFailed(out);
    },
  };
}
