// Legacy CHS addresses in MBR partition records. Windows and fdisk use 255 heads × 63 sectors and write
// 0xFE 0xFF 0xFF ("cylinder 1023, head 254, sector 63") once the address no longer fits.
export const CHS_HEADS = 255;
export const CHS_SECTORS_PER_TRACK = 63;
const CHS_MAX_CYLINDER = 1023;
const CHS_SATURATED = Uint8Array.of(0xfe, 0xff, 0xff);

export function encodeChs(lba: number): Uint8Array {
  const cylinder = Math.floor(lba / (CHS_HEADS * CHS_SECTORS_PER_TRACK));
  if (cylinder > CHS_MAX_CYLINDER) return Uint8Array.from(CHS_SATURATED);
  const head = Math.floor(lba / CHS_SECTORS_PER_TRACK) % CHS_HEADS;
  const sector = (lba % CHS_SECTORS_PER_TRACK) + 1;
  return Uint8Array.of(head, ((cylinder >> 2) & 0xc0) | sector, cylinder & 0xff);
}
