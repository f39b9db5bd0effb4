// Independent tools on bare volumes we made (sparse files; 4096-byte sectors through `losetup -b 4096`):
// fsck.fat -n -v says nothing but its healthy report, blkid/mtools/sleuthkit read our label and id, and mtools
// writes files that mtools, sleuthkit and fsck.fat then accept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogicalSectorSize } from '../../../src/plan/layout.js';
import { minFat32VolumeBytes } from '../../../src/fs/fat32/plan.js';
import { attachLoop, makeTempDir, requireTool, runTool } from '../../helpers/tools.js';
import { expectBlkid, expectFsckFatClean, expectMtools, expectSleuthkit, expectWriteRoundTrip } from './tool-checks.js';
import { fat32Input, makeVolume } from './volume-file.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

for (const tool of ['fsck.fat', 'blkid', 'minfo', 'mdir', 'mcopy', 'mtype', 'fsstat', 'fls', 'icat', 'losetup']) requireTool(tool);

interface Case { sector: LogicalSectorSize; sizeBytes: number; label: string | undefined; clusterSize?: number; write: boolean }
const cases: Case[] = [
  { sector: 512, sizeBytes: minFat32VolumeBytes(512, 512), label: 'SMALLEST', write: true },
  { sector: 4096, sizeBytes: minFat32VolumeBytes(4096, 4096), label: undefined, write: true },
  { sector: 512, sizeBytes: 64 * MiB, label: 'data 64', write: true },
  { sector: 512, sizeBytes: 1 * GiB, label: undefined, write: false },
  { sector: 4096, sizeBytes: 1 * GiB, label: 'FOUR K', write: true },
  { sector: 512, sizeBytes: 33 * GiB, label: 'BIG ONE', write: true },
  { sector: 4096, sizeBytes: 33 * GiB, label: 'X', clusterSize: 8192, write: false },
  { sector: 512, sizeBytes: 1 * TiB, label: 'TERA', write: false },
  { sector: 512, sizeBytes: 2 * TiB - 2 * MiB, label: 'TWO TERA', write: false },
];

for (const c of cases) {
  test(`${c.sector}-byte sectors, ${c.sizeBytes} bytes, label ${String(c.label)}${c.clusterSize ? `, ${c.clusterSize}-byte clusters` : ''}`, () => {
    const dir = makeTempDir('guestdisk-fat32-');
    try {
      const { path, plan } = makeVolume(dir.path, 'vol.img', fat32Input({
        partitionSizeBytes: c.sizeBytes, logicalSectorSize: c.sector, physicalSectorSize: c.sector,
        partitionStartLba: MiB / c.sector, label: c.label, clusterSize: c.clusterSize,
      }));
      const withDevice = <T>(fn: (device: string) => T): T => {
        if (c.sector === 512) return fn(path);
        const loop = attachLoop(path, { sectorSize: 4096 });
        try {
          return fn(loop.device);
        } finally {
          loop.detach();
        }
      };
      withDevice((device) => {
        expectFsckFatClean(device, plan);
        expectBlkid(device, plan);
        expectSleuthkit(device, plan);
      });
      expectMtools(path, plan);
      if (c.write) {
        expectWriteRoundTrip(dir.path, path, plan);
        withDevice((device) => expectFsckFatCleanAfterWrite(device));
      }
    } finally {
      dir.remove();
    }
  });
}

function expectFsckFatCleanAfterWrite(device: string): void {
  const r = runTool('fsck.fat', ['-n', device]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.not.match(r.stdout, /differ|wrong|invalid|corrupt|bad |error|reclaim|mismatch|dirty|lost|unable|cannot/i, r.stdout);
}

test.run();
