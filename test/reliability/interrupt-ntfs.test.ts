// Interrupted creates with --fs ntfs: stopped at every write (clean stop, torn write, dropped flushes, reordering
// cache), the disk left is unchanged, shows no table or no filesystem, or is complete and passes the checker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { casesFor, describeCase, stages, sweep } from './sweep.js';

const pool = stages();
for (const c of casesFor('ntfs', 'exfat')) {
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
