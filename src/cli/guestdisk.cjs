#!/usr/bin/env node
// guestdisk's bin (scripts/build-cli.mjs copies it to dist/cli/). Node >= 22 keeps the code it compiles for the
// modules loaded after this call (the bundle) in its compile cache, so later runs skip compiling them; Node 20
// has no such call.
'use strict';
require('node:module').enableCompileCache?.();
require('./guestdisk-bundle.cjs');
