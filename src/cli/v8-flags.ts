// The V8 flags `create` runs with (src/cli/main.ts, leaveCodeUnoptimized, says why). One list for both ways they
// are set: the bin's start line (scripts/build-cli.mjs reads it from the built dist/cli/v8-flags.js) and main.ts.
export const CREATE_V8_FLAGS: readonly string[] = ['--no-opt', '--no-lazy-feedback-allocation'];
