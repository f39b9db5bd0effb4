// FAT32 FSInfo sector: fatgen103, "FAT32 FSInfo Sector Structure and Backup Boot Sector".
import { defineStruct, expectEqual, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

export const FSI_LEAD_SIG = 0x41615252;
export const FSI_STRUC_SIG = 0x61417272;
export const FSI_TRAIL_SIG = 0xaa550000;
/** FSI_Free_Count / FSI_Nxt_Free value meaning "unknown, compute it". */
export const FSI_UNKNOWN = 0xffffffff;

export const FSINFO = defineStruct('FsInfo', 512, {
  leadSig:   { offset: 0x000, type: 'u32' },
  reserved1: { offset: 0x004, type: 'bytes', length: 480 }, // reserved, must be 0
  strucSig:  { offset: 0x1e4, type: 'u32' },
  freeCount: { offset: 0x1e8, type: 'u32' },                // free clusters, or 0xFFFFFFFF
  nxtFree:   { offset: 0x1ec, type: 'u32' },                // hint: first cluster to look at, or 0xFFFFFFFF
  reserved2: { offset: 0x1f0, type: 'bytes', length: 12 },  // reserved, must be 0
  trailSig:  { offset: 0x1fc, type: 'u32' },
});

export type FsInfo = StructValue<typeof FSINFO>;

/** The FSInfo value a fresh volume carries: signatures, counts, zero reserved bytes. */
export function makeFsInfo(freeCount: number, nxtFree: number): FsInfo {
  return {
    leadSig: FSI_LEAD_SIG,
    reserved1: new Uint8Array(480),
    strucSig: FSI_STRUC_SIG,
    freeCount,
    nxtFree,
    reserved2: new Uint8Array(12),
    trailSig: FSI_TRAIL_SIG,
  };
}

/** One sector: the 512-byte structure, then zeros (fatgen103 puts the trail signature at 508 whatever the size). */
export function encodeFsInfo(value: FsInfo, sectorSize = 512): Uint8Array {
  const out = new Uint8Array(sectorSize);
  FSINFO.encodeInto(value, out, 0);
  return out;
}

export function checkFsInfo(value: FsInfo): Finding[] {
  return [
    ...expectEqual(FSINFO, value, 'leadSig', FSI_LEAD_SIG),
    ...expectEqual(FSINFO, value, 'strucSig', FSI_STRUC_SIG),
    ...expectEqual(FSINFO, value, 'trailSig', FSI_TRAIL_SIG),
  ];
}

export function decodeFsInfo(bytes: Uint8Array): FsInfo {
  const value = FSINFO.decode(bytes);
  throwFirst(checkFsInfo(value));
  return value;
}
