// Our own boot code for a data volume (no Microsoft bytes). A FAT32 data disk is never booted; if a BIOS does try,
// the code asks it to try the next device (INT 18h, "boot failure") and, should that return, halts for good.
//
// jmpBoot jumps over the BPB to 0x5A, the first byte of BS_BootCode:
//   0x5A  CD 18     int 0x18        ; no bootable volume here: let the BIOS move on
//   0x5C  FA        cli
//   0x5D  F4        hlt             ; 0x5E EB FD: jmp 0x5D, in case a non-maskable interrupt wakes us
//   0x5E  EB FD     jmp short 0x5D
export const FAT32_JMP_BOOT = Uint8Array.of(0xeb, 0x58, 0x90); // jmp short 0x5A; nop
const STUB = [0xcd, 0x18, 0xfa, 0xf4, 0xeb, 0xfd];
export const FAT32_BOOT_CODE_BYTES = 420;

/** BS_BootCode (420 bytes at 0x5A): the stub above, then zeros. */
export function fat32BootCode(): Uint8Array {
  const out = new Uint8Array(FAT32_BOOT_CODE_BYTES);
  out.set(STUB, 0);
  return out;
}
