// Judges for grown disks, all tools we did not write: sgdisk -v (GPT), sfdisk (where the partition is), ntfsfix -n,
// ntfsck -n (shared/tools/ntfsck), ntfsresize --info, ntfsinfo -m. A state of an interrupted grow is acceptable when
// the table is valid (or is the untouched old table on the bigger disk, which sgdisk reports only as "the backup
// header is not at the end") and the volume in the partition passes both NTFS checkers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../helpers/paths.js';
import { attachLoop, mustRun, runTool } from '../helpers/tools.js';

export function ntfsckPath(): string {
  const path = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');
  if (!existsSync(path)) throw new Error(`test needs ${path} (shared/tools/ntfsck, see its README)`);
  return path;
}

export interface Verdict {
  readonly ok: boolean;
  readonly evidence: string;
  /** ntfsfix -n mounts the volume and finds $MFT/$MFTMirr right, and objects only that the backup boot sector
   *  differs from the boot sector (it compares them byte for byte); ntfsck -n is clean. */
  readonly backupBootDiffers?: boolean;
}

/** sgdisk -v: "No problems found", or (`allowOld`) only the one problem of an old GPT on a grown disk. */
export function gptVerdict(device: string, allowOld: boolean): Verdict & { grown: boolean } {
  const out = mustRun('sgdisk', ['-v', device]);
  if (out.includes('No problems found')) return { ok: true, grown: true, evidence: 'sgdisk -v: no problems' };
  const onlyBackupNotAtEnd = /Identified 1 problems/.test(out) && /secondary header's self-pointer indicates that it doesn't reside\s+at the end of the disk/.test(out);
  if (allowOld && onlyBackupNotAtEnd) return { ok: true, grown: false, evidence: 'sgdisk -v: the old GPT, backup not at the end' };
  return { ok: false, grown: false, evidence: `sgdisk -v: ${out.trim().split('\n').filter(Boolean).join(' | ')}` };
}

/** Partitions sfdisk sees, in bytes. */
export function partitionsOf(device: string, sectorSize: number): { offsetBytes: number; sizeBytes: number }[] {
  const r = runTool('sfdisk', ['-J', device]);
  if (r.status !== 0) return [];
  const pt = (JSON.parse(r.stdout) as { partitiontable: { partitions?: { start: number; size: number }[] } }).partitiontable;
  return (pt.partitions ?? []).map((p) => ({ offsetBytes: p.start * sectorSize, sizeBytes: p.size * sectorSize }));
}

/** ntfsfix -n and ntfsck -n on the volume at [offsetBytes, +sizeBytes) of `device`. */
export function ntfsVerdict(device: string, offsetBytes: number, sizeBytes: number): Verdict {
  const loop = attachLoop(device, { offsetBytes, sizeBytes });
  try {
    const fix = runTool('ntfsfix', ['-n', loop.device]);
    const ck = runTool(ntfsckPath(), ['-n', loop.device]);
    const fixOut = fix.stdout + fix.stderr;
    const onlyBackup = fix.status !== 0 && /Mounting volume\.\.\. OK/.test(fixOut) && /\$MFTMirr completed successfully/.test(fixOut) && /alternate boot sector\.\.\. BAD/.test(fixOut);
    if (fix.status !== 0 && !(onlyBackup && ck.status === 0)) return { ok: false, evidence: `ntfsfix -n exits ${fix.status}: ${fixOut.trim().split('\n').slice(-3).join(' | ')}` };
    if (ck.status !== 0) return { ok: false, evidence: `ntfsck -n exits ${ck.status}: ${(ck.stdout + ck.stderr).trim().split('\n').slice(-4).join(' | ')}` };
    if (onlyBackup) return { ok: false, backupBootDiffers: true, evidence: 'ntfsck -n clean; ntfsfix -n mounts, finds $MFTMirr right, and says only that the backup boot sector differs' };
    return { ok: true, evidence: 'ntfsfix -n and ntfsck -n clean' };
  } finally {
    loop.detach();
  }
}

/** Volume size in bytes as ntfsresize --info and ntfsinfo -m report it (both must agree), and the $Volume flags
 *  ntfsinfo -m reads (ntfsinfo refuses a volume marked dirty: "Volume is scheduled for check"). */
export function reportedNtfsSize(device: string, offsetBytes: number, sizeBytes: number): { ntfsresizeBytes: number; ntfsinfoClusters: number; volumeFlags: number } {
  const loop = attachLoop(device, { offsetBytes, sizeBytes });
  try {
    const resize = mustRun('ntfsresize', ['--info', '-f', loop.device]);
    const m = /Current volume size: (\d+) bytes/.exec(resize);
    const info = mustRun('ntfsinfo', ['-m', loop.device]);
    const c = /Volume Size in Clusters: (\d+)/.exec(info);
    const f = /Volume Flags: 0x([0-9a-f]+)/i.exec(info);
    if (!m || !c || !f) throw new Error(`cannot read the volume size and flags:\n${resize}\n${info}`);
    return { ntfsresizeBytes: Number(m[1]), ntfsinfoClusters: Number(c[1]), volumeFlags: parseInt(f[1], 16) };
  } finally {
    loop.detach();
  }
}
