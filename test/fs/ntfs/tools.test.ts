// Bare volumes from our formatter, judged by tools we did not write: ntfs-3g's ntfsfix, ntfsinfo, ntfsls,
// ntfsresize, ntfscluster, ntfssecaudit; sleuthkit fsstat/fls/icat; libfsntfs fsntfsinfo; 7-Zip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { FIXTURES_DIR } from '../../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, runTool } from '../../helpers/tools.js';
import { GIB, MIB, TIB, ntfsInput, planNtfs, writeVolumeFile } from './volume-helpers.js';
import type { NtfsPlan } from '../../../src/fs/ntfs/index.js';

const SYSTEM_FILES = ['$AttrDef', '$BadClus', '$Bitmap', '$Boot', '$Extend', '$LogFile', '$MFT', '$MFTMirr', '$Secure', '$UpCase', '$Volume'];

/** Runs `check` with a device path for the volume: the file itself (512) or a 4096-byte loop device. */
function withDevice(plan: NtfsPlan, file: string, check: (dev: string) => void): void {
  if (plan.bytesPerSector === 512) {
    check(file);
    return;
  }
  const loop = attachLoop(file, { sectorSize: 4096 });
  try {
    check(loop.device);
  } finally {
    loop.detach();
  }
}

function judge(plan: NtfsPlan, file: string, what: string): void {
  withDevice(plan, file, (dev) => {
    const fix = mustRun('ntfsfix', ['-n', dev]);
    assert.match(fix, /processed successfully/, `${what}: ntfsfix`);
    assert.not.match(fix, /FAILED|corrupt|error/i, `${what}: ntfsfix ${fix}`);
    const info = mustRun('ntfsinfo', ['-m', dev]);
    assert.match(info, /Volume Version: 3\.1/, what);
    assert.match(info, new RegExp(`Cluster Size: ${plan.clusterSize}\\n`), what);
    assert.match(info, new RegExp(`Volume Size in Clusters: ${plan.clusterCount}\\n`), what);
    assert.match(info, new RegExp(`LCN of Data Attribute for FILE_MFT: ${plan.mftLcn}\\n`), what);
    assert.match(info, /Volume Flags: 0x0000/, what);
    const ls = mustRun('ntfsls', ['-a', '-s', dev]).split('\n');
    for (const name of SYSTEM_FILES) assert.ok(ls.includes(name), `${what}: ntfsls lacks ${name}`);
    const resize = runTool('ntfsresize', ['--info', '--force', '--no-progress-bar', dev]);
    assert.is(resize.status, 0, `${what}: ntfsresize ${resize.stdout}${resize.stderr}`);
    assert.not.match(resize.stdout + resize.stderr, /error|inconsist|corrupt|bad/i, `${what}: ntfsresize`);
    const cluster = runTool('ntfscluster', ['--info', dev]);
    assert.is(cluster.status, 0, `${what}: ntfscluster ${cluster.stderr}`);
    const audit = runTool('ntfssecaudit', ['-a', dev], { timeoutMs: 60_000 });
    assert.is(audit.status, 0, `${what}: ntfssecaudit ${audit.stdout}`);
    assert.match(audit.stdout, /No errors were found/, what);
  });
  // sleuthkit 4.11 does not open NTFS with clusters above 64 KiB at all, not even Windows' own 2 MiB volume
  // (corpus ntfs-2m.raw.gz: "Cannot determine file system type"); the other tools cover those volumes.
  if (plan.clusterSize > 65536) {
    assert.is.not(runTool('fsstat', ['-b', String(plan.bytesPerSector), file]).status, 0, `${what}: sleuthkit learnt large clusters: check them`);
  } else {
    sleuthkit(plan, file, what);
  }
  if (plan.bytesPerSector === 512) {
    const fsntfs = runTool('fsntfsinfo', ['-E', 'all', file]);
    assert.is(fsntfs.status, 0, `${what}: fsntfsinfo ${fsntfs.stderr}`);
    assert.is(fsntfs.stderr.trim(), '', `${what}: fsntfsinfo stderr`);
    assert.is((fsntfs.stdout.match(/^MFT entry:/gm) ?? []).length, layoutRecords(plan), what);
    const h = runTool('fsntfsinfo', ['-H', file]);
    assert.is(h.status, 0, what);
    assert.match(h.stdout, /\\\$Extend\\\$Quota/, what);
    const sz = runTool('7zz', ['t', file]);
    assert.is(sz.status, 0, `${what}: 7zz ${sz.stdout}`);
    assert.match(sz.stdout, /Everything is Ok/, what);
  }
}

function sleuthkit(plan: NtfsPlan, file: string, what: string): void {
  const sectorArgs = ['-b', String(plan.bytesPerSector)];
  const fsstat = mustRun('fsstat', [...sectorArgs, file]);
  assert.match(fsstat, /File System Type: NTFS/, what);
  assert.match(fsstat, new RegExp(`Volume Serial Number: ${plan.serial.toUpperCase()}`), what);
  const fls = runTool('fls', [...sectorArgs, '-r', '-p', file]);
  assert.is(fls.status, 0, `${what}: fls ${fls.stderr}`);
  assert.is(fls.stderr.trim(), '', `${what}: fls stderr`);
  // mkntfs leaves records 16-23 formatted but unused; sleuthkit lists exactly those as orphans.
  const deleted = fls.stdout.split('\n').filter((l) => / \* /.test(l) && !/OrphanFile-(1[6-9]|2[0-3])$/.test(l));
  assert.equal(deleted, [], `${what}: fls unexpected unallocated entries`);
  const icat = runTool('icat', [...sectorArgs, file, '4']); // $AttrDef
  assert.is(icat.status, 0, what);
  assert.is(icat.stdout.length, 2560, `${what}: icat $AttrDef`);
}

function layoutRecords(plan: NtfsPlan): number {
  return Math.max(27 * plan.mftRecordSize, plan.clusterSize) / plan.mftRecordSize;
}

const CASES: [string, Parameters<typeof ntfsInput>[0]][] = [
  ['smallest allowed (2 MiB)', { partitionSizeBytes: 2 * MIB }],
  ['64 MiB, 4 KiB clusters', {}],
  ['64 MiB, 512-byte clusters', { clusterSize: 512 }],
  ['1 GiB, 64 KiB clusters', { partitionSizeBytes: GIB, clusterSize: 65536 }],
  ['1 GiB, 2 MiB clusters', { partitionSizeBytes: GIB, clusterSize: 2 * MIB }],
  ['64 MiB, 4Kn', { logicalSectorSize: 4096, physicalSectorSize: 4096, partitionStartLba: 256 }],
  ['1 GiB, 4Kn, 64 KiB clusters', { partitionSizeBytes: GIB, logicalSectorSize: 4096, physicalSectorSize: 4096, partitionStartLba: 256, clusterSize: 65536 }],
  ['1 TiB sparse', { partitionSizeBytes: TIB }],
];

for (const [name, overrides] of CASES) {
  test(`tools accept a bare volume: ${name}`, async () => {
    const dir = makeTempDir('guestdisk-ntfs-');
    try {
      const plan = planNtfs(ntfsInput({ label: 'Tëst 😀 Vol', ...overrides }));
      const file = join(dir.path, 'vol.img');
      await writeVolumeFile(plan, file);
      judge(plan, file, name);
    } finally {
      dir.remove();
    }
  });
}

test('golden: ntfsinfo -m of the seeded 64 MiB volume equals fixtures/ntfs/volume-64m.ntfsinfo-m.txt', async () => {
  const dir = makeTempDir('guestdisk-ntfs-golden-');
  try {
    const file = join(dir.path, 'volume-64m.img');
    await writeVolumeFile(planNtfs(ntfsInput()), file);
    const out = mustRun('ntfsinfo', ['-m', file]).split(file).join('volume-64m.img');
    assert.fixture(out, readFileSync(join(FIXTURES_DIR, 'ntfs', 'volume-64m.ntfsinfo-m.txt'), 'utf8'));
  } finally {
    dir.remove();
  }
});

test.run();
