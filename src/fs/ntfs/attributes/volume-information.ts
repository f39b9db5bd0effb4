// $VOLUME_INFORMATION (0x70): ntfs-3g layout.h VOLUME_INFORMATION; the libyal "NTFS" document §"The volume
// information attribute". Version 3.1, flags 0 (not dirty) for a fresh volume.
import { defineStruct, type StructValue } from '../../../binary/fields.js';

export const VOLUME_INFORMATION = defineStruct('VolumeInformation', 0x0c, {
  reserved: { offset: 0x00, type: 'bytes', length: 8 }, // must be 0
  majorVer: { offset: 0x08, type: 'u8' },
  minorVer: { offset: 0x09, type: 'u8' },
  flags: { offset: 0x0a, type: 'u16' }, // VOLUME_FLAG.*
});
export type VolumeInformation = StructValue<typeof VOLUME_INFORMATION>;

/** VOLUME_FLAGS (layout.h). */
export const VOLUME_FLAG = { IS_DIRTY: 0x0001 } as const;

export function encodeVolumeInformation(value: VolumeInformation): Uint8Array {
  return VOLUME_INFORMATION.encode(value);
}

export function decodeVolumeInformation(bytes: Uint8Array): VolumeInformation {
  return VOLUME_INFORMATION.decode(bytes);
}
