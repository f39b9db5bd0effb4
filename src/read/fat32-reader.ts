// The FAT32 VolumeReader (fatgen103): directories and files as cluster chains through the active FAT, long names
// assembled from their LDIR entries and used only when every piece is there and their checksum matches the 8.3
// entry (otherwise the 8.3 name, as Windows does), deleted entries skipped, "." / ".." and the label left out.
// FAT times are local times without a zone: they are reported as if UTC.
import { GuestdiskError } from '../errors.js';
import { dosDateTimeToUnix } from '../binary/time-formats.js';
import { decodeFat32BootSector } from '../fs/fat32/boot-sector.js';
import { ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_HIDDEN, ATTR_LONG_NAME, ATTR_READ_ONLY, ATTR_SYSTEM, ATTR_VOLUME_ID, DIR_ENTRY, DIR_ENTRY_END, DIR_ENTRY_FREE, type DirEntry } from '../fs/fat32/dir-entry.js';
import { FAT32_CLN_SHUT_BIT, FAT32_ENTRY_BYTES, FAT32_ENTRY_MASK, FAT32_EOC_MIN, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { decodeShortName, LAST_LONG_ENTRY, LONG_NAME_ENTRY, LONG_NAME_ORD_MASK, longNameFromUnits, longNameUnits, shortNameChecksum } from '../fs/fat32/long-name-entry.js';
import type { BlockTarget } from '../target/block-target.js';
import { createBlockCache } from './block-cache.js';
import { clusterChainReader, type ClusterVolume } from './cluster-chain.js';
import { foldName, joinVolumePath, notADirectory, notFound, splitVolumePath } from './path.js';
import type { Entry, ReadOptions, VolumeReader, VolumeWarning } from './types.js';

/** BPB_ExtFlags bit 7: only the FAT numbered in bits 0–3 is active (no mirroring). */
const EXT_FLAGS_NO_MIRRORING = 0x80;
const EXT_FLAGS_ACTIVE_FAT = 0x0f;

interface FatEntry {
  readonly entry: Entry;
  readonly firstCluster: number;
}

export async function openFat32Reader(volume: BlockTarget): Promise<VolumeReader> {
  const bs = decodeFat32BootSector(await volume.read(0, 512));
  if (bs.fatSz32 === 0 || bs.rootEntCnt !== 0) throw new GuestdiskError('CORRUPT_STRUCTURE', 'not a FAT32 volume (FAT12/FAT16 volumes are not read)');
  const bps = bs.bytsPerSec;
  const clusterSize = bps * bs.secPerClus;
  const totalSectors = bs.totSec32;
  const dataStart = (bs.rsvdSecCnt + bs.numFats * bs.fatSz32) * bps;
  const clusterCount = Math.floor((totalSectors * bps - dataStart) / clusterSize);
  const activeFat = bs.extFlags & EXT_FLAGS_NO_MIRRORING ? bs.extFlags & EXT_FLAGS_ACTIVE_FAT : 0;
  const fatStart = (bs.rsvdSecCnt + activeFat * bs.fatSz32) * bps;
  const cache = createBlockCache(volume);
  const fatEntry = async (n: number): Promise<number> => {
    const b = await cache.read(fatStart + n * FAT32_ENTRY_BYTES, FAT32_ENTRY_BYTES);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  };
  const cv: ClusterVolume = {
    volume,
    clusterSize,
    clusterCount,
    clusterOffset: (c) => dataStart + (c - FIRST_DATA_CLUSTER) * clusterSize,
    next: async (c) => {
      const v = (await fatEntry(c)) & FAT32_ENTRY_MASK;
      return v >= FAT32_EOC_MIN ? null : v;
    },
  };
  const chains = clusterChainReader(cv);

  const warnings: VolumeWarning[] = [];
  if (((await fatEntry(1)) & FAT32_CLN_SHUT_BIT) === 0) {
    warnings.push({ code: 'FAT_DIRTY', message: 'the volume was not cleanly unmounted (FAT[1] ClnShutBit clear): Windows checks it before use; what is read may be incomplete' });
  }

  async function* entries(firstCluster: number): AsyncGenerator<FatEntry & { label?: string }> {
    let units: number[][] = [];
    let expect = 0;
    let checksum = -1;
    for await (const chunk of chains.readChain(firstCluster, null)) {
      for (let at = 0; at + 32 <= chunk.length; at += 32) {
        const raw = chunk.subarray(at, at + 32);
        if (raw[0] === DIR_ENTRY_END) return;
        if (raw[0] === DIR_ENTRY_FREE) {
          units = [];
          expect = 0;
          continue;
        }
        const e = DIR_ENTRY.decode(raw);
        if ((e.attr & 0x3f) === ATTR_LONG_NAME) {
          const l = LONG_NAME_ENTRY.decode(raw);
          const ord = l.ord & LONG_NAME_ORD_MASK;
          if (l.ord & LAST_LONG_ENTRY) {
            units = [];
            expect = ord;
            checksum = l.chksum;
          }
          if (ord === 0 || ord !== expect || l.chksum !== checksum) {
            units = [];
            expect = 0;
            continue;
          }
          units[ord - 1] = longNameUnits(l);
          expect = ord - 1;
          continue;
        }
        const long = units.length > 0 && expect === 0 && shortNameChecksum(e.name) === checksum ? longNameFromUnits(units.flat()) : null;
        units = [];
        expect = 0;
        if (e.attr & ATTR_VOLUME_ID) {
          yield { label: decodeShortName(e.name, 0), entry: describe(e, ''), firstCluster: 0 };
          continue;
        }
        const name = long ?? decodeShortName(e.name, e.ntRes);
        if (name === '.' || name === '..') continue;
        yield { entry: describe(e, name), firstCluster: firstClusterOf(e) };
      }
    }
  }

  const rootEntry: FatEntry = { entry: { ...describe({ ...DIR_ENTRY.decode(new Uint8Array(32)), attr: ATTR_DIRECTORY }, ''), id: bs.rootClus }, firstCluster: bs.rootClus };

  async function resolve(path: string): Promise<FatEntry & { path: string }> {
    const parts = splitVolumePath(path);
    let here = { ...rootEntry, path: '/' };
    for (const [i, part] of parts.entries()) {
      const where = joinVolumePath(parts.slice(0, i + 1));
      if (here.entry.kind !== 'directory') throw notADirectory(here.path);
      let exact: FatEntry | null = null;
      let folded: FatEntry | null = null;
      for await (const e of entries(here.firstCluster)) {
        if (e.label !== undefined) continue;
        if (e.entry.name === part) {
          exact = e;
          break;
        }
        if (!folded && foldName(e.entry.name) === foldName(part)) folded = e;
      }
      const found = exact ?? folded;
      if (!found) throw notFound(where);
      here = { ...found, path: where };
    }
    return here;
  }

  let label: string | null = null;
  for await (const e of entries(bs.rootClus)) {
    if (e.label !== undefined) {
      label = e.label;
      break;
    }
  }

  return {
    filesystem: 'fat32',
    label: label ?? (bs.volLab.trimEnd() === 'NO NAME' ? null : bs.volLab.trimEnd()),
    warnings,
    async *list(path) {
      const dir = await resolve(path);
      if (dir.entry.kind !== 'directory') throw notADirectory(dir.path);
      for await (const e of entries(dir.firstCluster)) if (e.label === undefined) yield e.entry;
    },
    async stat(path) {
      return (await resolve(path)).entry;
    },
    async *read(path, options: ReadOptions = {}) {
      const at = await resolve(path);
      if (options.stream) throw notFound(at.path, `has no stream ${JSON.stringify(options.stream)} (FAT32 has no alternate data streams)`);
      if (at.entry.kind === 'directory') throw new GuestdiskError('PATH_NOT_FOUND', `${at.path} is a directory, not a file`, { path: at.path });
      if (at.entry.sizeBytes === 0) return;
      yield* chains.readChain(at.firstCluster, at.entry.sizeBytes, false, options.reuseBuffer === true);
    },
  };

  function describe(e: DirEntry, name: string): Entry {
    const directory = (e.attr & ATTR_DIRECTORY) !== 0;
    const first = firstClusterOf(e);
    return {
      name,
      kind: directory ? 'directory' : 'file',
      sizeBytes: directory ? 0 : e.fileSize,
      allocatedBytes: directory ? 0 : Math.ceil(e.fileSize / clusterSize) * clusterSize,
      times: {
        modifiedMs: dosMs(e.wrtDate, e.wrtTime, 0) ?? 0,
        createdMs: dosMs(e.crtDate, e.crtTime, e.crtTimeTenth),
        accessedMs: dosMs(e.lstAccDate, 0, 0),
        changedMs: null,
      },
      attributes: {
        readOnly: (e.attr & ATTR_READ_ONLY) !== 0,
        hidden: (e.attr & ATTR_HIDDEN) !== 0,
        system: (e.attr & ATTR_SYSTEM) !== 0,
        archive: (e.attr & ATTR_ARCHIVE) !== 0,
        compressed: false,
        sparse: false,
        encrypted: false,
      },
      linkTarget: null,
      reparseTag: null,
      streams: [],
      id: first,
      links: 1,
    };
  }
}

function firstClusterOf(e: DirEntry): number {
  return (e.fstClusHi << 16) | e.fstClusLo;
}

/** A DOS date of 0 means "not recorded". */
function dosMs(date: number, time: number, tenMs: number): number | null {
  if (date === 0) return null;
  return dosDateTimeToUnix({ date, time, tenMs: 0 }) * 1000 + tenMs * 10;
}
