// What the VM test files share: the one-time build of a guest (kernel lookup, initramfs, guestdisk bundle), the
// bash functions every guest step starts with, and parsing of the key=value lines the steps print.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuestdiskBundle } from './bundle.js';
import { buildInitramfs } from './initramfs.js';
import { findGuestKernel, type GuestKernel } from './kernel.js';

export interface GuestKit {
  readonly kernel: GuestKernel;
  readonly initramfs: string;
  /** Directory holding the `guestdisk` wrapper (first on the guest's PATH). */
  readonly binDir: string;
  readonly dir: string;
  remove(): void;
}

/** Builds what a guest needs, or returns the reason the VM tests are skipped (only: no installable kernel). */
export async function prepareGuestKit(prefix: string): Promise<GuestKit | { skipReason: string }> {
  const lookup = findGuestKernel();
  if ('skipReason' in lookup) return lookup;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const binDir = await buildGuestdiskBundle(dir);
  const initramfs = buildInitramfs(lookup.kernel, dir);
  return { kernel: lookup.kernel, initramfs, binDir, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A sparse raw image of `sizeBytes` in DIR (all hole: costs no disk space until the guest writes). */
export function sparseImage(dir: string, name: string, sizeBytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, sizeBytes);
  return path;
}

/** `key=value` lines of a step's stdout (the last one wins); other lines are ignored. */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z][\w.-]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * Bash functions at the top of every step. check_volume DEV FS: verify with guestdisk, then reach partition 1
 * through a loop device at its offset (sfdisk reads the table), run the filesystem's own checker, mount it with the
 * guest's kernel (ntfs-3g for NTFS: Debian 12's kernel has no ntfs3), write a file, unmount, mount again and
 * read it back.
 */
export const STEP_PRELUDE = String.raw`
mount_fs() { case $1 in ntfs) ntfs-3g "$2" "$3" ;; exfat) mount -t exfat "$2" "$3" ;; fat32) mount -t vfat "$2" "$3" ;; esac; }
fsck_fs() { case $1 in ntfs) ntfsfix -n "$2" ;; exfat) fsck.exfat -n "$2" ;; fat32) fsck.fat -n "$2" ;; esac; }
check_volume() {
  local dev=$1 fs=$2 json start size ss loop
  guestdisk verify "$dev" >&2; echo "verify=$?"
  json=$(sfdisk -J "$dev")
  echo "table=$(jq -r .partitiontable.label <<<"$json")"
  start=$(jq -r '.partitiontable.partitions[0].start' <<<"$json"); size=$(jq -r '.partitiontable.partitions[0].size' <<<"$json")
  ss=$(blockdev --getss "$dev")
  loop=$(losetup -f --show -o $((start * ss)) --sizelimit $((size * ss)) "$dev") || { echo "loop=failed"; return 1; }
  blkid -o export "$loop" | grep -E '^(TYPE|LABEL)=' | sed 's/^/blkid./'
  fsck_fs "$fs" "$loop" >&2; echo "fsck=$?"
  mkdir -p /mnt/v
  if mount_fs "$fs" "$loop" /mnt/v; then
    echo "written in the guest on $dev" > /mnt/v/probe.txt; sync; umount /mnt/v
    mount_fs "$fs" "$loop" /mnt/v && echo "readback=$(cat /mnt/v/probe.txt)" && umount /mnt/v
  else
    echo "mount=failed"
  fi
  losetup -d "$loop"
}
`;

export function withPrelude(script: string): string {
  return `${STEP_PRELUDE}\n${script}\n`;
}
