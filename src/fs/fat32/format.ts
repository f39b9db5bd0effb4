// FAT32 plan → chunks. Offsets are relative to the volume's first byte and sector aligned. Metadata a reused disk
// could still hold (old reserved sectors, FATs, root directory) is written explicitly: as bytes where it matters,
// as zero ranges elsewhere, so a 1 TiB volume's 1 GiB FATs cost one sector of bytes each plus one zero range.
//
// Reserved region (fatgen103 "FAT32 FSInfo Sector Structure and Backup Boot Sector"):
//   0 boot sector · 1 FSInfo · 2–5 zero · 6 backup boot sector · 7 backup FSInfo · 8 zero · 9… zero
// Windows' own boot record spans sectors 0–2 (and 6–8), sector 2 holding more of its boot code; ours fits in
// sector 0, so sectors 2 and 8 are zero.
import { unixToDosDateTime } from '../../binary/time-formats.js';
import type { Chunk, ContentChunk } from '../../disk-types.js';
import type { FsChunks } from '../fs-interface.js';
import { FAT32_JMP_BOOT, fat32BootCode } from './boot-code.js';
import {
  FAT32_FILE_SYSTEM_TYPE, FAT_BOOT_SIGNATURE, FAT_DRIVE_NUMBER_HARD_DISK, FAT_EXTENDED_BOOT_SIGNATURE, FAT_MEDIA_FIXED_DISK,
  encodeFat32BootSector, type Fat32BootSector,
} from './boot-sector.js';
import { ATTR_VOLUME_ID, DIR_ENTRY, type DirEntry } from './dir-entry.js';
import { FIRST_DATA_CLUSTER, encodeFat32Head } from './fat.js';
import { encodeFsInfo, makeFsInfo } from './fsinfo.js';
import { FAT32_NUM_HEADS, FAT32_SECTORS_PER_TRACK, type Fat32Plan } from './plan.js';
import { bootSectorLabel, labelDirName } from './volume-label.js';
import { FSI_UNKNOWN } from './fsinfo.js';
import { encodeFat32Directory, fat32ChainBytes, fat32ChainPieces, fat32FileChunks, placeFat32Tree, type Fat32Placement } from './populate.js';

/** Windows writes "MSDOS5.0" (the corpus sample); fatgen103 recommends "MSWIN4.1" for old drivers that parse it.
 *  No driver Windows or Linux ships reads the field, so we write what Windows writes. */
export const FAT32_OEM_NAME = 'MSDOS5.0';
/** The next-free hint of a fresh volume: cluster 2 is the root directory, 3 is the first free one. */
const FIRST_FREE_CLUSTER = 3;
/** Sectors of the backup boot record: boot sector copy, FSInfo copy, and the (zero) third sector. */
const BACKUP_BOOT_RECORD_SECTORS = 3;

export function fat32BootSectorValue(plan: Fat32Plan): Fat32BootSector {
  return {
    jmpBoot: FAT32_JMP_BOOT,
    oemName: FAT32_OEM_NAME,
    bytsPerSec: plan.bytsPerSec,
    secPerClus: plan.secPerClus,
    rsvdSecCnt: plan.rsvdSecCnt,
    numFats: plan.numFats,
    rootEntCnt: 0,
    totSec16: 0,
    media: FAT_MEDIA_FIXED_DISK,
    fatSz16: 0,
    secPerTrk: FAT32_SECTORS_PER_TRACK,
    numHeads: FAT32_NUM_HEADS,
    hiddSec: plan.hiddSec,
    totSec32: plan.totSec32,
    fatSz32: plan.fatSz32,
    extFlags: 0,
    fsVer: 0,
    rootClus: plan.rootClus,
    fsInfo: plan.fsInfo,
    bkBootSec: plan.bkBootSec,
    reserved: new Uint8Array(12),
    drvNum: FAT_DRIVE_NUMBER_HARD_DISK,
    reserved1: 0,
    bootSig: FAT_EXTENDED_BOOT_SIGNATURE,
    volId: plan.volId,
    volLab: bootSectorLabel(plan.label),
    filSysType: FAT32_FILE_SYSTEM_TYPE,
    bootCode: fat32BootCode(),
    signatureWord: FAT_BOOT_SIGNATURE,
  };
}

/** The root directory's label entry (attribute VOLUME_ID, no cluster, written at the plan's time). */
export function fat32LabelEntry(label: string, timestamp: number): DirEntry {
  const t = unixToDosDateTime(timestamp);
  return {
    name: labelDirName(label),
    attr: ATTR_VOLUME_ID,
    ntRes: 0,
    crtTimeTenth: t.tenMs,
    crtTime: t.time,
    crtDate: t.date,
    lstAccDate: t.date,
    fstClusHi: 0,
    wrtTime: t.time,
    wrtDate: t.date,
    fstClusLo: 0,
    fileSize: 0,
  };
}

export function formatFat32(plan: Fat32Plan): FsChunks {
  const s = plan.bytsPerSec;
  const at = (lba: number): number => lba * s;
  const placement: Fat32Placement | null = plan.files === null ? null : placeFat32Tree({ root: plan.files.root, clusterSize: plan.clusterSize, hasLabel: plan.label !== null }).placement;
  const used = placement?.usedClusterCount ?? 1;
  const nextFree = FIRST_DATA_CLUSTER + used <= plan.clusterCount + 1 ? FIRST_DATA_CLUSTER + used : FSI_UNKNOWN;
  const fsInfo = (): Uint8Array => encodeFsInfo(makeFsInfo(plan.clusterCount - used, placement ? nextFree : FIRST_FREE_CLUSTER), s);
  const clusterOffsetBytes = (cluster: number): number => at(plan.dataStartLba) + (cluster - FIRST_DATA_CLUSTER) * plan.clusterSize;
  const bootSector = (): Uint8Array => encodeFat32BootSector(fat32BootSectorValue(plan), s);
  const afterBackup = plan.bkBootSec + BACKUP_BOOT_RECORD_SECTORS;

  function* body(): Iterable<Chunk> {
    yield* nonEmpty(bodyChunks());
  }

  function* bodyChunks(): Iterable<Chunk> {
    yield { offsetBytes: at(plan.fsInfo), bytes: fsInfo() };
    yield { offsetBytes: at(plan.fsInfo + 1), zeroBytes: at(plan.bkBootSec - plan.fsInfo - 1) };
    yield { offsetBytes: at(afterBackup), zeroBytes: at(plan.rsvdSecCnt - afterBackup) };
    for (let i = 0; i < plan.numFats; i++) {
      const fatLba = plan.rsvdSecCnt + i * plan.fatSz32;
      if (placement) {
        const head = fat32ChainBytes(placement, s);
        yield* fat32ChainPieces(placement, FAT_MEDIA_FIXED_DISK, s, at(fatLba));
        yield { offsetBytes: at(fatLba) + head, zeroBytes: at(plan.fatSz32) - head };
        continue;
      }
      yield { offsetBytes: at(fatLba), bytes: encodeFat32Head(FAT_MEDIA_FIXED_DISK, plan.rootClus, s) };
      yield { offsetBytes: at(fatLba + 1), zeroBytes: at(plan.fatSz32 - 1) };
    }
    if (placement) {
      const label = plan.label === null ? null : fat32LabelEntry(plan.label, plan.timestamp);
      for (const dir of placement.dirs) {
        yield { offsetBytes: clusterOffsetBytes(dir.firstCluster), bytes: encodeFat32Directory(dir, placement, plan.clusterSize, plan.timestamp, label) };
      }
      return;
    }
    const rootLba = plan.dataStartLba + (plan.rootClus - FIRST_DATA_CLUSTER) * plan.secPerClus;
    if (plan.label === null) {
      yield { offsetBytes: at(rootLba), zeroBytes: plan.clusterSize };
    } else {
      const first = new Uint8Array(s);
      DIR_ENTRY.encodeInto(fat32LabelEntry(plan.label, plan.timestamp), first, 0);
      yield { offsetBytes: at(rootLba), bytes: first };
      yield { offsetBytes: at(rootLba + 1), zeroBytes: plan.clusterSize - s };
    }
  }

  function* bootBackup(): Iterable<Chunk> {
    yield { offsetBytes: at(plan.bkBootSec), bytes: bootSector() };
    yield { offsetBytes: at(plan.bkBootSec + 1), bytes: fsInfo() };
    yield { offsetBytes: at(plan.bkBootSec + 2), zeroBytes: s };
  }

  function* boot(): Iterable<Chunk> {
    yield { offsetBytes: 0, bytes: bootSector() };
  }

  function* files(): Iterable<ContentChunk> {
    if (placement) yield* fat32FileChunks(placement, clusterOffsetBytes, s, plan.clusterSize);
  }

  return { body, files, bootBackup, boot };
}

function* nonEmpty(chunks: Iterable<Chunk>): Iterable<Chunk> {
  for (const c of chunks) if (!('zeroBytes' in c) || c.zeroBytes > 0) yield c;
}
