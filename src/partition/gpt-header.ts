// GPT header: UEFI 2.10 §5.3.2 Table 5.5 "GPT Header". 92 bytes; the rest of its sector is reserved and zero.
import { crc32 } from '../binary/crc32.js';
import { defineStruct, expectEqual, finding, throwFirst, type Finding, type StructValue } from '../binary/fields.js';
import { hex } from '../errors.js';

export const GPT_HEADER_SIGNATURE = 'EFI PART';
export const GPT_REVISION_1_0 = 0x00010000;
export const GPT_HEADER_SIZE = 92;

export const GPT_HEADER = defineStruct('GptHeader', GPT_HEADER_SIZE, {
  signature: { offset: 0x00, type: 'ascii', length: 8 }, // GPT_HEADER_SIGNATURE
  revision: { offset: 0x08, type: 'u32' }, // GPT_REVISION_1_0
  headerSize: { offset: 0x0c, type: 'u32' }, // 92
  headerCrc32: { offset: 0x10, type: 'u32' }, // CRC32 of headerSize bytes with this field zero
  reserved: { offset: 0x14, type: 'u32' }, // must be 0
  myLba: { offset: 0x18, type: 'u64' },
  alternateLba: { offset: 0x20, type: 'u64' },
  firstUsableLba: { offset: 0x28, type: 'u64' },
  lastUsableLba: { offset: 0x30, type: 'u64' },
  diskGuid: { offset: 0x38, type: 'guid' },
  partitionEntryLba: { offset: 0x48, type: 'u64' },
  numberOfPartitionEntries: { offset: 0x50, type: 'u32' },
  sizeOfPartitionEntry: { offset: 0x54, type: 'u32' }, // 128 × 2^n
  partitionEntryArrayCrc32: { offset: 0x58, type: 'u32' },
});
export type GptHeader = StructValue<typeof GPT_HEADER>;

/** Encodes into a fresh sector with headerCrc32 computed (the value's own headerCrc32 is ignored). */
export function encodeGptHeader(header: GptHeader, sectorSize: number): Uint8Array {
  const sector = new Uint8Array(sectorSize);
  GPT_HEADER.encodeInto({ ...header, headerCrc32: 0 }, sector, 0);
  const crc = crc32(sector.subarray(0, header.headerSize));
  GPT_HEADER.encodeInto({ ...header, headerCrc32: crc }, sector, 0);
  return sector;
}

/** CRC32 the header should carry, computed over its headerSize bytes with the CRC field zeroed. */
export function computeGptHeaderCrc32(bytes: Uint8Array, headerSize: number): number {
  const copy = bytes.slice(0, headerSize);
  const { offsetBytes, lengthBytes } = GPT_HEADER.fieldRange('headerCrc32');
  copy.fill(0, offsetBytes, offsetBytes + lengthBytes);
  return crc32(copy);
}

/** Field checks plus, given the raw sector, the header CRC. */
export function checkGptHeader(header: GptHeader, bytes?: Uint8Array): Finding[] {
  const findings = [
    ...expectEqual(GPT_HEADER, header, 'signature', GPT_HEADER_SIGNATURE, 'GPT_HEADER_SIGNATURE'),
    ...expectEqual(GPT_HEADER, header, 'revision', GPT_REVISION_1_0, 'GPT_HEADER_REVISION'),
    ...expectEqual(GPT_HEADER, header, 'reserved', 0, 'GPT_HEADER_RESERVED'),
  ];
  if (header.headerSize < GPT_HEADER_SIZE || (bytes && header.headerSize > bytes.length)) {
    findings.push(finding({ code: 'GPT_HEADER_SIZE', structure: 'GptHeader', field: 'headerSize', offsetBytes: 0x0c, expected: `${GPT_HEADER_SIZE}`, actual: `${header.headerSize}`, message: `GPT header size ${header.headerSize} is invalid` }));
  } else if (bytes) {
    const crc = computeGptHeaderCrc32(bytes, header.headerSize);
    if (crc !== header.headerCrc32) {
      findings.push(finding({ code: 'GPT_HEADER_CRC', structure: 'GptHeader', field: 'headerCrc32', offsetBytes: 0x10, expected: hex(crc), actual: hex(header.headerCrc32), message: `GPT header CRC32 at LBA ${header.myLba}: expected ${hex(crc)}, found ${hex(header.headerCrc32)}` }));
    }
  }
  if (header.sizeOfPartitionEntry < 128 || header.sizeOfPartitionEntry % 128 !== 0 || (header.sizeOfPartitionEntry & (header.sizeOfPartitionEntry - 1)) !== 0) {
    findings.push(finding({ code: 'GPT_HEADER_ENTRY_SIZE', structure: 'GptHeader', field: 'sizeOfPartitionEntry', offsetBytes: 0x54, expected: '128 × 2^n', actual: `${header.sizeOfPartitionEntry}`, message: `GPT partition entry size ${header.sizeOfPartitionEntry} is not 128 × 2^n` }));
  }
  return findings;
}

export function decodeGptHeader(bytes: Uint8Array): GptHeader {
  const header = GPT_HEADER.decode(bytes);
  throwFirst(checkGptHeader(header, bytes));
  return header;
}
