// The exFAT VolumeReader (exFAT spec §6–§7): directories are entry sets (File, Stream Extension, File Names) in a
// cluster chain or, with NoFatChain, in consecutive clusters; each set's checksum and name hash are checked against
// the volume's own up-case table, and a damaged set is skipped with a warning (Windows ignores such sets too).
// Bytes past a file's ValidDataLength read as zeros. The backup boot sector is used when the main one is damaged.
import { activeFatOffset } from '../fs/exfat/active-fat.js';
import { GuestdiskError, isGuestdiskError } from '../errors.js';
import { decodeExfatBootSector, type ExfatBootSector } from '../fs/exfat/boot-sector.js';
import { entrySetChecksum } from '../fs/exfat/checksum.js';
import { DIR_ENTRY_SIZE, ENTRY_TYPE, UPCASE_TABLE_ENTRY, VOLUME_LABEL_ENTRY } from '../fs/exfat/dir-entry.js';
import { FAT_END_OF_CHAIN } from '../fs/exfat/fat.js';
import {
  decodeExfatTimestamp, ENTRY_TYPE_IN_USE, ENTRY_TYPE_SECONDARY, EXFAT_FILE_ATTR, exfatNameFromEntries, exfatNameHash,
  FILE_DIRECTORY_ENTRY, FILE_ENTRY_TYPE, FILE_NAME_ENTRY, GENERAL_SECONDARY_FLAG, STREAM_EXTENSION_ENTRY,
} from '../fs/exfat/file-entry.js';
import { expandUpcaseTable, upcaseMapping } from '../fs/exfat/upcase.js';
import type { BlockTarget } from '../target/block-target.js';
import { createBlockCache } from './block-cache.js';
import { clusterChainReader } from './cluster-chain.js';
import { foldName, joinVolumePath, notADirectory, notFound, splitVolumePath } from './path.js';
import type { Entry, ReadOptions, VolumeReader, VolumeWarning } from './types.js';

/** VolumeFlags bit 1 (§3.1.13.2). */
const VOLUME_FLAG_DIRTY = 0x0002;
/** The backup boot region starts at sector 12 (§3.1). */
const BACKUP_BOOT_SECTOR = 12;
/** The up-case table holds at most 65536 units (§7.2.5). */
const MAX_UPCASE_BYTES = 2 * 0x10000;
/** Directories hold at most 256 MiB of entries (§6.2). */
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;

interface Item {
  readonly entry: Entry;
  readonly firstCluster: number;
  readonly noFatChain: boolean;
  readonly dataLength: number;
  readonly validDataLength: number;
}

async function readBootSector(volume: BlockTarget): Promise<ExfatBootSector> {
  try {
    return decodeExfatBootSector(await volume.read(0, 512));
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    for (const sector of [512, 4096]) {
      if ((BACKUP_BOOT_SECTOR + 1) * sector > volume.sizeBytes) continue;
      try {
        const backup = decodeExfatBootSector(await volume.read(BACKUP_BOOT_SECTOR * sector, 512));
        if (2 ** backup.bytesPerSectorShift === sector) return backup;
      } catch (e2) {
        if (!isGuestdiskError(e2)) throw e2;
      }
    }
    throw e;
  }
}

export async function openExfatReader(volume: BlockTarget): Promise<VolumeReader> {
  const bs = await readBootSector(volume);
  const bps = 2 ** bs.bytesPerSectorShift;
  const clusterSize = bps * 2 ** bs.sectorsPerClusterShift;
  const heapStart = bs.clusterHeapOffset * bps;
  // TexFAT keeps two FATs; VolumeFlags.ActiveFat names the one in use (the other may be a rolled-back copy).
  const fatStart = activeFatOffset(bs) * bps;
  const cache = createBlockCache(volume);
  const chains = clusterChainReader({
    volume,
    clusterSize,
    clusterCount: bs.clusterCount,
    clusterOffset: (c) => heapStart + (c - 2) * clusterSize,
    next: async (c) => {
      const b = await cache.read(fatStart + 4 * c, 4);
      const v = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
      return v === FAT_END_OF_CHAIN || v < 2 || v > bs.clusterCount + 1 ? null : v;
    },
  });
  const warnings: VolumeWarning[] = [];
  if (bs.volumeFlags & VOLUME_FLAG_DIRTY) warnings.push({ code: 'EXFAT_DIRTY', message: 'the volume is marked dirty (VolumeDirty): it was not cleanly removed; Windows checks it before use; what is read may be incomplete' });

  async function* rawEntries(item: Pick<Item, 'firstCluster' | 'noFatChain' | 'dataLength'> | null): AsyncGenerator<Uint8Array> {
    const chain = item === null
      ? chains.readChain(bs.firstClusterOfRootDirectory, null)
      : chains.readChain(item.firstCluster, Math.min(item.dataLength, MAX_DIRECTORY_BYTES), item.noFatChain);
    for await (const chunk of chain) {
      for (let at = 0; at + DIR_ENTRY_SIZE <= chunk.length; at += DIR_ENTRY_SIZE) yield chunk.subarray(at, at + DIR_ENTRY_SIZE);
    }
  }

  // The root directory's system entries: the label and the up-case table (for name hashes).
  let label: string | null = null;
  let upcase: Uint16Array | null = null;
  for await (const raw of rawEntries(null)) {
    if (raw[0] === ENTRY_TYPE.endOfDirectory) break;
    if (raw[0] === ENTRY_TYPE.volumeLabel) {
      const l = VOLUME_LABEL_ENTRY.decode(raw);
      label = l.volumeLabel.slice(0, l.characterCount);
    } else if (raw[0] === ENTRY_TYPE.upcaseTable) {
      const u = UPCASE_TABLE_ENTRY.decode(raw);
      const bytes = new Uint8Array(Math.min(u.dataLength, MAX_UPCASE_BYTES));
      let at = 0;
      for await (const piece of chains.readChain(u.firstCluster, bytes.length)) {
        bytes.set(piece, at);
        at += piece.length;
      }
      upcase = expandUpcaseTable(bytes);
    }
  }
  const upcaseMap = upcase ?? upcaseMapping();
  if (!upcase) warnings.push({ code: 'EXFAT_NO_UPCASE_TABLE', message: 'the root directory has no up-case table entry: names are compared with the default table' });

  async function* items(dir: Item | null, where: string): AsyncGenerator<Item> {
    let set: Uint8Array[] = [];
    let wanted = 0;
    let index = -1;
    for await (const raw of rawEntries(dir)) {
      index++;
      const type = raw[0];
      if (type === ENTRY_TYPE.endOfDirectory) return;
      if (set.length > 0 && (type & ENTRY_TYPE_SECONDARY) !== 0 && (type & ENTRY_TYPE_IN_USE) !== 0) {
        set.push(raw.slice());
        if (set.length === wanted) {
          const item = decodeSet(set, where, index);
          if (item) yield item;
          set = [];
        }
        continue;
      }
      if (set.length > 0) damaged(where, index, 'the entry set ends early');
      set = [];
      if (type === FILE_ENTRY_TYPE.file) {
        wanted = raw[1] + 1;
        set = [raw.slice()];
      }
    }
  }

  function damaged(where: string, index: number, what: string): null {
    const message = `${where}: directory entry ${index}: ${what}; the entry is skipped`;
    if (!warnings.some((w) => w.message === message)) warnings.push({ code: 'EXFAT_ENTRY_SET_DAMAGED', message });
    return null;
  }

  function decodeSet(set: Uint8Array[], where: string, index: number): Item | null {
    const all = new Uint8Array(set.length * DIR_ENTRY_SIZE);
    set.forEach((e, i) => all.set(e, i * DIR_ENTRY_SIZE));
    const file = FILE_DIRECTORY_ENTRY.decode(set[0]);
    if (entrySetChecksum(all) !== file.setChecksum) return damaged(where, index, 'SetChecksum does not match');
    if (set[1][0] !== FILE_ENTRY_TYPE.streamExtension) return damaged(where, index, 'no Stream Extension entry after the File entry');
    const stream = STREAM_EXTENSION_ENTRY.decode(set[1]);
    const names = set.slice(2).filter((e) => e[0] === FILE_ENTRY_TYPE.fileName).map((e) => FILE_NAME_ENTRY.decode(e));
    const name = exfatNameFromEntries(names, stream.nameLength);
    if (name.length !== stream.nameLength || name.length === 0) return damaged(where, index, `the name has ${name.length} of ${stream.nameLength} units`);
    if (exfatNameHash(name, upcaseMap) !== stream.nameHash) return damaged(where, index, `NameHash of ${JSON.stringify(name)} does not match`);
    const directory = (file.fileAttributes & EXFAT_FILE_ATTR.directory) !== 0;
    const allocated = (stream.generalSecondaryFlags & GENERAL_SECONDARY_FLAG.allocationPossible) !== 0;
    return {
      firstCluster: allocated ? stream.firstCluster : 0,
      noFatChain: (stream.generalSecondaryFlags & GENERAL_SECONDARY_FLAG.noFatChain) !== 0,
      dataLength: allocated ? stream.dataLength : 0,
      validDataLength: allocated ? stream.validDataLength : 0,
      entry: {
        name,
        kind: directory ? 'directory' : 'file',
        sizeBytes: directory ? 0 : stream.dataLength,
        allocatedBytes: directory || !allocated ? 0 : Math.ceil(stream.dataLength / clusterSize) * clusterSize,
        times: {
          modifiedMs: decodeExfatTimestamp(file.lastModifiedTimestamp, file.lastModified10msIncrement, file.lastModifiedUtcOffset) ?? 0,
          createdMs: decodeExfatTimestamp(file.createTimestamp, file.create10msIncrement, file.createUtcOffset),
          accessedMs: decodeExfatTimestamp(file.lastAccessedTimestamp, 0, file.lastAccessedUtcOffset),
          changedMs: null,
        },
        attributes: {
          readOnly: (file.fileAttributes & EXFAT_FILE_ATTR.readOnly) !== 0,
          hidden: (file.fileAttributes & EXFAT_FILE_ATTR.hidden) !== 0,
          system: (file.fileAttributes & EXFAT_FILE_ATTR.system) !== 0,
          archive: (file.fileAttributes & EXFAT_FILE_ATTR.archive) !== 0,
          compressed: false,
          sparse: false,
          encrypted: false,
        },
        linkTarget: null,
        reparseTag: null,
        streams: [],
        id: allocated ? stream.firstCluster : 0,
        links: 1,
      },
    };
  }

  async function resolve(path: string): Promise<{ item: Item | null; entry: Entry; path: string }> {
    const parts = splitVolumePath(path);
    let here: { item: Item | null; entry: Entry; path: string } = { item: null, entry: rootEntry(bs.firstClusterOfRootDirectory), path: '/' };
    for (const [i, part] of parts.entries()) {
      const where = joinVolumePath(parts.slice(0, i + 1));
      if (here.entry.kind !== 'directory') throw notADirectory(here.path);
      let exact: Item | null = null;
      let folded: Item | null = null;
      const want = foldName(part);
      for await (const it of items(here.item, here.path)) {
        if (it.entry.name === part) {
          exact = it;
          break;
        }
        if (!folded && foldName(it.entry.name) === want) folded = it;
      }
      const found = exact ?? folded;
      if (!found) throw notFound(where);
      here = { item: found, entry: found.entry, path: where };
    }
    return here;
  }

  return {
    filesystem: 'exfat',
    label,
    warnings,
    async *list(path) {
      const dir = await resolve(path);
      if (dir.entry.kind !== 'directory') throw notADirectory(dir.path);
      for await (const it of items(dir.item, dir.path)) yield it.entry;
    },
    async stat(path) {
      return (await resolve(path)).entry;
    },
    async *read(path, options: ReadOptions = {}) {
      const at = await resolve(path);
      if (options.stream) throw notFound(at.path, `has no stream ${JSON.stringify(options.stream)} (exFAT has no alternate data streams)`);
      if (at.entry.kind === 'directory' || !at.item) throw new GuestdiskError('PATH_NOT_FOUND', `${at.path} is a directory, not a file`, { path: at.path });
      const it = at.item;
      if (it.dataLength === 0) return;
      let offset = 0;
      for await (const piece of chains.readChain(it.firstCluster, it.dataLength, it.noFatChain, options.reuseBuffer === true)) {
        // Past ValidDataLength the clusters hold whatever was there: they read as zeros (§7.6.5).
        if (offset + piece.length > it.validDataLength) piece.fill(0, Math.max(0, it.validDataLength - offset));
        offset += piece.length;
        yield piece;
      }
    },
  };
}

function rootEntry(firstCluster: number): Entry {
  return {
    name: '', kind: 'directory', sizeBytes: 0, allocatedBytes: 0,
    times: { modifiedMs: 0, createdMs: null, accessedMs: null, changedMs: null },
    attributes: { readOnly: false, hidden: false, system: false, archive: false, compressed: false, sparse: false, encrypted: false },
    linkTarget: null, reparseTag: null, streams: [], id: firstCluster, links: 1,
  };
}
