// The classifier must be able to say "lie": a harness that calls every disk fine proves nothing. Disks built
// to lie (a valid table and boot sector over a missing body; another run's volume in the table) are caught.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { digestMemory, uuidOf } from '../helpers/classify.js';
import { MiB, planCase, stages } from './sweep.js';

const pool = stages();
test.after(() => pool.close());

for (const fs of ['ntfs', 'exfat', 'fat32'] as const) {
  for (const sectorSize of [512, 4096] as const) {
    const sizeBytes = fs === 'fat32' && sectorSize === 4096 ? 260 * MiB : 64 * MiB;
    test(`classifier: ${fs}/${sectorSize} complete, blank, body missing (lie), another run's volume (lie)`, async () => {
      const c = { table: 'gpt' as const, fs, sectorSize, sizeBytes };
      const layout = planCase(c, 'classify');
      const p = layout.partitions[0];
      const expect = { fs, expectedUuid: uuidOf(layout), expectedPartition: { offsetBytes: p.startLba * sectorSize, sizeBytes: p.sizeLba * sectorSize } };
      const stage = pool.get(sizeBytes, sectorSize);
      const blank = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize });
      const none = await digestMemory(blank);

      const good = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize });
      await writeDisk(layout, good);
      assert.is((await stage.classify(good, none, expect)).klass, 'complete');
      const seven = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize });
      await writeDisk(planCase({ ...c, fs: 'none' }, 'classify'), seven);
      assert.is((await stage.classify(blank, 'x', expect)).klass, 'no-table');
      assert.is((await stage.classify(seven, none, expect)).klass, 'no-filesystem', 'a table over an empty partition');

      // Everything but the filesystem body: boot sectors and tables over nothing.
      const body = layout.steps.find((s) => s.kind === 'fs-body')!;
      const hollow = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize });
      await writeDisk({ ...layout, steps: layout.steps.filter((s) => s.kind !== 'fs-body') }, hollow);
      assert.ok(body.lengthBytes > 0);
      const verdict = await stage.classify(hollow, none, expect);
      // libblkid reads NTFS's $MFT record 0 before it says "ntfs", so a hollow NTFS is not recognised at all.
      assert.is(verdict.klass, fs === 'ntfs' ? 'no-filesystem' : 'lie', verdict.evidence);
      if (fs === 'ntfs') {
        const noBackup = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize });
        await writeDisk({ ...layout, steps: layout.steps.filter((s) => s.kind !== 'fs-boot-backup') }, noBackup);
        const v = await stage.classify(noBackup, none, expect);
        assert.is(v.klass, 'lie', `NTFS without its backup boot sector: ${v.evidence}`);
      }

      // Another run's (valid) volume in the table: only the UUID tells.
      const other = openMemoryTarget({ sizeBytes, logicalSectorSize: sectorSize });
      await writeDisk(planCase(c, 'another-run'), other);
      const stale = await stage.classify(other, none, expect);
      assert.is(stale.klass, 'lie', stale.evidence);
    });
  }
}

test.run();
