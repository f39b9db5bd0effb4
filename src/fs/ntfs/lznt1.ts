// LZNT1, the compression of NTFS compressed files: [MS-XCA] §2.5 "LZNT1 Algorithm Details" and ntfs-3g
// libntfs-3g/compress.c ntfs_decompress. A compression unit's data is a run of chunks, each holding at most 4096
// bytes of output: a 2-byte header (bit 15: compressed; bits 0–11: the chunk's stored size minus 3), then either the
// 4096 plain bytes or groups of one flag byte and eight tokens (bit 0: a literal byte; bit 1: a 2-byte back reference
// whose split between offset and length depends on how far into the chunk the output is). A header of 0 ends the
// unit early; what is left of the unit reads as zeros.
import { GuestdiskError } from '../../errors.js';

export const LZNT1_CHUNK_BYTES = 4096;
const CHUNK_COMPRESSED = 0x8000;
const CHUNK_SIZE_MASK = 0x0fff;

/**
 * Decompresses one compression unit into `out` (its length is the unit's size, e.g. 16 clusters); bytes no chunk
 * produces stay as they are (the caller passes zeros). Bounded by `input` and `out`; a reference before the chunk's
 * start or a chunk running past the input is CORRUPT_STRUCTURE.
 */
export function decompressLznt1(input: Uint8Array, out: Uint8Array): void {
  let inAt = 0;
  let outAt = 0;
  while (inAt + 2 <= input.length && outAt < out.length) {
    const header = input[inAt] | (input[inAt + 1] << 8);
    if (header === 0) return;
    const storedBytes = (header & CHUNK_SIZE_MASK) + 1;
    const dataStart = inAt + 2;
    const dataEnd = dataStart + storedBytes;
    if (dataEnd > input.length) throw corrupt(`chunk at ${inAt} of ${storedBytes} bytes runs past the ${input.length} bytes of the unit`);
    const chunkEnd = Math.min(outAt + LZNT1_CHUNK_BYTES, out.length);
    if ((header & CHUNK_COMPRESSED) === 0) {
      const n = Math.min(storedBytes, chunkEnd - outAt);
      out.set(input.subarray(dataStart, dataStart + n), outAt);
      outAt = chunkEnd;
    } else {
      decompressChunk(input.subarray(dataStart, dataEnd), out, outAt, chunkEnd);
      outAt = chunkEnd;
    }
    inAt = dataEnd;
  }
}

function decompressChunk(data: Uint8Array, out: Uint8Array, chunkStart: number, chunkEnd: number): void {
  let at = 0;
  let o = chunkStart;
  while (at < data.length && o < chunkEnd) {
    const flags = data[at++];
    for (let bit = 0; bit < 8 && at < data.length && o < chunkEnd; bit++) {
      if ((flags & (1 << bit)) === 0) {
        out[o++] = data[at++];
        continue;
      }
      if (at + 2 > data.length) throw corrupt(`back reference at ${at} is cut short`);
      const token = data[at] | (data[at + 1] << 8);
      at += 2;
      // The offset takes more bits the further into the chunk the output is: 4 bits up to 16 bytes, 12 at most.
      let offsetBits = 4;
      for (let p = o - chunkStart - 1; p >= 0x10; p >>= 1) offsetBits++;
      const lengthBits = 16 - offsetBits;
      const offset = (token >>> lengthBits) + 1;
      const length = (token & ((1 << lengthBits) - 1)) + 3;
      if (o - offset < chunkStart) throw corrupt(`back reference ${offset} bytes before output position ${o - chunkStart} of its chunk`);
      for (let i = 0; i < length && o < chunkEnd; i++, o++) out[o] = out[o - offset];
    }
  }
}

function corrupt(what: string): GuestdiskError {
  return new GuestdiskError('CORRUPT_STRUCTURE', `LZNT1: ${what}`);
}
