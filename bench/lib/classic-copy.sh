#!/bin/bash
# The classic way to make a data disk that holds files, as one command so that it is timed as a whole:
#   classic-copy.sh IMG SIZE FS SRC MNT
# sparse file -> parted (GPT, partition from 1 MiB, as guestdisk lays it out) -> loop device -> mkfs ->
#   ntfs:  mkntfs -Q, ntfs-3g mount, cp -a, umount, wait for the ntfs-3g daemon to exit
#   exfat: mkfs.exfat, exfat-fuse mount, cp -a, umount, wait for the exfat-fuse daemon to exit
#   fat32: mkfs.fat -F 32, loop detached, mcopy -s -m into the image at the partition's offset
# -> loop detached -> fsync of the image file (`sync IMG`), the flush guestdisk ends with too.
# umount of a FUSE mount returns before the daemon has written its last metadata and closed the device: the run
# is over only when the daemon process is gone.
set -euo pipefail
img=$1 size=$2 fs=$3 src=$4 mnt=$5
PART_OFFSET=1048576
truncate -s "$size" "$img"
parted -s "$img" mklabel gpt mkpart primary ntfs 1MiB 100% set 1 msftdata on
dev=$(losetup -f --show -P "$img")
mounted=''
cleanup() {
  if [ -n "$mounted" ]; then umount "$mnt" 2>/dev/null || true; fi
  if [ -n "$dev" ]; then partx -d "$dev" 2>/dev/null || true; losetup -d "$dev" 2>/dev/null || true; fi
}
trap cleanup EXIT
[ -b "${dev}p1" ] || partx -a "$dev"
mkdir -p "$mnt"

daemon_of() { # the FUSE daemon serving $mnt: "ntfs-3g DEV MNT" or "mount.exfat-fuse DEV MNT"
  pgrep -f -x -- "(ntfs-3g|mount\.exfat-fuse) ${dev}p1 $mnt" | head -n 1
}
fuse_copy() {
  mounted=1
  local pid
  pid=$(daemon_of)
  [ -n "$pid" ] || { echo "classic-copy.sh: no FUSE daemon found for $mnt" >&2; exit 1; }
  cp -a "$src/." "$mnt/"
  umount "$mnt"
  mounted=''
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
}

case $fs in
  ntfs)
    mkntfs -Q -q -L BENCH "${dev}p1"
    ntfs-3g "${dev}p1" "$mnt"
    fuse_copy
    ;;
  exfat)
    mkfs.exfat -L BENCH "${dev}p1" >/dev/null
    mount.exfat-fuse "${dev}p1" "$mnt" 2>/dev/null
    fuse_copy
    ;;
  fat32)
    mkfs.fat -F 32 -n BENCH "${dev}p1" >/dev/null
    partx -d "$dev" 2>/dev/null || true
    losetup -d "$dev"
    dev=''
    # mcopy wants its arguments, not a directory's content: the top-level names of SRC.
    shopt -s dotglob nullglob
    entries=("$src"/*)
    MTOOLS_SKIP_CHECK=1 mcopy -s -m -Q -i "$img@@$PART_OFFSET" "${entries[@]}" ::/
    ;;
  *) echo "classic-copy.sh: unknown filesystem $fs" >&2; exit 2 ;;
esac
if [ -n "$dev" ]; then partx -d "$dev" 2>/dev/null || true; losetup -d "$dev"; dev=''; fi
sync "$img"
