// $VOLUME_NAME (0x60): the label as UTF-16LE without terminator (ntfs-3g layout.h VOLUME_NAME); empty for none.
import { decodeUtf16le, encodeUtf16le } from '../../../binary/utf16.js';

export function encodeVolumeName(label: string): Uint8Array {
  return encodeUtf16le(label);
}

export function decodeVolumeName(bytes: Uint8Array): string {
  return decodeUtf16le(bytes);
}
