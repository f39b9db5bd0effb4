#!/bin/bash
# read-images.sh DIR SIZE_MIB FILES
# Makes the read bench's volumes in DIR, each a bare volume in a sparse image, written by the tools users have:
#   ntfs.img   mkntfs, then through ntfs-3g: /big.bin (SIZE_MIB MiB of random bytes) and /many/ (FILES empty files)
#   exfat.img  mkfs.exfat, then /big.bin through exfat-fuse
#   fat32.img  mkfs.fat -F 32, then /big.bin with mtools' mcopy
set -euo pipefail
dir=$1 size_mib=$2 files=$3
mnt=$dir/mnt
mkdir -p "$mnt"
loop=
trap 'mountpoint -q "$mnt" && umount "$mnt"; [ -n "$loop" ] && losetup -d "$loop"; true' EXIT
head -c "$((size_mib << 20))" /dev/urandom >"$dir/big.bin"
image_mib=$((size_mib + size_mib / 4 + 256))

rm -f "$dir/ntfs.img"; truncate -s "${image_mib}M" "$dir/ntfs.img"
mkntfs -q -F -Q -L BENCH "$dir/ntfs.img"
ntfs-3g "$dir/ntfs.img" "$mnt"
cp "$dir/big.bin" "$mnt/big.bin"
mkdir "$mnt/many"
(cd "$mnt/many" && seq -f 'file-%06g.txt' 1 "$files" | xargs touch)
umount "$mnt"

rm -f "$dir/exfat.img"; truncate -s "${image_mib}M" "$dir/exfat.img"
mkfs.exfat -L BENCH "$dir/exfat.img" >/dev/null
# exfat-fuse run by root asks FUSE for a block device: mount a loop device over the image.
loop=$(losetup -f --show "$dir/exfat.img")
mount.exfat-fuse "$loop" "$mnt"
cp "$dir/big.bin" "$mnt/big.bin"
umount "$mnt"
losetup -d "$loop"

rm -f "$dir/fat32.img"; truncate -s "${image_mib}M" "$dir/fat32.img"
mkfs.fat -F 32 -n BENCH "$dir/fat32.img" >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$dir/fat32.img" "$dir/big.bin" ::/big.bin
sha256sum "$dir/big.bin" | cut -d' ' -f1 >"$dir/big.sha256"
