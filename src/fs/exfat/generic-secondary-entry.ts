// The generic secondary directory entry template: exFAT spec §6.4. Every secondary entry with AllocationPossible
// set owns the clusters FirstCluster/DataLength name, whatever its type: the Stream Extension (0xC0, file-entry.ts)
// and the Vendor Allocation entry (0xE1, §7.9), whose contents only its vendor understands but whose clusters are
// allocated like a file's.
import { defineStruct, type StructValue } from '../../binary/fields.js';

export const GENERIC_SECONDARY_ENTRY = defineStruct('ExfatGenericSecondaryEntry', 32, {
  entryType:             { offset: 0x00, type: 'u8' },
  generalSecondaryFlags: { offset: 0x01, type: 'u8' },                // GENERAL_SECONDARY_FLAG.*
  customDefined:         { offset: 0x02, type: 'bytes', length: 18 }, // Vendor Allocation: VendorGuid, VendorDefined
  firstCluster:          { offset: 0x14, type: 'u32' },
  dataLength:            { offset: 0x18, type: 'u64' },
});
export type ExfatGenericSecondaryEntry = StructValue<typeof GENERIC_SECONDARY_ENTRY>;

/** The Vendor Allocation entry's type (benign secondary, in use). */
export const VENDOR_ALLOCATION_ENTRY_TYPE = 0xe1;
