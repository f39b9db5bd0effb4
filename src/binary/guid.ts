// GUIDs on disk: UEFI 2.10 Appendix A — the first three fields little-endian, the last two as bytes ("mixed endian").
// This file is the only place that knows that.
import { parse as parseUuid, stringify as stringifyUuid, validate as validateUuid } from 'uuid';
import { GuestdiskError } from '../errors.js';

/** Reorders between RFC 4122 byte order (big-endian fields) and the on-disk order; its own inverse. */
function swapMixedEndian(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[0] = bytes[3]; out[1] = bytes[2]; out[2] = bytes[1]; out[3] = bytes[0];
  out[4] = bytes[5]; out[5] = bytes[4];
  out[6] = bytes[7]; out[7] = bytes[6];
  return out;
}

export function isGuid(text: string): boolean {
  return validateUuid(text.toLowerCase()) || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(text);
}

/** Writes the GUID string into 16 bytes of `target` in the on-disk order. */
export function encodeGuidInto(text: string, target: Uint8Array): void {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text)) {
    throw new GuestdiskError('INVALID_SPEC', `not a GUID: ${JSON.stringify(text)}`);
  }
  const hexDigits = text.replace(/-/g, '');
  const rfc = Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hexDigits.slice(2 * i, 2 * i + 2), 16));
  target.set(swapMixedEndian(rfc));
}

export function encodeGuid(text: string): Uint8Array {
  const out = new Uint8Array(16);
  encodeGuidInto(text, out);
  return out;
}

/** Reads 16 on-disk bytes as an upper-case GUID string (the way sgdisk and Windows print them). */
export function decodeGuid(bytes: Uint8Array): string {
  return stringifyUnchecked(swapMixedEndian(bytes.subarray(0, 16))).toUpperCase();
}

function stringifyUnchecked(rfc: Uint8Array): string {
  const h = Array.from(rfc, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Shapes 16 arbitrary bytes (e.g. an HMAC) as an RFC 4122 version 4 GUID string. */
export function guidFromBytes(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  return stringifyUuid(b).toUpperCase();
}

/** Normalises user input (any case, braces allowed) to the upper-case form. */
export function parseGuid(text: string): string {
  const bare = text.trim().replace(/^\{(.*)\}$/, '$1');
  try {
    parseUuid(bare.toLowerCase());
  } catch {
    if (!/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(bare)) throw new GuestdiskError('INVALID_SPEC', `not a GUID: ${JSON.stringify(text)}`);
  }
  return bare.toUpperCase();
}
