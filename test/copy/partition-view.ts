// A partition looked at directly, with no partition table to guide the tools: what blkid finds at its offset, what
// the filesystem's checker says, and the tree its reader (ntfs-3g, exfat-fuse, mtools) shows. The interruption tests
// judge each disk a stopped copy leaves with it: a reader that opens the volume must see every file.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FsKind } from '../../src/plan/layout.js';
import { attachLoopDevice, mustRun, runTool } from '../helpers/tools.js';
import { listTree, sorted, type Entry } from './trees.js';

export const CHECKER: Record<string, { blkidType: string; tool: string }> = {
  ntfs: { blkidType: 'ntfs', tool: 'ntfsfix' },
  exfat: { blkidType: 'exfat', tool: 'fsck.exfat' },
  fat32: { blkidType: 'vfat', tool: 'fsck.fat' },
};

export function withoutTimes(listing: Map<string, Entry>): [string, Entry][] {
  return sorted(new Map([...listing].map(([p, e]) => [p, { ...e, mtime: 0 }])));
}

/** What the partition's own tools say, with no table to guide them: blkid's TYPE at the offset, the checker's exit
 *  status, and the tree the filesystem's reader (ntfs-3g, exfat-fuse, mtools: tried on every state) shows, or
 *  null when it refuses the volume. */
export interface PartitionView { blkidType: string; checkerStatus: number; checkerTail: string; tree: [string, Entry][] | null }

function readTree(fs: FsKind, device: string, scratchDir: string): Map<string, Entry> | null {
  const mnt = join(scratchDir, 'mnt');
  rmSync(mnt, { recursive: true, force: true });
  mkdirSync(mnt, { recursive: true });
  if (fs === 'fat32') {
    const r = runTool('env', ['MTOOLS_SKIP_CHECK=1', 'mcopy', '-s', '-n', '-i', device, '::*', mnt], { timeoutMs: 60_000 });
    return r.status === 0 ? listTree(mnt) : null;
  }
  const m = runTool(fs === 'ntfs' ? 'ntfs-3g' : 'mount.exfat-fuse', ['-o', 'ro', device, mnt], { timeoutMs: 60_000 });
  if (m.status !== 0) return null;
  try {
    return new Map([...listTree(mnt)].filter(([p]) => !p.startsWith('/$')));
  } finally {
    mustRun('fusermount3', ['-u', mnt]);
  }
}

export function viewPartition(fs: FsKind, disk: string, part: { offsetBytes: number; sizeBytes: number }, scratchDir: string): PartitionView {
  const tags = runTool('blkid', ['-p', '-o', 'export', '-O', String(part.offsetBytes), '-S', String(part.sizeBytes), disk]).stdout;
  const blkidType = /^TYPE=(.*)$/m.exec(tags)?.[1] ?? '';
  const device = attachLoopDevice(['-r', '-o', String(part.offsetBytes), '--sizelimit', String(part.sizeBytes), disk]);
  try {
    const check = runTool(CHECKER[fs].tool, ['-n', device], { timeoutMs: 60_000 });
    const tree = readTree(fs, device, scratchDir);
    return { blkidType, checkerStatus: check.status, checkerTail: (check.stdout + check.stderr).trim().split('\n').slice(-3).join(' | '), tree: tree && withoutTimes(tree) };
  } finally {
    mustRun('losetup', ['-d', device]);
  }
}

