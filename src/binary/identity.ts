// Identities from the seed: every GUID and serial is HMAC-SHA256(seed, purpose), so a seed makes a disk
// byte-identical across runs and machines, and different purposes never collide. Both strings go in as UTF-8
// (a lone surrogate as U+FFFD), as node:crypto encodes a string key or message.
import { createHmac } from 'node:crypto';
import { guidFromBytes } from './guid.js';

/** 32 bytes that depend only on the seed and the purpose string (e.g. `disk-guid`, `ntfs-serial/1`). */
export function deriveBytes(seed: string, purpose: string): Uint8Array {
  // A plain Uint8Array copy, not node's Buffer subclass: the core works on Uint8Array only (STYLE.md §2).
  return Uint8Array.from(createHmac('sha256', seed).update(purpose).digest());
}

/** An RFC 4122 v4-shaped GUID (upper case) for `purpose`. */
export function deriveGuid(seed: string, purpose: string): string {
  return guidFromBytes(deriveBytes(seed, purpose));
}

/** A 32-bit unsigned value for `purpose` (MBR disk signature, FAT volume id); never 0. */
export function deriveU32(seed: string, purpose: string): number {
  const b = deriveBytes(seed, purpose);
  const v = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  return v === 0 ? 1 : v;
}
