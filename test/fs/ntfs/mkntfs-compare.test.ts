// Side by side with mkntfs (ntfs-3g 2022.10.3) on a partition of the same size: the volume parameters
// (`ntfsinfo -m`) and every system record 0–26 (`ntfsinfo -i N`: flags, attributes, names, residency, sizes,
// file attributes, security ids, runlists' sizes) must be equal. mkntfs -T sets every time to the Unix epoch,
// so we plan with timestamp 0. Differences by design, masked below:
// - "Upd. Seq. Number": we protect every record with USN 1; mkntfs ends at 2 (it bumps the USN per write);
// - the serial number (ours from the seed; ntfsinfo -i does not print it);
// and, not visible to ntfsinfo: our boot code stub, hidden sectors/geometry (mkntfs gets them from -p/-H/-S here),
// record numbers in the unused records 16–23 (mkntfs leaves 0) and zero padding where mkntfs leaves stale bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { attachLoop, makeTempDir, mustRun } from '../../helpers/tools.js';
import { GIB, MIB, ntfsInput, planNtfs, writeVolumeFile } from './volume-helpers.js';

function mask(text: string, device: string): string {
  return text
    .split(device).join('DEVICE')
    .replace(/^Upd\. Seq\. Number:.*$/gm, 'Upd. Seq. Number: (masked)');
}

function ntfsinfoAll(device: string): string[] {
  const out = [mask(mustRun('ntfsinfo', ['-m', device]), device)];
  for (let i = 0; i <= 26; i++) out.push(mask(mustRun('ntfsinfo', ['-i', String(i), device]), device));
  return out;
}

function sparseFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
}

for (const [size, sector, cluster] of [
  [64 * MIB, 512, undefined],
  [300 * MIB, 512, 1024],
  [GIB, 512, 65536],
  [64 * MIB, 4096, undefined],
] as const) {
  test(`ntfsinfo of ours equals mkntfs's: ${size / MIB} MiB, ${sector}-byte sectors, cluster ${cluster ?? 'default'}`, async () => {
    const dir = makeTempDir('guestdisk-ntfs-cmp-');
    try {
      const start = sector === 512 ? 2048 : 256;
      const ours = join(dir.path, 'ours.img');
      const theirs = join(dir.path, 'mkntfs.img');
      const plan = planNtfs(ntfsInput({ partitionSizeBytes: size, logicalSectorSize: sector, physicalSectorSize: sector, clusterSize: cluster, timestamp: 0, partitionStartLba: start }));
      await writeVolumeFile(plan, ours);
      sparseFile(theirs, size);
      const args = ['-F', '-Q', '-T', '-L', 'WindowsData', '-s', String(sector), '-p', String(start), '-H', String(plan.heads), '-S', String(plan.sectorsPerTrack)];
      if (cluster) args.push('-c', String(cluster));
      mustRun('mkntfs', [...args, theirs]);
      const a = attachLoop(ours, { sectorSize: sector });
      const b = attachLoop(theirs, { sectorSize: sector });
      try {
        const mine = ntfsinfoAll(a.device);
        const ref = ntfsinfoAll(b.device);
        for (let i = 0; i < ref.length; i++) assert.fixture(mine[i], ref[i], i === 0 ? 'ntfsinfo -m' : `ntfsinfo -i ${i - 1}`);
      } finally {
        a.detach();
        b.detach();
      }
    } finally {
      dir.remove();
    }
  });
}

test.run();
