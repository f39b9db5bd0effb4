// Before `create` without --force: is there a partition table or filesystem a user might still want?
import { assertBlockTarget, type BlockTarget } from '../target/block-target.js';
import { matches, VOLUME_PROBE_BYTES, volumeSignatures } from './signatures.js';

const MBR_SIGNATURE_OFFSET = 0x1fe;
const EFI_PART = Uint8Array.from('EFI PART', (c) => c.charCodeAt(0));
/** Where partitions usually start: 1 MiB (Windows, parted), 64 KiB (Windows XP-era small disks), 63 sectors. */
const USUAL_PARTITION_STARTS = [1024 * 1024, 64 * 1024, 63 * 512, 2048 * 4096];

/** Describes what the target already holds ("GPT partition table", "ntfs at byte 1048576"); empty when nothing. */
export async function findExistingData(target: BlockTarget): Promise<string[]> {
  assertBlockTarget(target, 'findExistingData');
  const found: string[] = [];
  const headLength = Math.min(target.sizeBytes, Math.max(VOLUME_PROBE_BYTES, 8192));
  const head = await target.read(0, headLength);
  for (const sectorSize of [512, 4096]) {
    if (head.length >= sectorSize + 8 && matches(head, { name: 'gpt', offsetBytes: sectorSize, magic: EFI_PART })) {
      found.push(`GPT partition table (${sectorSize}-byte sectors)`);
    }
  }
  if (head.length >= 512 && head[MBR_SIGNATURE_OFFSET] === 0x55 && head[MBR_SIGNATURE_OFFSET + 1] === 0xaa) {
    const isVolume = volumeSignatures(head).some((n) => n === 'ntfs' || n === 'exfat' || n.startsWith('fat'));
    if (!isVolume) found.push('MBR (boot signature 0x55AA)');
  }
  for (const name of volumeSignatures(head)) found.push(`${name} filesystem on the whole disk`);
  for (const start of USUAL_PARTITION_STARTS) {
    if (start + 512 > target.sizeBytes) continue;
    const length = Math.min(VOLUME_PROBE_BYTES, target.sizeBytes - start);
    const volume = await target.read(start, length);
    for (const name of volumeSignatures(volume)) found.push(`${name} filesystem at byte ${start}`);
  }
  for (const sectorSize of [512, 4096]) {
    if (target.sizeBytes < 2 * sectorSize) continue;
    const last = await target.read(target.sizeBytes - sectorSize, 8);
    if (matches(last, { name: 'gpt', offsetBytes: 0, magic: EFI_PART })) found.push(`backup GPT header in the last ${sectorSize}-byte sector`);
  }
  return [...new Set(found)];
}
