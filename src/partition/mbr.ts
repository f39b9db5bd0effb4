// Master Boot Record: UEFI 2.10 §5.2.1 Table 5.1 "Legacy MBR". Both the classic MBR and GPT's protective MBR.
import { defineStruct, expectEqual, throwFirst, type Finding, type StructValue } from '../binary/fields.js';
import {
  checkMbrPartitionRecord,
  decodeMbrPartitionRecord,
  MBR_PARTITION_RECORD,
  type MbrPartitionRecord,
} from './mbr-partition-record.js';

export const MBR_BOOT_SIGNATURE = 0xaa55;
export const MBR_PARTITION_RECORD_COUNT = 4;

export const MBR = defineStruct('Mbr', 512, {
  bootCode: { offset: 0x000, type: 'bytes', length: 440 }, // we write none: a data disk is never booted
  uniqueMbrDiskSignature: { offset: 0x1b8, type: 'u32' }, // Windows identifies MBR disks by it; never 0
  unknown: { offset: 0x1bc, type: 'u16' }, // reserved, 0 (Windows: "copy protected" 0x5a5a)
  partitionRecord1: { offset: 0x1be, type: 'bytes', length: 16 },
  partitionRecord2: { offset: 0x1ce, type: 'bytes', length: 16 },
  partitionRecord3: { offset: 0x1de, type: 'bytes', length: 16 },
  partitionRecord4: { offset: 0x1ee, type: 'bytes', length: 16 },
  signature: { offset: 0x1fe, type: 'u16' }, // MBR_BOOT_SIGNATURE
});
type MbrFields = StructValue<typeof MBR>;

/** The MBR with its four partition records decoded. */
export interface Mbr {
  readonly bootCode: Uint8Array;
  readonly uniqueMbrDiskSignature: number;
  readonly unknown: number;
  readonly partitionRecords: readonly MbrPartitionRecord[];
  readonly signature: number;
}

const RECORD_KEYS = ['partitionRecord1', 'partitionRecord2', 'partitionRecord3', 'partitionRecord4'] as const;

/** Encodes the MBR into a sector of `sectorSize` bytes (the tail of a 4096-byte sector 0 is zero). */
export function encodeMbr(mbr: Mbr, sectorSize = 512): Uint8Array {
  const records = RECORD_KEYS.map((_, i) => MBR_PARTITION_RECORD.encode(mbr.partitionRecords[i]));
  const fields: MbrFields = {
    bootCode: mbr.bootCode,
    uniqueMbrDiskSignature: mbr.uniqueMbrDiskSignature,
    unknown: mbr.unknown,
    partitionRecord1: records[0],
    partitionRecord2: records[1],
    partitionRecord3: records[2],
    partitionRecord4: records[3],
    signature: mbr.signature,
  };
  const sector = new Uint8Array(sectorSize);
  MBR.encodeInto(fields, sector, 0);
  return sector;
}

export function checkMbr(mbr: Mbr): Finding[] {
  const raw = { ...emptyFields(), signature: mbr.signature } as MbrFields;
  return [...expectEqual(MBR, raw, 'signature', MBR_BOOT_SIGNATURE), ...mbr.partitionRecords.flatMap(checkMbrPartitionRecord)];
}

function emptyFields(): Omit<MbrFields, 'signature'> {
  const z = new Uint8Array(16);
  return { bootCode: new Uint8Array(440), uniqueMbrDiskSignature: 0, unknown: 0, partitionRecord1: z, partitionRecord2: z, partitionRecord3: z, partitionRecord4: z };
}

/** Decodes without judging (for inspect, which reports findings itself). */
export function readMbr(bytes: Uint8Array): Mbr {
  const raw = MBR.decode(bytes);
  return {
    bootCode: raw.bootCode,
    uniqueMbrDiskSignature: raw.uniqueMbrDiskSignature,
    unknown: raw.unknown,
    partitionRecords: RECORD_KEYS.map((k) => MBR_PARTITION_RECORD.decode(raw[k])),
    signature: raw.signature,
  };
}

export function decodeMbr(bytes: Uint8Array): Mbr {
  const mbr = readMbr(bytes);
  throwFirst(checkMbr(mbr));
  RECORD_KEYS.forEach((k) => decodeMbrPartitionRecord(MBR.decode(bytes)[k]));
  return mbr;
}
