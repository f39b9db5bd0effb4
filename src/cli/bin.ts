// The program: the bundle's entry (scripts/build-cli.mjs), and what `node --import tsx src/cli/bin.ts` runs from
// source. Binds main() to this process: its arguments, output streams, signals and exit code.
import './install-early-signals.js'; // first: catches SIGINT/SIGTERM before the rest is evaluated
import { forwardSignalsTo, SIGNAL_EXIT_CODE } from './early-signals.js';
import { EXIT_BUG } from './exit-codes.js';
import { main } from './main.js';
import { createProcessIo } from './process-io.js';

function runAsProgram(): void {
  const io = createProcessIo();
  // The first signal is a request: create stops between two writes and says what the disk holds. A second one
  // stops the process at once (early-signals.ts, installed before anything else was evaluated).
  forwardSignalsTo((s) => io.interrupt(s));
  main(process.argv.slice(2), io).then((code) => {
    const signal = io.interrupted();
    process.exitCode = signal && code !== 0 ? SIGNAL_EXIT_CODE[signal as 'SIGINT' | 'SIGTERM'] : code;
  }, (e: unknown) => {
    // main() reports every error itself; reaching this is a bug in that reporting.
    process.stderr.write(`guestdisk: internal error (a bug): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_BUG;
  });
}

runAsProgram();
