// $STANDARD_INFORMATION (0x10): ntfs-3g layout.h STANDARD_INFORMATION and the libyal "NTFS" document
// §"The standard information attribute". NTFS 3.x adds the last 24 bytes (owner, security id, quota, USN);
// mkntfs (and Windows for the root directory) store the 48-byte NTFS 1.2 form when the file carries its own
// $SECURITY_DESCRIPTOR, i.e. when security_id is 0.
import { defineStruct, type StructValue } from '../../../binary/fields.js';

export const STANDARD_INFORMATION = defineStruct('StandardInformation', 0x48, {
  creationTime: { offset: 0x00, type: 'bytes', length: 8 }, // FILETIME
  lastDataChangeTime: { offset: 0x08, type: 'bytes', length: 8 },
  lastMftChangeTime: { offset: 0x10, type: 'bytes', length: 8 },
  lastAccessTime: { offset: 0x18, type: 'bytes', length: 8 },
  fileAttributes: { offset: 0x20, type: 'u32' }, // FILE_ATTR.*
  maximumVersions: { offset: 0x24, type: 'u32' },
  versionNumber: { offset: 0x28, type: 'u32' },
  classId: { offset: 0x2c, type: 'u32' },
  ownerId: { offset: 0x30, type: 'u32' }, // NTFS 3.x from here on
  securityId: { offset: 0x34, type: 'u32' }, // key into $Secure:$SII; 0 = use the file's $SECURITY_DESCRIPTOR
  quotaCharged: { offset: 0x38, type: 'u64' },
  usn: { offset: 0x40, type: 'u64' },
});
export type StandardInformation = StructValue<typeof STANDARD_INFORMATION>;

/** The NTFS 1.2 size, before owner_id. */
export const STANDARD_INFORMATION_V1_SIZE = 0x30;

/** 72 bytes, or the first 48 when securityId is 0 (as mkntfs writes them). */
export function encodeStandardInformation(value: StandardInformation): Uint8Array {
  const full = STANDARD_INFORMATION.encode(value);
  return value.securityId === 0 ? full.slice(0, STANDARD_INFORMATION_V1_SIZE) : full;
}

/** Bytes encodeStandardInformation makes of `value`. */
export function standardInformationBytes(value: Pick<StandardInformation, 'securityId'>): number {
  return value.securityId === 0 ? STANDARD_INFORMATION_V1_SIZE : STANDARD_INFORMATION.sizeBytes;
}

/** encodeStandardInformation into `out` at `at` (standardInformationBytes long), for a record filled in place (the
 *  48-byte form, which only system files with their own descriptor carry, goes through a copy). */
export function encodeStandardInformationInto(value: StandardInformation, out: Uint8Array, at: number): void {
  if (value.securityId === 0) {
    out.set(encodeStandardInformation(value), at);
    return;
  }
  STANDARD_INFORMATION.encodeInto(value, out, at);
}

export function decodeStandardInformation(bytes: Uint8Array): StandardInformation {
  if (bytes.length >= STANDARD_INFORMATION.sizeBytes) return STANDARD_INFORMATION.decode(bytes);
  const padded = new Uint8Array(STANDARD_INFORMATION.sizeBytes);
  padded.set(bytes.subarray(0, Math.min(bytes.length, STANDARD_INFORMATION.sizeBytes)));
  return STANDARD_INFORMATION.decode(padded);
}
