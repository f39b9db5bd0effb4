// SIGINT/SIGTERM are caught from the first statement the bin runs, not from when main() starts: until a handler is
// installed, node's default action ends the process without a word. Imported first by the bin's entry, so it is
// evaluated before commander and the commands are; main() reads the signal between writes and says what the disk
// is. A second signal ends the process at once (130 / 143).
let first: NodeJS.Signals | null = null;
let installed = false;

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (s: NodeJS.Signals): void => {
    if (first) process.exit(s === 'SIGINT' ? 130 : 143); // second signal: stop now
    first = s;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The first signal received, or null. */
export function receivedSignal(): NodeJS.Signals | null {
  return first;
}
