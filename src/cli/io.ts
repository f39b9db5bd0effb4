// What a command may touch of the outside world, injected: output, the environment, the clock, interruption.
// main() gets a ProgramIo (bin.ts makes one from the process, tests a capture) and hands each command its CliIo.

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  now(): number;
  /** Set when SIGINT/SIGTERM arrives; checked between writes. */
  interrupted(): NodeJS.Signals | null;
  /** Replaces the progress line (null ends it); shows nothing unless stderr is a terminal. Absent: no progress. */
  progress?: (line: string | null) => void;
}

/** What a whole run needs beyond a command's CliIo: a way to learn whether the output reached its destination. */
export interface ProgramIo extends CliIo {
  /**
   * Resolves once everything written so far has been handed to stdout and stderr; rejects with an IO_FAILED
   * GuestdiskError when stdout could not take it (a full disk, /dev/full, a reader that went away). Absent: output
   * cannot fail (a capture in tests).
   */
  flush?(): Promise<void>;
}
