// No false alarms from the exFAT walk at scale: mkfs.exfat, then exfat-fuse writes 10,000 entries into one directory
// (long names over several name entries), deletes every third, renames some into another directory, and writes
// fragmented files beside them; once on 512-byte sectors and once on a 4Kn loop device (losetup -b 4096, where
// mkfs.exfat takes the device's sector size). fsck.exfat -n must find each volume clean, and verify no finding.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXFAT_BOOT_SECTOR } from '../../src/fs/exfat/boot-sector.js';
import { inspectExfatVolume } from '../../src/inspect/fs-exfat.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

for (const t of ['mkfs.exfat', 'fsck.exfat', 'mount.exfat-fuse', 'losetup', 'truncate', 'bash']) requireTool(t);

const ENTRIES = 10_000;
const POPULATE = String.raw`
set -e
cd "$1"
mkdir many moved
i=0; while [ $i -lt $2 ]; do printf "$i" > "many/entry number $i with a name over two entries.txt"; i=$((i+1)); done
i=0; while [ $i -lt $2 ]; do rm "many/entry number $i with a name over two entries.txt"; i=$((i+3)); done
i=1; while [ $i -lt 200 ]; do mv "many/entry number $i with a name over two entries.txt" "moved/renamed $i.txt"; i=$((i+3)); done
i=0; while [ $i -lt 20 ]; do head -c 30000 /dev/urandom >> frag-a.bin; head -c 30000 /dev/urandom >> frag-b.bin; i=$((i+1)); done
`;

const dir = makeTempDir('guestdisk-exfat-walk-scale-');
test.after(() => dir.remove());

for (const sectorSize of [512, 4096] as const) {
  test(`exfat-fuse, ${ENTRIES} entries in one directory, deletions, renames, fragments, ${sectorSize}-byte sectors: fsck.exfat clean, no finding`, async () => {
    const image = join(dir.path, `scale-${sectorSize}.img`);
    const mnt = join(dir.path, `mnt-${sectorSize}`);
    mkdirSync(mnt);
    mustRun('truncate', ['-s', '128M', image]);
    const loop = attachLoop(image, { readOnly: false, sectorSize });
    try {
      mustRun('mkfs.exfat', ['-L', 'SCALE', loop.device]);
      mustRun('mount.exfat-fuse', [loop.device, mnt]);
      try {
        mustRun('bash', ['-c', POPULATE, 'populate', mnt, String(ENTRIES)], { timeoutMs: 300_000 });
      } finally {
        mustRun('umount', [mnt]);
      }
      const fsck = runTool('fsck.exfat', ['-n', loop.device]);
      assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
      assert.match(fsck.stdout, `files ${ENTRIES - Math.ceil(ENTRIES / 3) + 2}`);
    } finally {
      loop.detach();
    }
    const bytes = new Uint8Array(readFileSync(image));
    assert.is(2 ** EXFAT_BOOT_SECTOR.decode(bytes).bytesPerSectorShift, sectorSize, 'BytesPerSectorShift');
    const t = openMemoryTarget({ sizeBytes: bytes.length, initial: bytes, logicalSectorSize: sectorSize });
    const { findings } = await inspectExfatVolume(t, { partitionStartLba: null, partitionSizeBytes: bytes.length });
    assert.equal(findings.map((f) => `${f.severity} ${f.code}: ${f.message}`), []);
  });
}

test.run();
