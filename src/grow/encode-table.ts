// The grown partition table's bytes, patched from what was read: one entry's EndingLBA, the headers' usable range
// and backup location with both CRC pairs (UEFI 2.10 §5.3.2–5.3.3), the protective MBR's 0xEE size (§5.2.3), or a
// classic MBR record's size and CHS end. Every other byte stays as it was.
import { crc32 } from '../binary/crc32.js';
import { writeIntN } from '../binary/fields.js';
import { encodeChs } from '../partition/chs.js';
import { GPT_ENTRY } from '../partition/gpt-entry.js';
import { decodeGptHeader, encodeGptHeader } from '../partition/gpt-header.js';
import { MBR_TYPE } from '../partition/gpt-types.js';
import { encodeMbr, readMbr } from '../partition/mbr.js';
import type { GptSource, GrowPartition, GptGrowTable, MbrGrowTable, MbrSource } from './types.js';

export interface GrownGpt {
  /** Entry array padded to whole sectors. */
  readonly entries: Uint8Array;
  readonly primaryHeader: Uint8Array;
  readonly backupHeader: Uint8Array;
}

export function encodeGrownGpt(source: GptSource, table: GptGrowTable, partition: GrowPartition, sectorSize: number): GrownGpt {
  const primary = decodeGptHeader(source.primaryHeaderBytes);
  const entries = new Uint8Array(table.entryArrayLba * sectorSize);
  entries.set(source.entries);
  const { offsetBytes, lengthBytes } = GPT_ENTRY.fieldRange('endingLba');
  writeIntN(entries, table.entryIndex * primary.sizeOfPartitionEntry + offsetBytes, lengthBytes, partition.after.endLba);
  const entriesCrc = crc32(entries.subarray(0, source.entries.length));
  const common = { ...primary, lastUsableLba: table.after.lastUsableLba, partitionEntryArrayCrc32: entriesCrc };
  return {
    entries,
    primaryHeader: encodeGptHeader({ ...common, myLba: primary.myLba, alternateLba: table.after.backupHeaderLba }, sectorSize),
    backupHeader: encodeGptHeader({ ...common, myLba: table.after.backupHeaderLba, alternateLba: primary.myLba, partitionEntryLba: table.after.backupEntriesLba }, sectorSize),
  };
}

/** Sector 0 with the protective MBR's 0xEE record resized (its other records and boot code kept). */
export function encodeGrownProtectiveMbr(source: GptSource, table: GptGrowTable, sectorSize: number): Uint8Array {
  const mbr = readMbr(source.sector0);
  const records = mbr.partitionRecords.map((r) =>
    r.osType === MBR_TYPE.GPT_PROTECTIVE ? { ...r, sizeInLba: table.protectiveSizeLba, endingChs: encodeChs(r.startingLba + table.protectiveSizeLba - 1) } : r);
  return withMbr(source.sector0, encodeMbr({ ...mbr, partitionRecords: records }), sectorSize);
}

/** Sector 0 with the classic MBR record of the grown partition resized. */
export function encodeGrownClassicMbr(source: MbrSource, table: MbrGrowTable, partition: GrowPartition, sectorSize: number): Uint8Array {
  const mbr = readMbr(source.sector0);
  const records = mbr.partitionRecords.map((r, i) =>
    i === table.slot ? { ...r, sizeInLba: partition.after.sizeLba, endingChs: encodeChs(partition.after.endLba) } : r);
  return withMbr(source.sector0, encodeMbr({ ...mbr, partitionRecords: records }), sectorSize);
}

/** The first 512 bytes replaced, the rest of a 4096-byte sector 0 kept. */
function withMbr(sector0: Uint8Array, mbr512: Uint8Array, sectorSize: number): Uint8Array {
  const out = new Uint8Array(sectorSize);
  out.set(sector0.subarray(0, sectorSize));
  out.set(mbr512.subarray(0, 512));
  return out;
}
