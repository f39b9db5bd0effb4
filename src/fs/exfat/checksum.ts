// exFAT checksums: exFAT spec §3.4 "Main and Backup Boot Checksum Sub-regions", §7.2.3 "TableChecksum Field",
// §6.3.3 "SetChecksum Field". All three are the same rotate-right-then-add walk over bytes, at different widths.

/** Byte offsets in the boot sector that the boot checksum skips: VolumeFlags (0x6a, 0x6b) and PercentInUse (0x70),
 *  the only fields an implementation may change in the main boot sector without rewriting the checksum. */
export const BOOT_CHECKSUM_SKIPPED_OFFSETS: readonly number[] = [0x6a, 0x6b, 0x70];

/** 32-bit checksum of `bytes`; `skipBootSectorFields` leaves out the three boot-sector bytes above. */
export function exfatChecksum32(bytes: Uint8Array, skipBootSectorFields: boolean, initial = 0): number {
  let sum = initial >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    if (skipBootSectorFields && i <= 0x70 && BOOT_CHECKSUM_SKIPPED_OFFSETS.includes(i)) continue;
    sum = (((sum & 1) !== 0 ? 0x80000000 : 0) + (sum >>> 1) + bytes[i]) >>> 0;
  }
  return sum;
}

/** Boot checksum over the first 11 sectors of a boot region (boot sector, 8 extended, OEM, reserved). */
export function bootRegionChecksum(region: Uint8Array, bytesPerSector: number): number {
  const sectorZero = region.subarray(0, bytesPerSector);
  const rest = region.subarray(bytesPerSector, 11 * bytesPerSector);
  return exfatChecksum32(rest, false, exfatChecksum32(sectorZero, true));
}

/** 16-bit SetChecksum over a directory entry set (`entries` = 32 bytes × (SecondaryCount + 1)); bytes 2–3 of
 *  the primary entry hold the checksum itself and are skipped. */
export function entrySetChecksum(entries: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < entries.length; i++) {
    if (i === 2 || i === 3) continue;
    sum = (((sum & 1) !== 0 ? 0x8000 : 0) + (sum >>> 1) + entries[i]) & 0xffff;
  }
  return sum;
}
