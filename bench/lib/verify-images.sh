#!/bin/bash
# verify-images.sh DIR FS FILES
# Makes one volume for the verify bench in DIR/FS.img (a bare volume in a sparse image), written by the tools
# users have, holding FILES files in directories of 1,000: every tenth file holds 6 KiB (clusters, runs), the
# others are empty. The tree is made once in DIR/tree-FILES and copied in:
#   ntfs   mkntfs -Q, then cp -r through ntfs-3g
#   exfat  mkfs.exfat, then cp -r through exfat-fuse (on a loop device: exfat-fuse run by root wants a block device)
#   fat32  mkfs.fat -F 32, then mtools' mcopy -s
set -euo pipefail
dir=$1 fs=$2 files=$3
mnt=$dir/mnt-$fs
tree=$dir/tree-$files
mkdir -p "$mnt"
loop=
trap 'mountpoint -q "$mnt" && umount "$mnt"; [ -n "$loop" ] && losetup -d "$loop"; true' EXIT

if [ ! -f "$tree.done" ]; then
  rm -rf "$tree"
  python3 - "$tree" "$files" <<'EOF'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
payload = bytes(range(256)) * 24  # 6 KiB
for i in range(files):
    d = os.path.join(root, f'd{i // 1000:04d}')
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, f'file-{i:07d}.txt'), 'wb') as f:
        if i % 10 == 0:
            f.write(payload)
EOF
  touch "$tree.done"
fi

# Room for the data (a tenth of the files at 6 KiB, in 4 KiB clusters) plus metadata, at least 1 GiB.
image_mib=$(( files / 10 * 8 / 1024 + files * 2 / 1024 + 1024 ))
image=$dir/$fs.img
rm -f "$image"
truncate -s "${image_mib}M" "$image"
case $fs in
  ntfs)
    mkntfs -q -F -Q -L BENCH "$image" 2>/dev/null
    ntfs-3g "$image" "$mnt"
    cp -r "$tree/." "$mnt/"
    umount "$mnt"
    ;;
  exfat)
    mkfs.exfat -L BENCH "$image" >/dev/null
    loop=$(losetup -f --show "$image")
    mount.exfat-fuse "$loop" "$mnt"
    cp -r "$tree/." "$mnt/"
    umount "$mnt"
    losetup -d "$loop"
    loop=
    ;;
  fat32)
    mkfs.fat -F 32 -n BENCH "$image" >/dev/null
    MTOOLS_SKIP_CHECK=1 mcopy -s -i "$image" "$tree"/* ::/
    ;;
  *) echo "verify-images.sh: unknown filesystem $fs" >&2; exit 2 ;;
esac
