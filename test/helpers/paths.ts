// Where things are, independent of the checkout's location (CI clones elsewhere, with shared/ beside it).
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** ../shared beside the project root (read-only: conformance judge, Windows corpus). */
export const SHARED_DIR = process.env.GUESTDISK_SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared');
export const CORPUS_DIR = join(SHARED_DIR, 'corpus');
export const CONFORMANCE_DIR = join(SHARED_DIR, 'conformance');
export const FIXTURES_DIR = join(REPO_ROOT, 'fixtures');
/** ntfsck (ntfsprogs-plus), built in ../shared/tools/ntfsck: a chkdsk-like checker of a whole NTFS volume. */
export const NTFSCK = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');
/** The CLI's entry from source (`node --import tsx CLI_SOURCE …`); tests run main() in-process or the built BIN. */
export const CLI_SOURCE = join(REPO_ROOT, 'src', 'cli', 'bin.ts');
/** The built bin, as package.json's `bin` names it; scripts/run-tests.mjs builds it before the suite. */
export const BIN = join(REPO_ROOT, 'dist', 'cli', 'guestdisk.cjs');
