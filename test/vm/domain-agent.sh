#!/bin/bash
exec 3>/dev/ttyS1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
modprobe -a virtio_scsi sym53c8xx sd_mod ahci fuse exfat vfat nls_cp437 nls_iso8859-1 nls_utf8 nls_ascii 2>/dev/null
echo GDVM-BOOT >&3
mkdir -p /mnt/p
declare -A seen
report() {
  local d=$1 sys=/sys/block/$1 parts p type label ok files
  parts=$(cd "$sys" && ls -d "$d"* 2>/dev/null | tr '\n' ' ')
  echo "GDVM-DISK $d lbs=$(cat "$sys/queue/logical_block_size") size=$(cat "$sys/size") parts=$(echo $parts | tr ' ' ,)" >&3
  for p in $parts; do
    type=$(blkid -p -o value -s TYPE "/dev/$p"); label=$(blkid -p -o value -s LABEL "/dev/$p"); ok=no; files=
    case $type in
      ntfs) ntfs-3g -o ro "/dev/$p" /mnt/p && ok=yes ;;
      exfat) mount -t exfat -o ro "/dev/$p" /mnt/p && ok=yes ;;
      vfat) mount -t vfat -o ro "/dev/$p" /mnt/p && ok=yes ;;
    esac
    if [ $ok = yes ]; then files=$(ls -A /mnt/p | tr '\n' /); umount /mnt/p; fi
    echo "GDVM-PART $d $p type=$type label=$label mounted=$ok files=$files" >&3
  done
}
while true; do
  for sys in /sys/block/vd* /sys/block/sd*; do
    [ -e "$sys" ] || continue
    d=${sys##*/}
    key="$(cat "$sys/size") $(ls -d "$sys/$d"* 2>/dev/null | wc -l)"
    if [ "${seen[$d]}" != "$key" ]; then sleep 0.5; seen[$d]=$key; report "$d"; fi
  done
  sleep 1
done
