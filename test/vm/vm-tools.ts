// The programs the VM tests run on the host, with the Debian package of each (scripts/test-packages/vm.txt):
// a missing one fails the test naming its package, as test/helpers/tools.ts does for the others.
import { spawnSync } from 'node:child_process';

export const VM_TOOL_PACKAGES: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  busybox: 'busybox-static',
  lvm: 'lvm2',
  thin_check: 'thin-provisioning-tools',
  'systemd-udevd': 'udev',
  virsh: 'libvirt-clients',
  libvirtd: 'libvirt-daemon',
  virtlogd: 'libvirt-daemon',
  'ntfs-3g': 'ntfs-3g',
  unshare: 'util-linux',
  base64: 'coreutils',
  cpio: 'cpio',
};

/** Absolute path of a program (PATH plus the sbin directories), or a thrown error naming its package. */
export function requireVmTool(name: string): string {
  const r = spawnSync('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin:/usr/lib/systemd:/lib/systemd"; command -v "$1"', 'sh', name], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path.startsWith('/')) {
    throw new Error(`the VM tests need '${name}' (Debian package ${VM_TOOL_PACKAGES[name] ?? 'unknown'}): run scripts/install-test-tools.sh`);
  }
  return path;
}
