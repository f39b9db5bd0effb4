// FAT inspector: decodes a FAT12/16/32 volume's boot sector (read-only) and, for FAT32, its backup boot sector,
// FSInfo, FATs and root directory label, and explains what it finds. Every loop is bounded, every read is checked
// against the volume first, and garbage yields findings or a GuestdiskError, never anything else.
import { finding, readUint, type Finding } from '../binary/fields.js';
import { GuestdiskError, hex } from '../errors.js';
import {
  FAT32_BOOT_SECTOR, FAT_NO_NAME_LABEL, checkFat32BootSector, type Fat32BootSector,
} from '../fs/fat32/boot-sector.js';
import { ATTR_DIRECTORY, ATTR_LONG_NAME, ATTR_VOLUME_ID, DIR_ENTRY, DIR_ENTRY_END, DIR_ENTRY_FREE, DIR_ENTRY_SIZE } from '../fs/fat32/dir-entry.js';
import { FAT16_BOOT_SECTOR, checkFat16BootSector } from '../fs/fat32/fat16-boot-sector.js';
import { FAT12_MAX_CLUSTERS, FAT32_ENTRY_MASK, FAT32_EOC_MIN, FAT32_MIN_CLUSTERS, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { FSINFO, FSI_UNKNOWN, checkFsInfo } from '../fs/fat32/fsinfo.js';
import type { BlockTarget } from '../target/block-target.js';
import type { VolumeGeometryReport } from './report.js';
import type { FsInspectContext } from './fs-dispatch.js';

export type FatType = 'fat12' | 'fat16' | 'fat32';

export interface FatReport extends VolumeGeometryReport {
  /** By cluster count, as fatgen103 says (never by the type string). */
  readonly type: FatType;
  /** BS_VolLab without padding; null for "NO NAME" or a boot sector without the extended fields. */
  readonly label: string | null;
  /** The root directory's volume label entry (what Windows shows), without padding; null when there is none. */
  readonly rootLabel: string | null;
  /** BS_VolID as 0x-prefixed hex; null without the extended boot signature. */
  readonly volumeId: string | null;
  readonly oemName: string;
  readonly reservedSectors: number;
  readonly fatCount: number;
  readonly fatSizeSectors: number;
  readonly dataStartLba: number;
  readonly hiddenSectors: number;
  /** FAT32 FSInfo; null on FAT12/16 or when FSInfo is unreadable. 0xFFFFFFFF means "unknown". */
  readonly freeCount: number | null;
  readonly nextFree: number | null;
  /** Free clusters counted in FAT 1 (FAT32 with FATs up to 64 MiB); null when not counted. */
  readonly freeCountActual: number | null;
}

/** FATs are compared over at most this many bytes; free clusters are counted only in FATs up to the second. */
const FAT_COMPARE_BYTES = 1024 * 1024;
const FAT_COUNT_LIMIT_BYTES = 64 * 1024 * 1024;
const READ_BLOCK_BYTES = 4 * 1024 * 1024;
/** A root directory longer than this is not followed further (a fresh one has 1 cluster). */
const ROOT_CHAIN_LIMIT = 4096;
/** A free FAT entry. */
const FAT32_FREE_ENTRY = 0;
const ROOT_READ_LIMIT_BYTES = 64 * 1024 * 1024;

const S = 'FatVolume';

export async function inspectFatVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<{ report: FatReport; findings: Finding[] }> {
  if (volume.sizeBytes < 512) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `FAT volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const head = await volume.read(0, 512);
  const bpb = FAT16_BOOT_SECTOR.decode(head); // BPB part is common; the rest is re-read per type below
  const firstError = checkFat16BootSector(bpb).find((f) => f.severity === 'error');
  if (firstError) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `not a FAT boot sector: ${firstError.message}`, { code: firstError.code });
  }
  if (bpb.rsvdSecCnt === 0) throw new GuestdiskError('CORRUPT_STRUCTURE', 'not a FAT boot sector: BPB_RsvdSecCnt is 0');

  const s = bpb.bytsPerSec;
  const isFat32Layout = bpb.fatSz16 === 0;
  const b32 = FAT32_BOOT_SECTOR.decode(head);
  const fatSz = isFat32Layout ? b32.fatSz32 : bpb.fatSz16;
  const totSec = bpb.totSec16 !== 0 ? bpb.totSec16 : bpb.totSec32;
  const rootDirSectors = Math.ceil((bpb.rootEntCnt * DIR_ENTRY_SIZE) / s);
  const dataStartLba = bpb.rsvdSecCnt + bpb.numFats * fatSz + rootDirSectors;
  if (fatSz === 0 || dataStartLba >= totSec) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `not a usable FAT volume: FAT size ${fatSz}, data region at sector ${dataStartLba} of ${totSec}`, {
      fatSizeSectors: fatSz, dataStartLba, totalSectors: totSec,
    });
  }
  const clusterCount = Math.floor((totSec - dataStartLba) / bpb.secPerClus);
  const type: FatType = clusterCount <= FAT12_MAX_CLUSTERS ? 'fat12' : clusterCount < FAT32_MIN_CLUSTERS ? 'fat16' : 'fat32';
  const findings: Finding[] = [];
  const volumeSizeBytes = totSec * s;
  const inVolume = (offsetBytes: number, lengthBytes: number): boolean => offsetBytes >= 0 && offsetBytes + lengthBytes <= volume.sizeBytes;

  if (volumeSizeBytes > ctx.partitionSizeBytes || volumeSizeBytes > volume.sizeBytes) {
    findings.push(finding({ code: 'FAT_VOLUME_TOO_LARGE', structure: S, field: 'totSec32', offsetBytes: 0x20,
      expected: `<= ${Math.min(ctx.partitionSizeBytes, volume.sizeBytes)} bytes`, actual: `${volumeSizeBytes} bytes`,
      message: `the boot sector says ${totSec} sectors (${volumeSizeBytes} bytes), more than the ${Math.min(ctx.partitionSizeBytes, volume.sizeBytes)}-byte partition` }));
  }
  if (ctx.partitionStartLba !== null && bpb.hiddSec !== ctx.partitionStartLba) {
    findings.push(finding({ severity: 'warning', code: 'FAT_HIDDEN_SECTORS', structure: S, field: 'hiddSec', offsetBytes: 0x1c,
      expected: String(ctx.partitionStartLba), actual: String(bpb.hiddSec),
      message: `BPB_HiddSec is ${bpb.hiddSec}, the partition starts at LBA ${ctx.partitionStartLba}` }));
  }
  if ((type === 'fat32') !== isFat32Layout) {
    findings.push(finding({ code: 'FAT_TYPE_LAYOUT', structure: S, field: 'fatSz16', offsetBytes: 0x16,
      expected: type === 'fat32' ? 'BPB_FATSz16 = 0 (FAT32 layout)' : 'BPB_FATSz16 > 0 (FAT12/16 layout)', actual: String(bpb.fatSz16),
      message: `${clusterCount} clusters make this ${type.toUpperCase()}, but the boot sector has the ${isFat32Layout ? 'FAT32' : 'FAT12/16'} layout` }));
  }

  const ext = isFat32Layout ? b32 : FAT16_BOOT_SECTOR.decode(head);
  const hasExt = ext.bootSig === 0x29;
  const bootLabel = hasExt && ext.volLab !== FAT_NO_NAME_LABEL ? ext.volLab.replace(/ +$/, '') : null;

  // FATs: compare their first sectors (FAT_FATS_DIFFER); both must lie in the volume.
  const fatOffset = (i: number): number => (bpb.rsvdSecCnt + i * fatSz) * s;
  if (bpb.numFats >= 2) {
    const n = Math.min(fatSz * s, FAT_COMPARE_BYTES);
    if (inVolume(fatOffset(1), n)) {
      const [a, b] = [await volume.read(fatOffset(0), n), await volume.read(fatOffset(1), n)];
      const at = a.findIndex((x, i) => x !== b[i]);
      if (at >= 0) {
        findings.push(finding({ code: 'FAT_FATS_DIFFER', structure: S, offsetBytes: fatOffset(1) + at,
          message: `FAT 1 and FAT 2 differ at byte ${at} of the FAT (compared the first ${n} bytes)` }));
      }
    }
  }

  let freeCount: number | null = null;
  let nextFree: number | null = null;
  let freeCountActual: number | null = null;
  let rootLabel: string | null = null;

  if (type === 'fat32' && isFat32Layout) {
    findings.push(...checkFat32BootSector(b32).filter((f) => f.field === 'rootEntCnt' || f.field === 'totSec16'));
    await checkBackupBoot(volume, b32, head, s, findings);
    const fsInfoAt = b32.fsInfo * s;
    if (b32.fsInfo === 0 || b32.fsInfo >= bpb.rsvdSecCnt || !inVolume(fsInfoAt, 512)) {
      findings.push(finding({ code: 'FAT_FSINFO_SIGNATURE', structure: S, field: 'fsInfo', offsetBytes: 0x30,
        actual: String(b32.fsInfo), message: `BPB_FSInfo ${b32.fsInfo} is not a sector of the reserved region (${bpb.rsvdSecCnt} sectors)` }));
    } else {
      const fsi = FSINFO.decode(await volume.read(fsInfoAt, 512));
      const bad = checkFsInfo(fsi);
      for (const f of bad) findings.push({ ...f, code: 'FAT_FSINFO_SIGNATURE', offsetBytes: fsInfoAt + (f.offsetBytes ?? 0) });
      if (bad.length === 0) {
        freeCount = fsi.freeCount;
        nextFree = fsi.nxtFree;
      }
    }
    if (fatSz * s <= FAT_COUNT_LIMIT_BYTES && inVolume(fatOffset(0), fatSz * s)) {
      freeCountActual = await countFreeClusters(volume, fatOffset(0), clusterCount);
      if (freeCount !== null && freeCount !== FSI_UNKNOWN && freeCount !== freeCountActual) {
        findings.push(finding({ severity: 'warning', code: 'FAT_FSINFO_FREE_COUNT', structure: 'FsInfo', field: 'freeCount',
          offsetBytes: fsInfoAt + FSINFO.fields.freeCount.offset, expected: String(freeCountActual), actual: String(freeCount),
          message: `FSInfo says ${freeCount} free clusters, FAT 1 has ${freeCountActual}` }));
      }
    }
    rootLabel = await readRootLabelFat32(volume, b32, fatOffset(0), dataStartLba, clusterCount, findings);
  } else if (!isFat32Layout) {
    const rootAt = (bpb.rsvdSecCnt + bpb.numFats * fatSz) * s;
    if (inVolume(rootAt, rootDirSectors * s)) rootLabel = findLabel(await volume.read(rootAt, rootDirSectors * s));
  }

  if (hasExt && bootLabel !== rootLabel) {
    findings.push(finding({ severity: 'warning', code: 'FAT_LABEL_MISMATCH', structure: S, field: 'volLab',
      offsetBytes: isFat32Layout ? 0x47 : 0x2b, expected: JSON.stringify(rootLabel ?? 'NO NAME'), actual: JSON.stringify(bootLabel ?? 'NO NAME'),
      message: `boot sector label ${JSON.stringify(bootLabel ?? 'NO NAME')} and root directory label ${JSON.stringify(rootLabel)} disagree` }));
  }

  const report: FatReport = {
    type,
    label: bootLabel,
    rootLabel,
    volumeId: hasExt ? hex(ext.volId) : null,
    oemName: bpb.oemName,
    bytesPerSector: s,
    clusterSize: s * bpb.secPerClus,
    clusterCount,
    reservedSectors: bpb.rsvdSecCnt,
    fatCount: bpb.numFats,
    fatSizeSectors: fatSz,
    dataStartLba,
    volumeSizeBytes,
    partitionSizeBytes: ctx.partitionSizeBytes,
    hiddenSectors: bpb.hiddSec,
    freeCount,
    nextFree,
    freeCountActual,
  };
  return { report, findings };
}

async function checkBackupBoot(volume: BlockTarget, b32: Fat32BootSector, head: Uint8Array, s: number, findings: Finding[]): Promise<void> {
  const at = b32.bkBootSec * s;
  if (b32.bkBootSec === 0 || b32.bkBootSec >= b32.rsvdSecCnt || at + 512 > volume.sizeBytes) {
    findings.push(finding({ code: 'FAT_BACKUP_BOOT_DIFFERS', structure: S, field: 'bkBootSec', offsetBytes: 0x32,
      actual: String(b32.bkBootSec), message: `no backup boot sector: BPB_BkBootSec is ${b32.bkBootSec} (reserved region: ${b32.rsvdSecCnt} sectors)` }));
    return;
  }
  const backup = await volume.read(at, 512);
  const differs: number[] = [];
  for (let i = 0; i < 512; i++) if (backup[i] !== head[i]) differs.push(i);
  if (differs.length > 0) {
    findings.push(finding({ code: 'FAT_BACKUP_BOOT_DIFFERS', structure: S, offsetBytes: at + differs[0],
      message: `backup boot sector (sector ${b32.bkBootSec}) differs from sector 0 in ${differs.length} byte(s), first at offset ${differs[0]}` }));
  }
}

/** Free (zero) entries among clusters 2 … clusterCount + 1 of the FAT at `fatAt`, read a block at a time. */
async function countFreeClusters(volume: BlockTarget, fatAt: number, clusterCount: number): Promise<number> {
  const first = FIRST_DATA_CLUSTER * 4;
  const end = (clusterCount + FIRST_DATA_CLUSTER) * 4;
  let free = 0;
  for (let off = first; off < end; off += READ_BLOCK_BYTES) {
    const block = await volume.read(fatAt + off, Math.min(READ_BLOCK_BYTES, end - off));
    for (let i = 0; i + 4 <= block.length; i += 4) if ((readUint(block, i, 4) & FAT32_ENTRY_MASK) === 0) free++;
  }
  return free;
}

/** Follows the root directory's chain (bounded, loop-safe) and returns its label entry. */
async function readRootLabelFat32(volume: BlockTarget, b32: Fat32BootSector, fatAt: number, dataStartLba: number,
  clusterCount: number, findings: Finding[]): Promise<string | null> {
  const s = b32.bytsPerSec;
  const clusterBytes = s * b32.secPerClus;
  const valid = (c: number): boolean => c >= FIRST_DATA_CLUSTER && c < clusterCount + FIRST_DATA_CLUSTER;
  let cluster = b32.rootClus;
  const seen = new Set<number>();
  const maxSteps = Math.max(1, Math.min(ROOT_CHAIN_LIMIT, Math.floor(ROOT_READ_LIMIT_BYTES / clusterBytes)));
  for (let steps = 0; steps < maxSteps; steps++) {
    const at = (dataStartLba + (cluster - FIRST_DATA_CLUSTER) * b32.secPerClus) * s;
    if (!valid(cluster) || seen.has(cluster) || at + clusterBytes > volume.sizeBytes) {
      findings.push(finding({ code: 'FAT_ROOT_CHAIN', structure: S, field: 'rootClus', offsetBytes: 0x2c, actual: String(cluster),
        message: `root directory chain reaches cluster ${cluster}, which is ${seen.has(cluster) ? 'a loop' : 'outside the volume'}` }));
      return null;
    }
    seen.add(cluster);
    // Every cluster of the chain must be allocated in the FAT: a free one would be handed out to a new file.
    const entryAt = fatAt + cluster * 4;
    const next = entryAt + 4 > volume.sizeBytes ? null : readUint(await volume.read(entryAt, 4), 0, 4) & FAT32_ENTRY_MASK;
    if (next === FAT32_FREE_ENTRY) {
      findings.push(finding({ code: 'FAT_ROOT_CLUSTER_FREE', structure: S, field: 'rootClus', offsetBytes: entryAt, actual: `FAT[${cluster}] = 0`,
        message: `cluster ${cluster} of the root directory is marked free in the FAT: a new file would overwrite the root directory` }));
    }
    const result = scanDirectory(await volume.read(at, clusterBytes));
    if (result.label !== undefined) return result.label;
    if (result.ended || next === null || next === FAT32_FREE_ENTRY || next >= FAT32_EOC_MIN) return null;
    cluster = next;
  }
  return null;
}

function findLabel(dir: Uint8Array): string | null {
  return scanDirectory(dir).label ?? null;
}

/** The first label entry in a run of directory entries; `ended` when the 0x00 end marker was seen. */
function scanDirectory(dir: Uint8Array): { label?: string | null; ended: boolean } {
  for (let i = 0; i + DIR_ENTRY_SIZE <= dir.length; i += DIR_ENTRY_SIZE) {
    const e = DIR_ENTRY.decode(dir.subarray(i, i + DIR_ENTRY_SIZE));
    if (e.name[0] === DIR_ENTRY_END) return { ended: true };
    if (e.name[0] === DIR_ENTRY_FREE) continue;
    if ((e.attr & 0x3f) === ATTR_LONG_NAME) continue; // long-name entries (the two high bits are reserved)
    if ((e.attr & (ATTR_VOLUME_ID | ATTR_DIRECTORY)) === ATTR_VOLUME_ID) {
      return { label: String.fromCharCode(...e.name).replace(/ +$/, ''), ended: false };
    }
  }
  return { ended: false };
}
