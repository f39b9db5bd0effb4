#!/usr/bin/env node
// guestdisk's bin (scripts/build-cli.mjs copies it to dist/cli/). Node >= 22 keeps the code it compiles for the
// modules loaded after this call (the bundle) in its compile cache, so later runs skip compiling them; Node 20
// has no such call.
'use strict';
// V8 doubles its young generation (up to 2 × 16 MiB here) whenever most new objects survive a scavenge, as they do
// while a source tree of many files is read or a volume's records are walked; it never gives the room back during
// the run. Kept at its first size, copying 100,000 files peaks 30–40 MiB lower (bench/copy.mjs) in the same time.
// The flag exists in every V8 that Node >= 20 ships (a newer one may raise it to 2, which only loses the saving).
require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
require('node:module').enableCompileCache?.();
require('./guestdisk-bundle.cjs');
