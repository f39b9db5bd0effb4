// Waiting for a new logical volume's /dev node. With udev, lvcreate normally returns after udev has made
// /dev/VG/LV (LVM's udev sync), but not where that sync is off (activation/udev_sync = 0, containers without
// udev cookies): then the node appears some time after lvcreate returns, and opening it at once would fail.
import { statSync } from 'node:fs';
import { GuestdiskError } from '../errors.js';

const POLL_MS = 100;
export const DEVICE_NODE_WAIT_MS = 15_000;

function isBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice();
  } catch {
    return false;
  }
}

/** Resolves once `path` is a block device; IO_FAILED with what to do after `timeoutMs`. */
export async function waitForDeviceNode(path: string, what: string, timeoutMs = DEVICE_NODE_WAIT_MS): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!isBlockDevice(path)) {
    if (Date.now() >= until) {
      throw new GuestdiskError('IO_FAILED', `${what} exists, but its device node ${path} did not appear within ${timeoutMs / 1000} s. udev makes it: check that systemd-udevd runs (udevadm settle), or set DM_DISABLE_UDEV=1 so that LVM makes its nodes itself. The volume is there, unformatted: once ${path} exists, run the same command with --force to format it`, { path });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
