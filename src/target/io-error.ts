// Node errors become GuestdiskErrors that keep the cause and name the errno.
import { GuestdiskError } from '../errors.js';

export function wrapIoError(e: unknown, what: string): GuestdiskError {
  if (e instanceof GuestdiskError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? 'EIO';
  if (code === 'EBUSY') return new GuestdiskError('TARGET_BUSY', `${what}: device or resource busy (another program has it open)`, { errno: code }, { cause: e });
  const hint = code === 'EACCES' || code === 'EPERM' ? ' (permission denied)' : code === 'EROFS' ? ' (read-only filesystem)' : code === 'ENOSPC' ? ' (no space left on the device holding it)' : code === 'EFBIG' ? ' (the filesystem holding the image cannot store a file this large; ext4 stops at 16 TiB − 4 KiB)' : '';
  return new GuestdiskError('IO_FAILED', `${what}: ${err?.message ?? String(e)}${hint}`, { errno: code }, { cause: e });
}
