// Paths inside a volume: "/"-separated from the root ("/", "/dir/file.txt"); a leading "/" is optional and empty
// components and "." are dropped. ".." is refused rather than resolved: a reader never walks out of what was asked.
// Names match exactly first, then case-insensitively (as Windows opens them), so POSIX-namespace names that differ
// only in case stay reachable by their exact spelling.
import { GuestdiskError } from '../errors.js';

export function splitVolumePath(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new GuestdiskError('INVALID_SPEC', `volume path ${JSON.stringify(path)} contains "..": give a path from the volume's root`, { path });
  }
  return parts;
}

export function joinVolumePath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

/** Windows compares names by their upper-case form; String.toUpperCase per code unit is close enough to $UpCase for
 *  a fallback lookup (an exact match is always tried first). */
export function foldName(name: string): string {
  let out = '';
  for (const ch of name) out += ch.length === 1 ? ch.toUpperCase().length === 1 ? ch.toUpperCase() : ch : ch;
  return out;
}

export function notFound(path: string, what = 'no such file or directory'): GuestdiskError {
  return new GuestdiskError('PATH_NOT_FOUND', `${path}: ${what}`, { path });
}

export function notADirectory(path: string): GuestdiskError {
  return new GuestdiskError('PATH_NOT_FOUND', `${path}: not a directory`, { path });
}
