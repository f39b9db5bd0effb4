// exFAT boot region (12 sectors): exFAT spec §3 "Volume Structure": boot sector (§3.1), 8 extended boot sectors
// (§3.2), OEM parameters (§3.3), a reserved sector, and the boot checksum sector (§3.4).
import { defineStruct, finding, type Finding, type StructValue } from '../../binary/fields.js';
import { hex } from '../../errors.js';
import { bootRegionChecksum } from './checksum.js';
import { encodeExfatBootSector, type ExfatBootSector } from './boot-sector.js';

export const BOOT_REGION_SECTORS = 12;
export const EXTENDED_BOOT_SECTOR_COUNT = 8;
/** The last four bytes of every extended boot sector, as a little-endian u32. */
export const EXTENDED_BOOT_SIGNATURE = 0xaa550000;
export const OEM_PARAMETERS_SECTOR = 9;
export const BOOT_CHECKSUM_SECTOR = 11;

const extendedTables = new Map<number, ReturnType<typeof makeExtendedBootSector>>();
function makeExtendedBootSector(sectorSize: number) {
  return defineStruct('ExfatExtendedBootSector', sectorSize, {
    extendedBootCode:      { offset: 0x00, type: 'bytes', length: sectorSize - 4 }, // ours: all zero
    extendedBootSignature: { offset: sectorSize - 4, type: 'u32' },                 // 0xaa550000
  });
}
/** §3.2: the field table depends on the sector size (the signature is the sector's last four bytes). */
export function extendedBootSectorTable(sectorSize: number): ReturnType<typeof makeExtendedBootSector> {
  let t = extendedTables.get(sectorSize);
  if (!t) {
    t = makeExtendedBootSector(sectorSize);
    extendedTables.set(sectorSize, t);
  }
  return t;
}
export type ExtendedBootSector = StructValue<ReturnType<typeof makeExtendedBootSector>>;

/** §3.3: ten 48-byte parameter slots; a slot of zeros is unused. Windows writes the whole sector as zeros. */
export const OEM_PARAMETERS = defineStruct('ExfatOemParameters', 512, {
  parameters: { offset: 0x000, type: 'bytes', length: 480 }, // 10 × 48: ParametersGuid + 32 custom bytes each
  reserved:   { offset: 0x1e0, type: 'bytes', length: 32 },
});
export type OemParameters = StructValue<typeof OEM_PARAMETERS>;

/** The 12 sectors of a boot region, with the checksum sector computed over the first 11. */
export function encodeBootRegion(bootSector: ExfatBootSector): Uint8Array {
  const bps = 2 ** bootSector.bytesPerSectorShift;
  const region = new Uint8Array(BOOT_REGION_SECTORS * bps);
  region.set(encodeExfatBootSector(bootSector), 0);
  const ext = extendedBootSectorTable(bps);
  for (let i = 1; i <= EXTENDED_BOOT_SECTOR_COUNT; i++) {
    ext.encodeInto({ extendedBootCode: new Uint8Array(bps - 4), extendedBootSignature: EXTENDED_BOOT_SIGNATURE }, region, i * bps);
  }
  OEM_PARAMETERS.encodeInto({ parameters: new Uint8Array(480), reserved: new Uint8Array(32) }, region, OEM_PARAMETERS_SECTOR * bps);
  // sector 10 is reserved: zero
  const sum = bootRegionChecksum(region, bps);
  const view = new DataView(region.buffer, BOOT_CHECKSUM_SECTOR * bps, bps);
  for (let at = 0; at < bps; at += 4) view.setUint32(at, sum, true);
  return region;
}

/** Checks a boot region's extended signatures and checksum sector (the boot sector is checked on its own). */
export function checkBootRegion(region: Uint8Array, bytesPerSector: number, where: string): Finding[] {
  const out: Finding[] = [];
  if (region.length < BOOT_REGION_SECTORS * bytesPerSector) {
    return [finding({ code: 'EXFAT_BOOT_REGION_SHORT', structure: 'ExfatBootRegion', message: `${where}: boot region is ${region.length} bytes, expected ${BOOT_REGION_SECTORS * bytesPerSector}` })];
  }
  const ext = extendedBootSectorTable(bytesPerSector);
  for (let i = 1; i <= EXTENDED_BOOT_SECTOR_COUNT; i++) {
    const v = ext.decode(region.subarray(i * bytesPerSector));
    if (v.extendedBootSignature !== EXTENDED_BOOT_SIGNATURE) {
      out.push(finding({ code: 'EXFAT_EXTENDED_BOOT_SIGNATURE', structure: ext.name, field: 'extendedBootSignature',
        offsetBytes: i * bytesPerSector + bytesPerSector - 4, expected: hex(EXTENDED_BOOT_SIGNATURE), actual: hex(v.extendedBootSignature),
        message: `${where}: extended boot sector ${i} signature: expected ${hex(EXTENDED_BOOT_SIGNATURE)}, found ${hex(v.extendedBootSignature)}` }));
    }
  }
  const sum = bootRegionChecksum(region, bytesPerSector);
  const view = new DataView(region.buffer, region.byteOffset + BOOT_CHECKSUM_SECTOR * bytesPerSector, bytesPerSector);
  for (let at = 0; at < bytesPerSector; at += 4) {
    const found = view.getUint32(at, true);
    if (found !== sum) {
      out.push(finding({ code: 'EXFAT_BOOT_CHECKSUM', structure: 'ExfatBootChecksumSector', offsetBytes: BOOT_CHECKSUM_SECTOR * bytesPerSector + at,
        expected: hex(sum), actual: hex(found), message: `${where}: boot checksum at byte ${at} of sector 11: expected ${hex(sum)}, found ${hex(found)}` }));
      break;
    }
  }
  return out;
}
