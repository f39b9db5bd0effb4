// Interrupted creates with --fs none: every disk left is unchanged, shows no table, or is complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeCase, MiB, stages, sweep, type SweepCase } from './sweep.js';

const pool = stages();
const cases: SweepCase[] = [];
for (const table of ['gpt', 'mbr'] as const) {
  for (const sectorSize of [512, 4096] as const) {
    cases.push({ table, fs: 'none', sectorSize, sizeBytes: 64 * MiB, before: 'blank' });
    cases.push({ table, fs: 'none', sectorSize, sizeBytes: 64 * MiB, before: { table: table === 'gpt' ? 'mbr' : 'gpt', fs: 'ntfs' } });
  }
}

for (const c of cases) {
  for (const model of ['stop', 'cache'] as const) {
    const what = model === 'stop' ? 'stopped after every write (clean, torn, flushes dropped)' : 'crashed with a reordering cache before every flush';
    test(`${what}, ${describeCase(c)}: never a disk that lies`, async () => {
    const r = await sweep(c, pool.get(c.sizeBytes, c.sectorSize), model);
    console.log(`  ${model} ${describeCase(c)}: ${r.writes} writes, ${r.states} states ${JSON.stringify(r.counts)}`);
    assert.ok(r.lies.length === 0, `${r.lies.length} lying disks:\n${r.lies.slice(0, 6).join('\n')}`);
    assert.is(r.finalClass, 'complete');
    });
  }
}

test.after(() => pool.close());
test.run();
