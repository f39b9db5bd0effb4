// The Windows-made exFAT volumes in shared/corpus, decoded by our decoders and compared with what we would plan
// for the same volume size and cluster size. Where we differ, the difference is listed here and explained in
// src/fs/exfat/plan.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkBootRegion } from '../../../src/fs/exfat/boot-region.js';
import { EXFAT_BOOT_SECTOR, decodeExfatBootSector, type ExfatBootSector } from '../../../src/fs/exfat/boot-sector.js';
import { decodeAllocationBitmapEntry, decodeUpcaseTableEntry, decodeVolumeLabelEntry } from '../../../src/fs/exfat/dir-entry.js';
import { planExfat } from '../../../src/fs/exfat/index.js';
import { exfatBootSectorFor, encodeRootEntries } from '../../../src/fs/exfat/format.js';
import { windowsUpcaseTable } from '../../../src/fs/exfat/upcase.js';
import { EXFAT_CORPUS, loadCorpusVolume } from './corpus.js';
import { exfatInput } from './helpers.js';

interface Sample {
  readonly file: string;
  readonly label: string | null;
  /** Sectors 12–23 are the region to trust (win_exfat_7's main boot sector is damaged on purpose). */
  readonly useBackup: boolean;
}
const SAMPLES: readonly Sample[] = [
  // formatted without a label (first entry 0x03); "test123" was set later, in a new 0x83 entry after the files
  { file: EXFAT_CORPUS.exfatWin, label: null, useBackup: false },
  { file: EXFAT_CORPUS.exfatEncrypted, label: 'encrypted', useBackup: false },
  { file: EXFAT_CORPUS.winExfat7, label: null, useBackup: true },
  { file: EXFAT_CORPUS.dissect, label: 'THESIS', useBackup: false },
];

/** Fields where a fresh volume of ours may legitimately differ from one Windows formatted and then used. */
const EXPECTED_DIFFERENCES = new Set([
  'volumeSerialNumber', // from the seed, not the clock
  'bootCode',           // our stub, never Microsoft's code
  'percentInUse',       // Windows updates it in the main boot sector as files are added
]);

function differences(theirs: ExfatBootSector, ours: ExfatBootSector): string[] {
  return (Object.keys(EXFAT_BOOT_SECTOR.fields) as (keyof ExfatBootSector)[]).filter((k) => {
    const a = theirs[k];
    const b = ours[k];
    return a instanceof Uint8Array && b instanceof Uint8Array ? !a.every((x, i) => x === b[i]) : a !== b;
  });
}

for (const sample of SAMPLES) {
  test(`corpus ${sample.file}: decodes, and our plan for its size matches Windows' geometry`, () => {
    const volume = loadCorpusVolume(sample.file);
    const bps = 512;
    const main = volume.subarray(0, 12 * bps);
    const backup = volume.subarray(12 * bps, 24 * bps);
    const mainFindings = checkBootRegion(main, bps, 'main');
    if (sample.useBackup) {
      assert.is(mainFindings[0]?.code, 'EXFAT_BOOT_CHECKSUM', 'win_exfat_7: the damaged main region fails its checksum');
    } else {
      assert.equal(mainFindings, []);
    }
    assert.equal(checkBootRegion(backup, bps, 'backup'), []);
    const region = sample.useBackup ? backup : main;
    const theirs = decodeExfatBootSector(region);
    const clusterSize = bps * 2 ** theirs.sectorsPerClusterShift;

    // the root directory: label, bitmap, up-case, in that order (no Volume GUID entry)
    const at = (c: number): number => theirs.clusterHeapOffset * bps + (c - 2) * clusterSize;
    const root = volume.subarray(at(theirs.firstClusterOfRootDirectory));
    const label = decodeVolumeLabelEntry(root.subarray(0, 32));
    assert.is(label.entryType === 0x83 ? label.volumeLabel : null, sample.label);
    const bitmap = decodeAllocationBitmapEntry(root.subarray(32, 64));
    const upcase = decodeUpcaseTableEntry(root.subarray(64, 96));
    assert.is(upcase.tableChecksum, windowsUpcaseTable().checksum);
    assert.ok(root.subarray(96, 96 + 32 * 8).every((_, i, a) => a[i - (i % 32)] !== 0xa0), 'no Volume GUID entry');

    // our plan for the same partition
    const plan = planExfat(exfatInput({
      partitionSizeBytes: theirs.volumeLength * bps,
      partitionStartLba: theirs.partitionOffset,
      clusterSize,
      label: sample.label ?? undefined,
    }));
    const ours = exfatBootSectorFor(plan);
    const diff = differences(theirs, ours).filter((k) => !EXPECTED_DIFFERENCES.has(k));
    assert.equal(diff, [], `${sample.file}: boot sector fields differ beyond serial, boot code and PercentInUse: ${diff.join(', ')}`);
    assert.is(bitmap.firstCluster, plan.bitmapFirstCluster);
    assert.is(bitmap.dataLength, plan.bitmapLengthBytes);
    assert.is(upcase.firstCluster, plan.upcaseFirstCluster);
    assert.equal(encodeRootEntries(plan).subarray(32, 96), root.subarray(32, 96), 'bitmap and up-case entries byte for byte');
    // the OEM parameters and reserved sectors: zero in both
    assert.ok(region.subarray(9 * bps, 11 * bps).every((b) => b === 0));
  });
}

test('corpus: our default cluster size differs from Windows\' only below 7 MiB', () => {
  // exfat_win (6 MiB) and dissect (1 MiB) have 512-byte clusters; Microsoft's table starts at 7 MiB with 4 KiB
  // and so do we (win_exfat_7, also 6 MiB, has 4 KiB clusters: Windows 7's choice or the user's).
  for (const [file, windowsCluster] of [[EXFAT_CORPUS.exfatWin, 512], [EXFAT_CORPUS.dissect, 512], [EXFAT_CORPUS.exfatEncrypted, 4096]] as const) {
    const volume = loadCorpusVolume(file);
    const bs = decodeExfatBootSector(volume);
    assert.is(512 * 2 ** bs.sectorsPerClusterShift, windowsCluster);
    const ours = planExfat(exfatInput({ partitionSizeBytes: bs.volumeLength * 512 })).clusterSize;
    assert.is(ours, 4096, file);
  }
});

test.run();
