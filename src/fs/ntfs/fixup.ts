// Multi-sector protection ("fixups") of FILE and INDX records: ntfs-3g libntfs-3g/mst.c and layout.h NTFS_RECORD;
// libyal "NTFS" document §"The fix-up values". The last two bytes of every 512-byte block are saved in the update
// sequence array and replaced by the update sequence number, so a torn write shows up as a mismatch.
import { GuestdiskError } from '../../errors.js';

/** NTFS_BLOCK_SIZE: the protection stride is 512 bytes on every sector size (Windows and ntfs-3g on 4Kn too). */
export const NTFS_BLOCK_SIZE = 512;

/** Number of u16 entries in the update sequence array: the USN plus one per 512-byte block. */
export function updateSequenceCount(recordSize: number): number {
  return recordSize / NTFS_BLOCK_SIZE + 1;
}

/** A protected copy of `record`: its update sequence array (at `usaOffset`) receives `usn` and the saved words. */
export function applyFixups(record: Uint8Array, usaOffset: number, usn: number): Uint8Array {
  return applyFixupsInPlace(Uint8Array.from(record), usaOffset, usn);
}

/** applyFixups on a record the caller has just made and owns (an encoder's fresh array): no copy, so encoding a
 *  table of 100,000 records does not make a second megabyte of garbage per thousand. */
export function applyFixupsInPlace(out: Uint8Array, usaOffset: number, usn: number): Uint8Array {
  const blocks = out.length / NTFS_BLOCK_SIZE;
  if (!Number.isInteger(blocks) || blocks < 1 || usn < 1 || usn > 0xfffe) {
    throw new GuestdiskError('INVALID_SPEC', `fixups: record of ${out.length} bytes / usn ${usn} cannot be protected`);
  }
  // Words moved byte by byte (little-endian), as removeFixupsInPlace reads them: every record and INDX block
  // written passes here.
  out[usaOffset] = usn & 0xff;
  out[usaOffset + 1] = usn >> 8;
  for (let i = 0; i < blocks; i++) {
    const end = (i + 1) * NTFS_BLOCK_SIZE - 2;
    out[usaOffset + 2 + 2 * i] = out[end];
    out[usaOffset + 3 + 2 * i] = out[end + 1];
    out[end] = usn & 0xff;
    out[end + 1] = usn >> 8;
  }
  return out;
}

/** Checks and undoes the protection; a block whose last word is not the USN is CORRUPT_STRUCTURE. */
export function removeFixups(record: Uint8Array, usaOffset: number, usaCount: number, what: string): Uint8Array {
  checkUsaFits(record, usaOffset, usaCount, what);
  return removeFixupsInPlace(record.slice(), usaOffset, usaCount, what); // a copy: the caller's bytes stay as read
}

function checkUsaFits(record: Uint8Array, usaOffset: number, usaCount: number, what: string): void {
  const blocks = usaCount - 1;
  if (blocks < 1 || blocks * NTFS_BLOCK_SIZE > record.length || usaOffset + 2 * usaCount > NTFS_BLOCK_SIZE) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `${what}: update sequence array (offset ${usaOffset}, count ${usaCount}) does not fit ${record.length} bytes`);
  }
}

/**
 * removeFixups on bytes the caller owns and reads no more as they were (a buffer it has just read): no copy,
 * which a whole-MFT walk would otherwise make for every record. On CORRUPT_STRUCTURE the bytes are partly undone.
 */
export function removeFixupsInPlace(record: Uint8Array, usaOffset: number, usaCount: number, what: string): Uint8Array {
  checkUsaFits(record, usaOffset, usaCount, what);
  const blocks = usaCount - 1;
  // Words read byte by byte (little-endian): this runs for every record of a whole-MFT walk.
  const usn = record[usaOffset] | (record[usaOffset + 1] << 8);
  for (let i = 0; i < blocks; i++) {
    const end = (i + 1) * NTFS_BLOCK_SIZE - 2;
    const found = record[end] | (record[end + 1] << 8);
    if (found !== usn) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `${what}: fixup of block ${i}: expected update sequence number 0x${usn.toString(16)}, found 0x${found.toString(16)}`, {
        block: i,
        expected: usn,
        actual: found,
      });
    }
    record[end] = record[usaOffset + 2 + 2 * i];
    record[end + 1] = record[usaOffset + 3 + 2 * i];
  }
  return record;
}
