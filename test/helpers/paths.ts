// Where things are, independent of the checkout's location (CI clones elsewhere, with shared/ beside it).
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** ../shared beside the project root (read-only: conformance judge, Windows corpus). */
export const SHARED_DIR = process.env.GUESTDISK_SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared');
export const CORPUS_DIR = join(SHARED_DIR, 'corpus');
export const CONFORMANCE_DIR = join(SHARED_DIR, 'conformance');
export const FIXTURES_DIR = join(REPO_ROOT, 'fixtures');
export const CLI_SOURCE = join(REPO_ROOT, 'src', 'cli', 'main.ts');
