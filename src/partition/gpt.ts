// A whole GPT from the Layout: protective MBR, entry array, primary and backup headers (UEFI 2.10 §5.3).
import { crc32 } from '../binary/crc32.js';
import type { GptTablePlan, PartitionPlan } from './table-plan.js';
import { encodeChs } from './chs.js';
import { encodeGptEntry, GPT_ENTRY_SIZE, UNUSED_GPT_ENTRY, type GptEntry } from './gpt-entry.js';
import { encodeGptHeader, GPT_HEADER_SIGNATURE, GPT_HEADER_SIZE, GPT_REVISION_1_0, type GptHeader } from './gpt-header.js';
import { MBR_TYPE } from './gpt-types.js';
import { encodeMbr, MBR_BOOT_SIGNATURE } from './mbr.js';
import { EMPTY_MBR_PARTITION_RECORD } from './mbr-partition-record.js';

/** The minimum entry array the spec allows: 16 KiB, i.e. 128 entries of 128 bytes. */
export const GPT_ENTRY_COUNT = 128;
export const GPT_ENTRY_ARRAY_BYTES = GPT_ENTRY_COUNT * GPT_ENTRY_SIZE;

export function gptEntryFromPartition(p: PartitionPlan): GptEntry {
  return {
    partitionTypeGuid: p.typeGuid ?? UNUSED_GPT_ENTRY.partitionTypeGuid,
    uniquePartitionGuid: p.guid ?? UNUSED_GPT_ENTRY.uniquePartitionGuid,
    startingLba: p.startLba,
    endingLba: p.startLba + p.sizeLba - 1,
    attributesLow: p.attributes % 0x1_0000_0000,
    attributesHigh: Math.floor(p.attributes / 0x1_0000_0000),
    partitionName: p.name ?? '',
  };
}

export function encodeGptEntryArray(table: GptTablePlan, partitions: readonly PartitionPlan[]): Uint8Array {
  const bytes = new Uint8Array(table.entryCount * table.entrySize);
  partitions.forEach((p, i) => bytes.set(encodeGptEntry(gptEntryFromPartition(p)), i * table.entrySize));
  return bytes;
}

function header(table: GptTablePlan, entriesCrc: number, which: 'primary' | 'backup'): GptHeader {
  const primary = which === 'primary';
  return {
    signature: GPT_HEADER_SIGNATURE,
    revision: GPT_REVISION_1_0,
    headerSize: GPT_HEADER_SIZE,
    headerCrc32: 0,
    reserved: 0,
    myLba: primary ? table.primaryHeaderLba : table.backupHeaderLba,
    alternateLba: primary ? table.backupHeaderLba : table.primaryHeaderLba,
    firstUsableLba: table.firstUsableLba,
    lastUsableLba: table.lastUsableLba,
    diskGuid: table.diskGuid,
    partitionEntryLba: primary ? table.primaryEntriesLba : table.backupEntriesLba,
    numberOfPartitionEntries: table.entryCount,
    sizeOfPartitionEntry: table.entrySize,
    partitionEntryArrayCrc32: entriesCrc,
  };
}

export interface EncodedGpt {
  readonly entries: Uint8Array;
  readonly primaryHeader: Uint8Array;
  readonly backupHeader: Uint8Array;
}

export function encodeGpt(table: GptTablePlan, partitions: readonly PartitionPlan[], sectorSize: number): EncodedGpt {
  const entries = encodeGptEntryArray(table, partitions);
  const entriesCrc = crc32(entries);
  return {
    entries,
    primaryHeader: encodeGptHeader(header(table, entriesCrc, 'primary'), sectorSize),
    backupHeader: encodeGptHeader(header(table, entriesCrc, 'backup'), sectorSize),
  };
}

/** Protective MBR: one 0xEE record from LBA 1 covering the disk, capped at 0xFFFFFFFF (UEFI 2.10 §5.2.3). */
export function encodeProtectiveMbr(diskSizeLba: number, sectorSize: number): Uint8Array {
  const sizeInLba = Math.min(diskSizeLba - 1, 0xffffffff);
  return encodeMbr(
    {
      bootCode: new Uint8Array(440),
      uniqueMbrDiskSignature: 0, // UEFI: unused, must be 0 in a protective MBR
      unknown: 0,
      partitionRecords: [
        {
          bootIndicator: 0,
          startingChs: Uint8Array.of(0x00, 0x02, 0x00),
          osType: MBR_TYPE.GPT_PROTECTIVE,
          endingChs: encodeChs(sizeInLba),
          startingLba: 1,
          sizeInLba,
        },
        EMPTY_MBR_PARTITION_RECORD,
        EMPTY_MBR_PARTITION_RECORD,
        EMPTY_MBR_PARTITION_RECORD,
      ],
      signature: MBR_BOOT_SIGNATURE,
    },
    sectorSize,
  );
}

/** Classic MBR with our partitions as primary records (never active: a data disk is not booted). */
export function encodeClassicMbr(diskSignature: number, partitions: readonly PartitionPlan[], sectorSize: number): Uint8Array {
  const records = [0, 1, 2, 3].map((i) => {
    const p = partitions[i];
    if (!p) return EMPTY_MBR_PARTITION_RECORD;
    return {
      bootIndicator: 0,
      startingChs: encodeChs(p.startLba),
      osType: p.mbrType ?? 0,
      endingChs: encodeChs(p.startLba + p.sizeLba - 1),
      startingLba: p.startLba,
      sizeInLba: p.sizeLba,
    };
  });
  return encodeMbr({ bootCode: new Uint8Array(440), uniqueMbrDiskSignature: diskSignature, unknown: 0, partitionRecords: records, signature: MBR_BOOT_SIGNATURE }, sectorSize);
}
