// No false alarms from the whole-volume NTFS checks on the read tests' volume (test/read/ntfs-volume.ts): mkntfs,
// then ntfs-3g wrote a 10,000-entry directory, compressed, sparse and fragmented files, an attribute list, streams,
// hard links, symlinks and a junction, a DOS alias, POSIX names differing in case, deletions and renames; once with
// 512-byte sectors and once with 4096-byte ones (mkntfs -s 4096). ntfsck -n must find it clean too, or the
// comparison means nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { inspectNtfsVolume } from '../../src/inspect/fs-ntfs.js';
import { openFileTarget } from '../../src/target/file-target.js';
import { SHARED_DIR } from '../helpers/paths.js';
import { runTool } from '../helpers/tools.js';
import { makeNtfsFixture } from '../read/ntfs-volume.js';

const NTFSCK = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');

for (const sectorSize of [512, 4096] as const) {
  test(`the read tests' ntfs-3g volume, ${sectorSize}-byte sectors: no error findings, and ntfsck -n finds it clean`, async () => {
    const fixture = makeNtfsFixture({ sectorSize });
    try {
      assert.is(runTool(NTFSCK, ['-n', '-q', fixture.image]).status, 0, 'ntfsck -n finds the volume clean');
      const target = await openFileTarget({ path: fixture.image, mode: 'read', logicalSectorSize: sectorSize });
      try {
        const { report, findings } = await inspectNtfsVolume(target, { partitionStartLba: null, partitionSizeBytes: target.sizeBytes });
        assert.is(report.bytesPerSector, sectorSize);
        assert.equal(findings.filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}`), []);
      } finally {
        await target.close();
      }
    } finally {
      fixture.remove();
    }
  });
}

test.run();
