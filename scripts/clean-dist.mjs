// Removes dist/ before a build: tsc only adds and overwrites, so a file whose source is gone would otherwise stay
// in dist/ and in the package (and two builds of one commit could differ).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

rmSync(fileURLToPath(new URL('../dist', import.meta.url)), { recursive: true, force: true });
