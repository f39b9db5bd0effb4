// GPT partition entry: UEFI 2.10 §5.3.3 Table 5.6 "GPT Partition Entry". 128 bytes.
import { defineStruct, throwFirst, finding, type Finding, type StructValue } from '../binary/fields.js';
import { GPT_TYPE_UNUSED } from './gpt-types.js';

export const GPT_ENTRY_SIZE = 128;
/** PartitionName is 36 UTF-16 code units. */
export const GPT_PARTITION_NAME_UNITS = 36;

export const GPT_ENTRY = defineStruct('GptEntry', GPT_ENTRY_SIZE, {
  partitionTypeGuid: { offset: 0x00, type: 'guid' }, // GPT_TYPE_*; all zero = unused entry
  uniquePartitionGuid: { offset: 0x10, type: 'guid' },
  startingLba: { offset: 0x20, type: 'u64' },
  endingLba: { offset: 0x28, type: 'u64' }, // inclusive
  // Attributes is one u64 in the spec; split so bits 32–63 (Microsoft's 60 read-only, 62 hidden,
  // 63 no drive letter) stay exact without bigint.
  attributesLow: { offset: 0x30, type: 'u32' },
  attributesHigh: { offset: 0x34, type: 'u32' },
  partitionName: { offset: 0x38, type: 'utf16', length: 72 },
});
export type GptEntry = StructValue<typeof GPT_ENTRY>;

export const UNUSED_GPT_ENTRY: GptEntry = {
  partitionTypeGuid: GPT_TYPE_UNUSED,
  uniquePartitionGuid: GPT_TYPE_UNUSED,
  startingLba: 0,
  endingLba: 0,
  attributesLow: 0,
  attributesHigh: 0,
  partitionName: '',
};

export function isUnusedGptEntry(entry: GptEntry): boolean {
  return entry.partitionTypeGuid === GPT_TYPE_UNUSED;
}

/** Whether attribute bit `bit` (0–63) is set. */
export function gptAttributeBit(entry: GptEntry, bit: number): boolean {
  return bit < 32 ? ((entry.attributesLow >>> bit) & 1) === 1 : ((entry.attributesHigh >>> (bit - 32)) & 1) === 1;
}

export function encodeGptEntry(entry: GptEntry): Uint8Array {
  return GPT_ENTRY.encode(entry);
}

export function checkGptEntry(entry: GptEntry): Finding[] {
  if (isUnusedGptEntry(entry) || entry.endingLba >= entry.startingLba) return [];
  return [finding({ code: 'GPT_ENTRY_RANGE', structure: 'GptEntry', field: 'endingLba', offsetBytes: 0x28, expected: `>= ${entry.startingLba}`, actual: `${entry.endingLba}`, message: `GPT entry ends (LBA ${entry.endingLba}) before it starts (LBA ${entry.startingLba})` })];
}

export function decodeGptEntry(bytes: Uint8Array): GptEntry {
  const entry = GPT_ENTRY.decode(bytes);
  throwFirst(checkGptEntry(entry));
  return entry;
}
