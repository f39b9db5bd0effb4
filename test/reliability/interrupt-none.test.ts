// Interrupted creates with --fs none: every disk left is unchanged, shows no table, or is complete.
import { test } from 'uvu';
import { MiB, registerSweepTests, type SweepCase } from './sweep.js';

const cases: SweepCase[] = [];
for (const table of ['gpt', 'mbr'] as const) {
  for (const sectorSize of [512, 4096] as const) {
    cases.push({ table, fs: 'none', sectorSize, sizeBytes: 64 * MiB, before: 'blank' });
    cases.push({ table, fs: 'none', sectorSize, sizeBytes: 64 * MiB, before: { table: table === 'gpt' ? 'mbr' : 'gpt', fs: 'ntfs' } });
  }
}

registerSweepTests(cases);
test.run();
