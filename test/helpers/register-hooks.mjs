// Loaded by scripts/run-tests.mjs with --import: routes `import … from 'uvu'` through uvu-wrapper.mjs.
import { register } from 'node:module';
register('./uvu-hooks.mjs', import.meta.url);
