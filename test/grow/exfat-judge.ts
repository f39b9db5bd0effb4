// exFAT judges for grown disks: fsck.exfat -n (exfatprogs) on the volume, and the cluster count dump.exfat reads.
import { attachLoop, runTool } from '../helpers/tools.js';
import type { Verdict } from './judge.js';

/** fsck.exfat -n on the volume at [offsetBytes, +sizeBytes) of `device`; also the cluster count and bitmap that
 *  dump.exfat reads from the main boot sector and root directory. */
export function exfatVerdict(device: string, offsetBytes: number, sizeBytes: number, sectorSize: 512 | 4096): Verdict & { clusters: number | null } {
  const loop = attachLoop(device, { offsetBytes, sizeBytes, sectorSize, readOnly: true });
  try {
    const r = runTool('fsck.exfat', ['-n', '-v', loop.device]);
    const out = (r.stdout + r.stderr).trim();
    const dump = runTool('dump.exfat', [loop.device]).stdout;
    const m = /Cluster Count:\s*(\d+)/.exec(dump);
    const clusters = m ? Number(m[1]) : null;
    if (r.status !== 0) return { ok: false, clusters, evidence: `fsck.exfat -n exits ${r.status}: ${out.split('\n').slice(-4).join(' | ')}` };
    return { ok: true, clusters, evidence: `fsck.exfat -n clean (${clusters} clusters)` };
  } finally {
    loop.detach();
  }
}
