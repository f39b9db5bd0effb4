// The bundle's entry (scripts/build-cli.mjs). The bin, dist/cli/guestdisk.cjs, compiles the bundle with V8's code
// cache and calls runAsProgram; `warmUp` is how the build runs the commands whose compiled code goes into that cache.
import './install-early-signals.js'; // first: catches SIGINT/SIGTERM before the rest is evaluated
import { main, runAsProgram } from './main.js';

export { runAsProgram };

/** Runs each command line in turn, as `guestdisk ARGS` would (output included); for making the code cache. */
export async function warmUp(commandLines: readonly (readonly string[])[]): Promise<number[]> {
  const codes: number[] = [];
  for (const argv of commandLines) codes.push(await main([...argv]));
  return codes;
}
