// Independent tools for tests: a missing tool fails the test with the Debian package that brings it (no skips).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Binary → Debian package; scripts/install-test-tools.sh installs every package named here. */
export const TOOL_PACKAGES: Record<string, string> = {
  sgdisk: 'gdisk', sfdisk: 'fdisk', fdisk: 'fdisk', parted: 'parted', blkid: 'util-linux', wipefs: 'util-linux',
  losetup: 'mount', partx: 'util-linux', mkntfs: 'ntfs-3g', ntfsinfo: 'ntfs-3g', ntfsfix: 'ntfs-3g',
  ntfsls: 'ntfs-3g', ntfsresize: 'ntfs-3g', ntfscat: 'ntfs-3g', 'ntfs-3g': 'ntfs-3g', ntfscluster: 'ntfs-3g',
  ntfssecaudit: 'ntfs-3g', fsstat: 'sleuthkit', fls: 'sleuthkit', icat: 'sleuthkit', mmls: 'sleuthkit',
  fsntfsinfo: 'libfsntfs-utils', 'fsck.exfat': 'exfatprogs', 'mkfs.exfat': 'exfatprogs', 'dump.exfat': 'exfatprogs',
  'mount.exfat-fuse': 'exfat-fuse', 'fsck.fat': 'dosfstools', 'mkfs.fat': 'dosfstools', mdir: 'mtools',
  mcopy: 'mtools', minfo: 'mtools', mtype: 'mtools', '7zz': '7zip', jq: 'jq', fusermount3: 'fuse3',
  blockdev: 'util-linux', mkswap: 'util-linux', swapon: 'util-linux', setpriv: 'util-linux', 'mkfs.ext4': 'e2fsprogs',
  python3: 'python3', truncate: 'coreutils', bash: 'bash', script: 'bsdutils', setfattr: 'attr', mmd: 'mtools', mdel: 'mtools',
  mren: 'mtools', iconv: 'libc-bin', istat: 'sleuthkit', cmp: 'diffutils', xz: 'xz-utils', bzip2: 'bzip2',
};

export function requireTool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', name], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) {
    const pkg = TOOL_PACKAGES[name] ?? '(unknown package)';
    throw new Error(`test needs '${name}' (Debian package ${pkg}): run scripts/install-test-tools.sh`);
  }
  return path;
}

export interface RunResult { status: number; stdout: string; stderr: string }

/** Runs a tool (argv array, no shell) and returns its status and output; never throws on a non-zero exit. */
export function runTool(name: string, args: readonly string[], options: { input?: string; timeoutMs?: number; cwd?: string } = {}): RunResult {
  requireTool(name);
  const r = spawnSync(name, args, { encoding: 'utf8', input: options.input, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20, cwd: options.cwd });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs a tool and throws (with its output) unless it exits 0. */
export function mustRun(name: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): string {
  const r = runTool(name, args, options);
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function makeTempDir(prefix = 'guestdisk-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Attaches a loop device (read-only unless asked), optionally with 4096-byte sectors or an offset/size limit. */
/**
 * `losetup -f --show ARGS`, one at a time across every test process. Two losetups racing for the same free device
 * both open it, and the loser holds it open for writing for a moment: a guestdisk run on that device from another
 * test then rightly finds it in use. Serialised, the second losetup is offered the next free device instead.
 */
const LOSETUP_LOCK = '/run/lock/guestdisk-tests-losetup';
export function attachLoopDevice(args: readonly string[], options: { timeoutMs?: number } = {}): string {
  return mustRun('flock', [LOSETUP_LOCK, 'losetup', '-f', '--show', ...args], options).trim();
}

export function attachLoop(file: string, options: { sectorSize?: 512 | 4096; offsetBytes?: number; sizeBytes?: number; readOnly?: boolean } = {}): { device: string; detach(): void } {
  const args: string[] = [];
  if (options.readOnly ?? true) args.push('-r');
  if (options.sectorSize) args.push('-b', String(options.sectorSize));
  if (options.offsetBytes !== undefined) args.push('-o', String(options.offsetBytes));
  if (options.sizeBytes !== undefined) args.push('--sizelimit', String(options.sizeBytes));
  args.push(file);
  const device = attachLoopDevice(args);
  return { device, detach: () => { execFileSync('losetup', ['-d', device]); } };
}
