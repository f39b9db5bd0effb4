// MBR partition record: UEFI 2.10 §5.2.1 "Legacy MBR Partition Record"; protective MBRs use the same 16 bytes.
import { defineStruct, expectOneOf, throwFirst, type Finding, type StructValue } from '../binary/fields.js';

export const MBR_PARTITION_RECORD = defineStruct('MbrPartitionRecord', 16, {
  bootIndicator: { offset: 0x00, type: 'u8' }, // 0x80 = active; we always write 0x00
  startingChs: { offset: 0x01, type: 'bytes', length: 3 }, // legacy CHS; encodeChs() saturates past cyl. 1023
  osType: { offset: 0x04, type: 'u8' }, // MBR_TYPE.*; 0x00 marks an unused slot
  endingChs: { offset: 0x05, type: 'bytes', length: 3 },
  startingLba: { offset: 0x08, type: 'u32' },
  sizeInLba: { offset: 0x0c, type: 'u32' },
});
export type MbrPartitionRecord = StructValue<typeof MBR_PARTITION_RECORD>;

export const EMPTY_MBR_PARTITION_RECORD: MbrPartitionRecord = {
  bootIndicator: 0,
  startingChs: new Uint8Array(3),
  osType: 0,
  endingChs: new Uint8Array(3),
  startingLba: 0,
  sizeInLba: 0,
};

export function encodeMbrPartitionRecord(record: MbrPartitionRecord): Uint8Array {
  return MBR_PARTITION_RECORD.encode(record);
}
export function checkMbrPartitionRecord(record: MbrPartitionRecord): Finding[] {
  return expectOneOf(MBR_PARTITION_RECORD, record, 'bootIndicator', [0x00, 0x80]);
}
export function decodeMbrPartitionRecord(bytes: Uint8Array): MbrPartitionRecord {
  const record = MBR_PARTITION_RECORD.decode(bytes);
  throwFirst(checkMbrPartitionRecord(record));
  return record;
}
