// Stand-in for node:child_process inside the bundled commander (scripts/build-cli.mjs puts it there). Commander
// requires child_process when it loads, but uses it only to run external sub-command executables, which guestdisk
// does not have; loading it up front costs ~2 MB of peak memory on every run (bench/, issue 9). The real module
// is loaded on first use, so behaviour is unchanged.
'use strict';
let real;
module.exports = new Proxy(
  {},
  {
    get(_target, key) {
      real ??= require('child_process');
      return real[key];
    },
  },
);
