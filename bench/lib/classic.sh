#!/bin/bash
# The classic pipeline as one command, so that it is timed and measured as a whole:
#   classic.sh image IMG SIZE FS LABEL   sparse file -> parted -> loop device with partitions -> mkfs -> detach
#   classic.sh device DEV FS LABEL       parted on an existing (loop) block device -> partition node -> mkfs
# FS is ntfs | exfat | fat32. The partition node comes from the kernel's partition scan (losetup -P) when the
# kernel has a GPT parser, else from partx -a (BLKPG), which works without one.
set -euo pipefail
mode=$1
case $mode in
  image)
    img=$2 size=$3 fs=$4 label=$5
    truncate -s "$size" "$img"
    parted -s "$img" mklabel gpt mkpart primary ntfs 0% 100% set 1 msftdata on
    dev=$(losetup -f --show -P "$img")
    trap 'partx -d "$dev" 2>/dev/null; losetup -d "$dev"' EXIT
    ;;
  device)
    dev=$2 fs=$3 label=$4
    parted -s "$dev" mklabel gpt mkpart primary ntfs 0% 100% set 1 msftdata on
    ;;
  *) echo "classic.sh: unknown mode $mode" >&2; exit 2 ;;
esac
[ -b "${dev}p1" ] || partx -a "$dev"
case $fs in
  ntfs) mkntfs -Q -L "$label" "${dev}p1" ;;
  exfat) mkfs.exfat -L "$label" "${dev}p1" ;;
  fat32) mkfs.fat -F 32 -n "$label" "${dev}p1" ;;
  *) echo "classic.sh: unknown filesystem $fs" >&2; exit 2 ;;
esac
