// SIGINT/SIGTERM are caught from the first statement the program runs, not from when main() starts: until a handler
// is installed, node's default action ends the process without a word (a signal in the first ~100 ms of a run).
// Installed by install-early-signals.ts, the first module bin.ts imports, so it is evaluated before commander and the
// commands; bin.ts then forwards signals (the early one too) to the run's io, which `create` checks between writes.
// A second signal ends the process at once (130 / 143).
export const SIGNAL_EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;
type Handled = keyof typeof SIGNAL_EXIT_CODE;

let first: Handled | null = null;
let sink: ((signal: Handled) => void) | null = null;
let installed = false;

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (s: Handled): void => {
    if (first) process.exit(SIGNAL_EXIT_CODE[s]); // second signal: stop now
    first = s;
    sink?.(s);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** From now on, signals go to `target`; one that arrived before is handed over at once. */
export function forwardSignalsTo(target: (signal: Handled) => void): void {
  installSignalHandlers();
  sink = target;
  if (first) target(first);
}
