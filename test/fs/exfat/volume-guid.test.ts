// --exfat-volume-guid: the optional Volume GUID entry (0xA0) in the root, its GUID from the seed; off by default.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli } from '../../helpers/cli.js';
import { makeTempDir, mustRun } from '../../helpers/tools.js';
import { deriveGuid } from '../../../src/binary/identity.js';
import { DIR_ENTRY_SIZE, ENTRY_TYPE, decodeVolumeGuidEntry } from '../../../src/fs/exfat/dir-entry.js';
import { EXIT_CODE } from '../../../src/cli/exit-codes.js';
import { EXFAT_BOOT_SECTOR } from '../../../src/fs/exfat/boot-sector.js';

const tmp = makeTempDir('exfat-guid-');
const MiB = 2 ** 20;

interface ExfatDetails { volumeGuid: string | null; label: string | null; clusterSize: number }

async function inspectJson(path: string): Promise<{ partitions: { startLba: number; filesystem: { details: ExfatDetails } }[]; findings: { code: string }[] }> {
  return JSON.parse((await mustCli(['inspect', path, '--json'])).stdout);
}

/** Byte offset of the root directory's first entry, from the boot sector's ClusterHeapOffset,
 *  FirstClusterOfRootDirectory and the two shifts, read through our boot-sector table. */
function rootOffset(path: string, partitionStartBytes: number): number {
  const fd = openSync(path, 'r');
  try {
    const bytes = new Uint8Array(EXFAT_BOOT_SECTOR.sizeBytes);
    readSync(fd, bytes, 0, bytes.length, partitionStartBytes);
    const bs = EXFAT_BOOT_SECTOR.decode(bytes);
    const sector = 2 ** bs.bytesPerSectorShift;
    const cluster = sector * 2 ** bs.sectorsPerClusterShift;
    return partitionStartBytes + bs.clusterHeapOffset * sector + (bs.firstClusterOfRootDirectory - 2) * cluster;
  } finally {
    closeSync(fd);
  }
}

for (const sector of [512, 4096] as const) {
  test(`${sector}: with --exfat-volume-guid the root holds a valid 0xA0 entry with the seed's GUID; inspect reports it, verify is clean`, async () => {
    const img = join(tmp.path, `guid-${sector}.img`);
    await mustCli(['create', img, '--size', '256M', '--fs', 'exfat', '--label', 'GUIDVOL', '--sector-size', String(sector), '--seed', 'guid-seed', '--timestamp', '1700000000', '--exfat-volume-guid']);
    const report = await inspectJson(img);
    const expected = deriveGuid('guid-seed', 'exfat-volume-guid/1');
    assert.is(report.partitions[0].filesystem.details.volumeGuid, expected);
    assert.is(report.partitions[0].filesystem.details.label, 'GUIDVOL');
    assert.equal(report.findings, []);
    assert.is((await runCli(['verify', img])).status, 0);

    const at = rootOffset(img, report.partitions[0].startLba * sector);
    const fd = openSync(img, 'r');
    const root = new Uint8Array(4 * DIR_ENTRY_SIZE);
    readSync(fd, root, 0, root.length, at);
    closeSync(fd);
    assert.equal([...root].filter((_, i) => i % DIR_ENTRY_SIZE === 0), [ENTRY_TYPE.volumeLabel, ENTRY_TYPE.allocationBitmap, ENTRY_TYPE.upcaseTable, ENTRY_TYPE.volumeGuid]);
    assert.is(decodeVolumeGuidEntry(root.subarray(3 * DIR_ENTRY_SIZE)).volumeGuid, expected, 'our decoder checks the set checksum too');

    // sleuthkit reads the volume (it knows the 0xA0 entry type) and blkid still sees our label.
    const offsetSectors = String(report.partitions[0].startLba);
    const fsstat = mustRun('fsstat', ['-b', String(sector), '-o', offsetSectors, img]);
    assert.match(fsstat, /exFAT/);
    assert.match(fsstat, /GUIDVOL/);
  });
}

test('without the option there is no Volume GUID entry (as Windows formats)', async () => {
  const img = join(tmp.path, 'noguid.img');
  await mustCli(['create', img, '--size', '64M', '--fs', 'exfat', '--seed', 'guid-seed', '--timestamp', '1700000000']);
  assert.is((await inspectJson(img)).partitions[0].filesystem.details.volumeGuid, null);
});

test('a wrong set checksum in the Volume GUID entry is EXFAT_VOLUME_GUID_ENTRY_SET_CHECKSUM', async () => {
  const img = join(tmp.path, 'badguid.img');
  await mustCli(['create', img, '--size', '64M', '--fs', 'exfat', '--seed', 'guid-seed', '--timestamp', '1700000000', '--exfat-volume-guid']);
  const start = (await inspectJson(img)).partitions[0].startLba * 512;
  const fd = openSync(img, 'r+');
  const guidEntry = rootOffset(img, start) + 3 * DIR_ENTRY_SIZE;
  const sum = new Uint8Array(2);
  readSync(fd, sum, 0, 2, guidEntry + 2);
  writeSync(fd, Uint8Array.of(sum[0] ^ 0xff, sum[1]), 0, 2, guidEntry + 2);
  closeSync(fd);
  const codes = (await inspectJson(img)).findings.map((f) => f.code);
  assert.ok(codes.includes('EXFAT_VOLUME_GUID_ENTRY_SET_CHECKSUM'), codes.join(', '));
  assert.is.not((await runCli(['verify', img])).status, 0);
});

test('--exfat-volume-guid with another filesystem is refused before anything is written', async () => {
  for (const fs of ['ntfs', 'fat32', 'none']) {
    const img = join(tmp.path, `refused-${fs}.img`);
    const r = await runCli(['create', img, '--size', '64M', '--fs', fs, '--seed', 's', '--exfat-volume-guid']);
    assert.is(r.status, EXIT_CODE.INVALID_SPEC, r.stderr);
    assert.match(r.stderr, /--exfat-volume-guid/);
    assert.not.ok(existsSync(img), `${fs}: no file was created`);
  }
});

test.after(() => tmp.remove());
test.run();
