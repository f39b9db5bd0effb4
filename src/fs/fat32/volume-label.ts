// FAT volume labels: fatgen103 "FAT Directory Structure" (DIR_Name rules, which the label follows) and the
// BS_VolLab field. The label is 11 bytes of the OEM code page, space padded, in upper case.
import { GuestdiskError, quoted } from '../../errors.js';
import { FAT_NO_NAME_LABEL } from './boot-sector.js';

export const FAT_LABEL_BYTES = 11;

/** Bytes fatgen103 forbids in DIR_Name (besides those below 0x20); fsck.fat calls a label holding one invalid. */
const FORBIDDEN = '"*+,./:;<=>?[\\]|';

/**
 * The label as stored, without its padding, or null for none. Lower case is upper-cased (as Windows' format does);
 * only printable ASCII is accepted: the OEM code page (CP437 on Windows) agrees with ASCII there and nowhere else,
 * and we do not guess which code page the reader will use.
 */
export function parseFatLabel(label: string | undefined): string | null {
  if (label === undefined || label === '') return null;
  const upper = label.toUpperCase().replace(/ +$/, '');
  const refuse = (why: string, extra: Record<string, string | number> = {}): never => {
    throw new GuestdiskError('INVALID_SPEC', `FAT32 label ${quoted(label)}: ${why}`, { label, ...extra });
  };
  if (upper === '') refuse('a label of only spaces is no label; omit it instead');
  for (const ch of upper) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) refuse(`control character U+${code.toString(16).padStart(4, '0')} is not allowed`, { character: code });
    if (code > 0x7e) refuse(`only ASCII characters are supported (found ${JSON.stringify(ch)})`, { character: code });
    if (FORBIDDEN.includes(ch)) refuse(`character ${JSON.stringify(ch)} is not allowed in a FAT label (forbidden: ${FORBIDDEN})`, { character: ch });
  }
  if (upper.startsWith(' ')) refuse('a FAT label cannot start with a space');
  if (upper.length > FAT_LABEL_BYTES) refuse(`longer than ${FAT_LABEL_BYTES} characters (${upper.length})`, { maxLength: FAT_LABEL_BYTES });
  return upper;
}

/** BS_VolLab: the label padded to 11 bytes, or "NO NAME    ". */
export function bootSectorLabel(label: string | null): string {
  return label === null ? FAT_NO_NAME_LABEL : label.padEnd(FAT_LABEL_BYTES, ' ');
}

/** DIR_Name of the label entry: 11 space-padded bytes. */
export function labelDirName(label: string): Uint8Array {
  const out = new Uint8Array(FAT_LABEL_BYTES).fill(0x20);
  for (let i = 0; i < label.length; i++) out[i] = label.charCodeAt(i);
  return out;
}
