// The guests' initramfs, made at test time: busybox-static, the few modules needed to reach the host's root
// filesystem (virtio PCI, 9p over virtio, overlayfs), and an /init that mounts that root read-only over 9p with a
// tmpfs overlay on top, so the guest runs the host's own programs (node, lvm2, util-linux, ntfs-3g) and the
// guestdisk under test, writes what it likes into RAM, and leaves the host untouched. /init runs the script named
// by the kernel command line (gdvm_run=PATH, a host path), then reboots, which ends QEMU (-no-reboot).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encodeCpio, type CpioEntry } from './cpio.js';
import { resolveModules, type GuestKernel } from './kernel.js';
import { requireVmTool } from './vm-tools.js';

/** Enough to mount the host root; everything else is loaded with the host's own modprobe once the root is up. */
const INITRAMFS_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_console', '9p', '9pnet_virtio', 'overlay'];

/** The 9p tag of the host root (qemu -virtfs mount_tag, libvirt <filesystem><target dir>). */
export const HOST_ROOT_TAG = 'hostroot';

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "gdvm-init: $*"; reboot -f; }
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "proc/sys/dev"
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "gdvm-init: insmod $m failed"; done
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose ${HOST_ROOT_TAG} /lower || fail "9p host root"
mount -t tmpfs -o size=80% tmpfs /rw && mkdir /rw/upper /rw/work || fail "tmpfs"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,index=off,redirect_dir=off,xino=off overlay /newroot || fail "overlay"
mount -t proc proc /newroot/proc && mount -t sysfs sysfs /newroot/sys && mount -t devtmpfs devtmpfs /newroot/dev || fail "guest /proc /sys /dev"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts; mount -t tmpfs tmpfs /newroot/dev/shm; mount -t tmpfs tmpfs /newroot/run
mkdir -p /newroot/run/lock /newroot/run/lvm
echo "gdvm-init: root ready, running $gdvm_run"
chroot /newroot /bin/bash "$gdvm_run"
echo "gdvm-init: script ended with status $?"
sync
reboot -f
`;

/** Writes the initramfs to DIR/initramfs.cpio and returns its path. */
export function buildInitramfs(kernel: GuestKernel, dir: string): string {
  const busybox = requireVmTool('busybox');
  if (!isStatic(busybox)) {
    throw new Error(`${busybox} is dynamically linked: the initramfs needs busybox-static (Debian package busybox-static)`);
  }
  const modules = resolveModules(kernel, INITRAMFS_MODULES);
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'modules'].map((name): CpioEntry => ({ kind: 'dir', name })),
    { kind: 'file', name: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    { kind: 'symlink', name: 'bin/sh', target: 'busybox' },
    ...modules.map((m): CpioEntry => ({ kind: 'file', name: `modules/${basename(m)}`, data: readFileSync(join(kernel.modulesDir, m)) })),
    { kind: 'file', name: 'modules.list', data: new TextEncoder().encode(modules.map((m) => basename(m)).join('\n') + '\n') },
    { kind: 'file', name: 'init', data: new TextEncoder().encode(INIT), mode: 0o755 },
  ];
  const path = join(dir, 'initramfs.cpio');
  writeFileSync(path, encodeCpio(entries));
  return path;
}

/** An ELF without a PT_INTERP program header is statically linked. */
function isStatic(path: string): boolean {
  const elf = readFileSync(path);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false; // ELF64 only (x86-64 guests)
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return false;
  return true;
}
