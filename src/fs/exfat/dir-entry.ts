// exFAT root-directory critical and benign primary entries: exFAT spec §7.1 "Allocation Bitmap Directory Entry",
// §7.2 "Up-case Table Directory Entry", §7.3 "Volume Label Directory Entry", §7.5 "Volume GUID Directory Entry".
import { defineStruct, expectEqual, expectOneOf, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';
import { hex } from '../../errors.js';
import { entrySetChecksum } from './checksum.js';

export const DIR_ENTRY_SIZE = 32;
/** EntryType values: TypeCode | TypeImportance | TypeCategory | InUse (§6.2.1). */
export const ENTRY_TYPE = {
  allocationBitmap: 0x81,
  upcaseTable: 0x82,
  volumeLabel: 0x83,
  /** A Volume Label entry not in use: what Windows writes when the volume has no label. */
  volumeLabelUnused: 0x03,
  volumeGuid: 0xa0,
  endOfDirectory: 0x00,
} as const;
/** §7.3.2: at most 11 UTF-16 code units. */
export const VOLUME_LABEL_MAX_UNITS = 11;

export const VOLUME_LABEL_ENTRY = defineStruct('ExfatVolumeLabelEntry', DIR_ENTRY_SIZE, {
  entryType:      { offset: 0x00, type: 'u8' },                  // 0x83 (0x03: no label)
  characterCount: { offset: 0x01, type: 'u8' },                  // 0..11
  volumeLabel:    { offset: 0x02, type: 'utf16', length: 22 },
  reserved:       { offset: 0x18, type: 'bytes', length: 8 },
});
export type VolumeLabelEntry = StructValue<typeof VOLUME_LABEL_ENTRY>;

export const ALLOCATION_BITMAP_ENTRY = defineStruct('ExfatAllocationBitmapEntry', DIR_ENTRY_SIZE, {
  entryType:    { offset: 0x00, type: 'u8' },                    // 0x81
  bitmapFlags:  { offset: 0x01, type: 'u8' },                    // bit 0: which FAT/bitmap (0: first)
  reserved:     { offset: 0x02, type: 'bytes', length: 18 },
  firstCluster: { offset: 0x14, type: 'u32' },
  dataLength:   { offset: 0x18, type: 'u64' },                   // bytes: ceil(ClusterCount / 8)
});
export type AllocationBitmapEntry = StructValue<typeof ALLOCATION_BITMAP_ENTRY>;

export const UPCASE_TABLE_ENTRY = defineStruct('ExfatUpcaseTableEntry', DIR_ENTRY_SIZE, {
  entryType:     { offset: 0x00, type: 'u8' },                   // 0x82
  reserved1:     { offset: 0x01, type: 'bytes', length: 3 },
  tableChecksum: { offset: 0x04, type: 'u32' },
  reserved2:     { offset: 0x08, type: 'bytes', length: 12 },
  firstCluster:  { offset: 0x14, type: 'u32' },
  dataLength:    { offset: 0x18, type: 'u64' },                  // bytes
});
export type UpcaseTableEntry = StructValue<typeof UPCASE_TABLE_ENTRY>;

export const VOLUME_GUID_ENTRY = defineStruct('ExfatVolumeGuidEntry', DIR_ENTRY_SIZE, {
  entryType:           { offset: 0x00, type: 'u8' },             // 0xa0
  secondaryCount:      { offset: 0x01, type: 'u8' },             // 0
  setChecksum:         { offset: 0x02, type: 'u16' },            // over this entry, bytes 2-3 skipped
  generalPrimaryFlags: { offset: 0x04, type: 'u16' },            // AllocationPossible 0, NoFatChain 0
  volumeGuid:          { offset: 0x06, type: 'guid' },
  reserved:            { offset: 0x16, type: 'bytes', length: 10 },
});
export type VolumeGuidEntry = StructValue<typeof VOLUME_GUID_ENTRY>;

/** The label entry for `label` (null: Windows' "no label" entry, type 0x03 and empty). */
export function volumeLabelEntry(label: string | null): VolumeLabelEntry {
  return {
    entryType: label === null ? ENTRY_TYPE.volumeLabelUnused : ENTRY_TYPE.volumeLabel,
    characterCount: label === null ? 0 : label.length,
    volumeLabel: label ?? '',
    reserved: new Uint8Array(8),
  };
}

export function encodeVolumeLabelEntry(entry: VolumeLabelEntry): Uint8Array {
  return VOLUME_LABEL_ENTRY.encode(entry);
}
export function checkVolumeLabelEntry(entry: VolumeLabelEntry): Finding[] {
  const out = expectOneOf(VOLUME_LABEL_ENTRY, entry, 'entryType', [ENTRY_TYPE.volumeLabel, ENTRY_TYPE.volumeLabelUnused]);
  if (entry.characterCount > VOLUME_LABEL_MAX_UNITS) {
    out.push(finding({ code: 'EXFAT_VOLUME_LABEL_ENTRY_CHARACTER_COUNT', structure: VOLUME_LABEL_ENTRY.name, field: 'characterCount',
      offsetBytes: 1, expected: `≤ ${VOLUME_LABEL_MAX_UNITS}`, actual: String(entry.characterCount),
      message: `${VOLUME_LABEL_ENTRY.name}.characterCount: expected ≤ ${VOLUME_LABEL_MAX_UNITS}, found ${entry.characterCount}` }));
  }
  return out;
}
/** Decodes a label entry; the label is the first CharacterCount units (a NUL inside stops it, as in the table). */
export function decodeVolumeLabelEntry(bytes: Uint8Array): VolumeLabelEntry {
  const raw = VOLUME_LABEL_ENTRY.decode(bytes);
  throwFirst(checkVolumeLabelEntry(raw));
  return { ...raw, volumeLabel: raw.volumeLabel.slice(0, raw.characterCount) };
}

export function encodeAllocationBitmapEntry(entry: AllocationBitmapEntry): Uint8Array {
  return ALLOCATION_BITMAP_ENTRY.encode(entry);
}
export function checkAllocationBitmapEntry(entry: AllocationBitmapEntry): Finding[] {
  return expectEqual(ALLOCATION_BITMAP_ENTRY, entry, 'entryType', ENTRY_TYPE.allocationBitmap);
}
export function decodeAllocationBitmapEntry(bytes: Uint8Array): AllocationBitmapEntry {
  const entry = ALLOCATION_BITMAP_ENTRY.decode(bytes);
  throwFirst(checkAllocationBitmapEntry(entry));
  return entry;
}

export function encodeUpcaseTableEntry(entry: UpcaseTableEntry): Uint8Array {
  return UPCASE_TABLE_ENTRY.encode(entry);
}
export function checkUpcaseTableEntry(entry: UpcaseTableEntry): Finding[] {
  return expectEqual(UPCASE_TABLE_ENTRY, entry, 'entryType', ENTRY_TYPE.upcaseTable);
}
export function decodeUpcaseTableEntry(bytes: Uint8Array): UpcaseTableEntry {
  const entry = UPCASE_TABLE_ENTRY.decode(bytes);
  throwFirst(checkUpcaseTableEntry(entry));
  return entry;
}

/** The GUID entry for `guid`, with its SetChecksum computed. */
export function volumeGuidEntry(guid: string): VolumeGuidEntry {
  const draft: VolumeGuidEntry = { entryType: ENTRY_TYPE.volumeGuid, secondaryCount: 0, setChecksum: 0, generalPrimaryFlags: 0, volumeGuid: guid, reserved: new Uint8Array(10) };
  return { ...draft, setChecksum: entrySetChecksum(VOLUME_GUID_ENTRY.encode(draft)) };
}
export function encodeVolumeGuidEntry(entry: VolumeGuidEntry): Uint8Array {
  return VOLUME_GUID_ENTRY.encode(entry);
}
export function checkVolumeGuidEntry(entry: VolumeGuidEntry): Finding[] {
  const out = [
    ...expectEqual(VOLUME_GUID_ENTRY, entry, 'entryType', ENTRY_TYPE.volumeGuid),
    ...expectEqual(VOLUME_GUID_ENTRY, entry, 'secondaryCount', 0),
  ];
  const sum = entrySetChecksum(VOLUME_GUID_ENTRY.encode(entry));
  if (sum !== entry.setChecksum) {
    out.push(finding({ code: 'EXFAT_VOLUME_GUID_ENTRY_SET_CHECKSUM', structure: VOLUME_GUID_ENTRY.name, field: 'setChecksum', offsetBytes: 2,
      expected: hex(sum, 4), actual: hex(entry.setChecksum, 4), message: `${VOLUME_GUID_ENTRY.name}.setChecksum: expected ${hex(sum, 4)}, found ${hex(entry.setChecksum, 4)}` }));
  }
  return out;
}
export function decodeVolumeGuidEntry(bytes: Uint8Array): VolumeGuidEntry {
  const entry = VOLUME_GUID_ENTRY.decode(bytes);
  throwFirst(checkVolumeGuidEntry(entry));
  return entry;
}
