// The bin, dist/cli/guestdisk.cjs, after its two start lines (scripts/build-cli.mjs puts them there). It loads the
// bundle, dist/cli/guestdisk-bundle.cjs, through V8's code cache: compiling the 0.4 MB bundle and the functions a
// run needs costs ~7 ms of a ~40 ms exFAT `create` (bench/, issue 6 and 9), and the cache, made by the build with
// the same node, skips it. The cache depends on the V8 flags, so there is one for `create`'s flags and one for
// the rest. A missing cache, or one V8 rejects (another node version, a changed bundle), only costs that time.
'use strict';
const { readFileSync, writeFileSync, writeSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const bundleFile = join(__dirname, 'guestdisk-bundle.cjs');
const cacheFile = join(__dirname, `guestdisk-bundle.${process.execArgv.includes('--no-opt') ? 'create' : 'other'}.v8cache`);

function readCache() {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

const cachedData = readCache();
const script = new Script(wrap(readFileSync(bundleFile, 'utf8')), { filename: bundleFile, cachedData });
if (process.env.GUESTDISK_DEBUG_CODE_CACHE) {
  writeSync(2, `guestdisk: code cache ${cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted'}: ${cacheFile}\n`);
}
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(bundleFile), bundle, bundleFile, __dirname);

const warmUpWith = process.env.GUESTDISK_MAKE_CODE_CACHE;
if (warmUpWith) {
  // The build: run these command lines, then keep the code they compiled.
  bundle.exports.warmUp(JSON.parse(warmUpWith)).then((codes) => {
    if (codes.some((code) => code !== 0)) {
      writeSync(2, `guestdisk: a warm-up command failed (exit codes ${codes.join(', ')}); no code cache written\n`);
      process.exitCode = 1;
      return;
    }
    writeFileSync(cacheFile, script.createCachedData());
  });
} else {
  bundle.exports.runAsProgram();
}
