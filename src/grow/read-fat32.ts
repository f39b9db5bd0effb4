// Reads what growing a FAT32 volume needs, through the decoders beside the encoders (src/fs/fat32): the boot
// sector, FSInfo, the reserved sectors that hold them and their backups, FAT[1], and the FAT entries past the old
// last cluster (the FAT's slack: at most what the FAT can address beyond the volume). Refuses a volume left dirty:
// FAT[1]'s clean-shutdown bit clear, or the boot sector's dirty flag (BS_Reserved1 bit 0, which Windows NT and
// fsck.fat use) set — a volume some system did not unmount cleanly may have lost chains to repair first.
import { GuestdiskError } from '../errors.js';
import { decodeFat32BootSector, FAT32_BOOT_SECTOR } from '../fs/fat32/boot-sector.js';
import { FAT32_CLN_SHUT_BIT, FAT32_ENTRY_BYTES, FAT32_ENTRY_MASK, FAT32_MIN_CLUSTERS, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { decodeFsInfo, FSINFO } from '../fs/fat32/fsinfo.js';
import { fat32MaxClusters, type Fat32GrowSource } from '../fs/fat32/grow.js';
import type { BlockTarget } from '../target/block-target.js';

/** BS_Reserved1 bit 0: the volume is dirty (mounted, or not unmounted cleanly). */
const BOOT_DIRTY_FLAG = 0x01;
/** BPB_FSInfo / BPB_BkBootSec values meaning "none". */
const NO_SECTOR = [0, 0xffff];
/** Bytes of FAT read per request while checking its slack. */
const SCAN_BYTES = 1024 * 1024;

function corrupt(message: string): GuestdiskError {
  return new GuestdiskError('CORRUPT_STRUCTURE', `FAT32: ${message}`);
}

export async function readFat32GrowSource(volume: BlockTarget): Promise<Fat32GrowSource> {
  const s = volume.logicalSectorSize;
  const boot = decodeFat32BootSector((await volume.read(0, s)).subarray(0, FAT32_BOOT_SECTOR.sizeBytes));
  if (boot.bytsPerSec !== s) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32: the boot sector says ${boot.bytsPerSec}-byte sectors, the disk has ${s}-byte sectors`, { bytesPerSector: boot.bytsPerSec, sectorSize: s });
  }
  const fatStartSector = boot.rsvdSecCnt;
  const dataStartSector = boot.rsvdSecCnt + boot.numFats * boot.fatSz32;
  if (boot.totSec32 * s > volume.sizeBytes) throw corrupt(`the volume (${boot.totSec32} sectors) is larger than its partition (${volume.sizeBytes} bytes)`);
  if (boot.totSec32 <= dataStartSector) throw corrupt(`the volume (${boot.totSec32} sectors) ends before its data region (sector ${dataStartSector})`);
  const clusterCount = Math.floor((boot.totSec32 - dataStartSector) / boot.secPerClus);
  if (clusterCount < FAT32_MIN_CLUSTERS) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32: the volume has ${clusterCount} clusters, fewer than FAT32's ${FAT32_MIN_CLUSTERS} (readers take it for FAT16): guestdisk does not grow it`, { clusterCount });
  }
  const fsInfoSector = NO_SECTOR.includes(boot.fsInfo) ? null : boot.fsInfo;
  const backupBootSector = NO_SECTOR.includes(boot.bkBootSec) ? null : boot.bkBootSec;
  const headSectors = 1 + Math.max(fsInfoSector ?? 0, backupBootSector === null ? 0 : backupBootSector + (fsInfoSector ?? 0));
  if (headSectors > boot.rsvdSecCnt) throw corrupt(`FSInfo (sector ${boot.fsInfo}) or the backup boot sector (sector ${boot.bkBootSec}) lies past the ${boot.rsvdSecCnt} reserved sectors`);
  const head = await volume.read(0, headSectors * s);
  if (fsInfoSector !== null) decodeFsInfo(head.subarray(fsInfoSector * s, fsInfoSector * s + FSINFO.sizeBytes));

  if ((boot.reserved1 & BOOT_DIRTY_FLAG) !== 0) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', 'the FAT32 volume is marked dirty in its boot sector (it was not unmounted cleanly): let Windows check it (chkdsk /f) or run fsck.fat -a, then grow it', { reason: 'dirty' });
  }
  const fatHead = await volume.read(fatStartSector * s, s);
  const fat1 = new DataView(fatHead.buffer, fatHead.byteOffset, fatHead.byteLength).getUint32(FAT32_ENTRY_BYTES, true);
  if ((fat1 & FAT32_CLN_SHUT_BIT) === 0) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', 'the FAT32 volume was not shut down cleanly (FAT[1]\'s clean-shutdown bit is clear): let Windows check it (chkdsk /f) or run fsck.fat -a, then grow it', { reason: 'dirty' });
  }

  const source = {
    kind: 'fat32' as const, bytesPerSector: s, sectorsPerCluster: boot.secPerClus, totalSectors: boot.totSec32, clusterCount,
    dataStartSector, fatStartSector, fatSectors: boot.fatSz32, numFats: boot.numFats, fsInfoSector, backupBootSector, head,
    staleFatTail: [] as boolean[], fatTailSector: [] as Uint8Array[],
  };
  // Entries past the old last cluster, up to the last one the FAT holds: the clusters a grow may add.
  const firstEntry = clusterCount + FIRST_DATA_CLUSTER;
  const endEntry = fat32MaxClusters(source) + FIRST_DATA_CLUSTER;
  for (let copy = 0; copy < boot.numFats; copy++) {
    const fatBytes = (fatStartSector + copy * boot.fatSz32) * s;
    const firstSectorBytes = Math.floor((firstEntry * FAT32_ENTRY_BYTES) / s) * s;
    source.fatTailSector.push(await volume.read(fatBytes + firstSectorBytes, s));
    source.staleFatTail.push(await anyEntrySet(volume, fatBytes, firstEntry, endEntry));
  }
  return source;
}

/** Whether any FAT entry in [firstEntry, endEntry) of the FAT at `fatBytes` is non-zero (read a piece at a time). */
async function anyEntrySet(volume: BlockTarget, fatBytes: number, firstEntry: number, endEntry: number): Promise<boolean> {
  for (let at = firstEntry * FAT32_ENTRY_BYTES; at < endEntry * FAT32_ENTRY_BYTES; at += SCAN_BYTES) {
    const bytes = await volume.read(fatBytes + at, Math.min(SCAN_BYTES, endEntry * FAT32_ENTRY_BYTES - at));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + FAT32_ENTRY_BYTES <= bytes.length; i += FAT32_ENTRY_BYTES) {
      if ((view.getUint32(i, true) & FAT32_ENTRY_MASK) !== 0) return true;
    }
  }
  return false;
}
