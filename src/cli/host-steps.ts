// LVM and libvirt around `create` (owned by the block-device/LVM/libvirt work; stubs for now).
import { GuestdiskError } from '../errors.js';
import type { CliIo } from './create.js';

export interface HostOptions {
  lvm?: string;
  attach?: string;
  targetDev?: string;
  bus?: string;
  cache?: string;
  persistent?: boolean;
  printXml?: boolean;
  force?: boolean;
  size?: string;
}

/** `create --lvm VG/LV`: makes (or, with --force, reuses) the LV and returns its device path. */
export async function prepareLvm(options: HostOptions, io: CliIo): Promise<string> {
  void options; void io;
  throw new GuestdiskError('NOT_IMPLEMENTED', '--lvm is not implemented yet');
}

/** `create --attach DOMAIN`: after a successful format, attach the disk to the VM. */
export async function attachAfterCreate(path: string, kind: 'file' | 'block-device', options: HostOptions, io: CliIo): Promise<void> {
  void path; void kind; void options; void io;
  throw new GuestdiskError('NOT_IMPLEMENTED', '--attach is not implemented yet');
}

/** `guestdisk attach DEV DOMAIN`. */
export async function runAttach(path: string, domain: string, options: HostOptions, io: CliIo): Promise<number> {
  void path; void domain; void options; void io;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'attach is not implemented yet');
}
