// What a command may touch of the outside world, injected: output, the environment, the clock, interruption.
// main() gets a ProgramIo (bin.ts makes one from the process, tests a capture) and hands each command its CliIo.

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * File bytes to stdout, in order with the text (cat). Resolves once stdout has taken them, so a command that
   * awaits each piece holds one piece at a time, and the caller may then reuse the array; rejects with IO_FAILED
   * when stdout cannot take them. Absent: this io carries text only, and a command with bytes to write refuses.
   */
  stdoutBytes?(bytes: Uint8Array): Promise<void>;
  /**
   * Text to stdout as it is (no newline added), in order with the rest. Resolves once stdout has taken it, so a long
   * output written piece by piece, each awaited, holds one piece at a time (create --json with a copied tree: tens
   * of MB). A failure to write shows as stdout()'s do, after the command. Absent: such output goes out whole
   * through stdout().
   */
  stdoutText?(text: string): Promise<void>;
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
