// Interrupted creates with --fs fat32: stopped at every write (clean stop, torn write, dropped flushes, reordering
// cache), the disk left is unchanged, shows no table or no filesystem, or is complete and passes the checker.
import { test } from 'uvu';
import { casesFor, registerSweepTests } from './sweep.js';

registerSweepTests(casesFor('fat32', 'ntfs'));
test.run();
