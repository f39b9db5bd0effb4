// The FAT32 whole-volume walk: every directory from the root (a stack of directories still to visit), every file's
// chain followed through FAT 1 (read a block at a time, never whole), each cluster marked in a bitmap of
// clusterCount bits (at most 32 MiB for the largest FAT32). What it finds is returned as problems the walk checks
// turn into findings: a chain longer or shorter than the file's size, a cluster reached twice, a chain into a free,
// bad or out-of-volume cluster, a long name whose checksum names another 8.3 entry, and afterwards the clusters the
// FAT allocates that no entry reaches. Every loop ends: a chain stops at the first cluster already marked.
import { readUint } from '../binary/fields.js';
import { hex } from '../errors.js';
import { ATTR_DIRECTORY, ATTR_LONG_NAME, ATTR_VOLUME_ID, DIR_ENTRY, DIR_ENTRY_END, DIR_ENTRY_FREE, DIR_ENTRY_SIZE } from '../fs/fat32/dir-entry.js';
import { FAT32_BAD_CLUSTER, FAT32_ENTRY_BYTES, FAT32_ENTRY_MASK, FAT32_EOC_MIN, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { LAST_LONG_ENTRY, LONG_NAME_ENTRY, decodeShortName, shortNameChecksum } from '../fs/fat32/long-name-entry.js';
import type { BlockTarget } from '../target/block-target.js';

/** FAT entries are read in blocks of this many bytes. */
const FAT_BLOCK_BYTES = 1024 * 1024;
/** Past this many problems of one kind the walk only counts them (a wrecked volume would otherwise flood the report). */
export const WALK_PROBLEM_LIMIT = 100;
const FREE_ENTRY = 0;
/** The DIR_Name[0] of "." and ".." entries. */
const DOT = 0x2e;

export type FatWalkCode = 'FAT_CHAIN_SIZE_MISMATCH' | 'FAT_CROSS_LINKED' | 'FAT_CHAIN_INVALID' | 'FAT_LFN_CHECKSUM';

export interface FatWalkProblem {
  readonly code: FatWalkCode;
  readonly path: string;
  /** Volume byte of the directory entry or FAT entry that says so. */
  readonly offsetBytes: number;
  readonly field: string;
  readonly expected?: string;
  readonly actual: string;
  readonly message: string;
}

export interface FatWalkResult {
  readonly problems: readonly FatWalkProblem[];
  /** How many problems of each code were found (the list keeps the first WALK_PROBLEM_LIMIT of each). */
  readonly counts: Readonly<Record<FatWalkCode, number>>;
  /** Clusters allocated in FAT 1 (not free, not bad) that no directory entry reaches. */
  readonly lostClusters: number;
  readonly firstLostCluster: number | null;
  readonly directories: number;
  readonly files: number;
}

export interface FatWalkLayout {
  readonly volume: BlockTarget;
  readonly fatAt: number;
  readonly dataStartLba: number;
  readonly sectorSize: number;
  readonly secPerClus: number;
  readonly clusterCount: number;
  readonly rootCluster: number;
}

/** FAT 1's entries, read through one cached block. */
class FatReader {
  private block: Uint8Array = new Uint8Array(0);
  private blockStart = -1;
  constructor(private readonly layout: FatWalkLayout) {}

  async entry(cluster: number): Promise<number> {
    const at = cluster * FAT32_ENTRY_BYTES;
    if (at < this.blockStart || at + FAT32_ENTRY_BYTES > this.blockStart + this.block.length) {
      const end = (this.layout.clusterCount + FIRST_DATA_CLUSTER) * FAT32_ENTRY_BYTES;
      this.blockStart = at - (at % FAT_BLOCK_BYTES);
      this.block = await this.layout.volume.read(this.layout.fatAt + this.blockStart, Math.min(FAT_BLOCK_BYTES, end - this.blockStart));
    }
    return readUint(this.block, at - this.blockStart, 4) & FAT32_ENTRY_MASK;
  }
}

/** One bit per data cluster: reached by some entry. */
class ClusterBitmap {
  private readonly bits: Uint8Array;
  constructor(clusterCount: number) { this.bits = new Uint8Array(Math.ceil(clusterCount / 8)); }
  has(cluster: number): boolean { const i = cluster - FIRST_DATA_CLUSTER; return (this.bits[i >> 3] & (1 << (i & 7))) !== 0; }
  set(cluster: number): void { const i = cluster - FIRST_DATA_CLUSTER; this.bits[i >> 3] |= 1 << (i & 7); }
}

interface Owner { readonly path: string; readonly entryAt: number }

class Walk {
  readonly problems: FatWalkProblem[] = [];
  readonly counts: Record<FatWalkCode, number> = { FAT_CHAIN_SIZE_MISMATCH: 0, FAT_CROSS_LINKED: 0, FAT_CHAIN_INVALID: 0, FAT_LFN_CHECKSUM: 0 };
  readonly fat: FatReader;
  readonly used: ClusterBitmap;
  readonly lastCluster: number;
  readonly clusterBytes: number;
  directories = 0;
  files = 0;

  constructor(readonly l: FatWalkLayout) {
    this.fat = new FatReader(l);
    this.used = new ClusterBitmap(l.clusterCount);
    this.lastCluster = l.clusterCount + FIRST_DATA_CLUSTER - 1;
    this.clusterBytes = l.sectorSize * l.secPerClus;
  }

  report(p: FatWalkProblem): void {
    if (++this.counts[p.code] <= WALK_PROBLEM_LIMIT) this.problems.push(p);
  }

  inRange(cluster: number): boolean { return cluster >= FIRST_DATA_CLUSTER && cluster <= this.lastCluster; }
  clusterAt(cluster: number): number { return (this.l.dataStartLba + (cluster - FIRST_DATA_CLUSTER) * this.l.secPerClus) * this.l.sectorSize; }

  /**
   * Follows the chain from `first`, marking each cluster, and calls `visit` with each one (directories read it);
   * returns how many clusters it had. Stops at the end mark, at a cluster already marked (a cross-link or a loop),
   * or at a link the FAT cannot have inside a chain (free, bad, out of the volume).
   */
  async follow(first: number, owner: Owner, visit?: (cluster: number) => Promise<void>): Promise<number> {
    let cluster = first;
    let from = { offsetBytes: owner.entryAt, field: 'fstClus' };
    let length = 0;
    for (;;) {
      if (!this.inRange(cluster)) {
        this.report({ code: 'FAT_CHAIN_INVALID', path: owner.path, ...from, actual: hex(cluster),
          message: `${owner.path}: its chain reaches cluster ${cluster}, outside the volume (clusters ${FIRST_DATA_CLUSTER}–${this.lastCluster})` });
        return length;
      }
      if (this.used.has(cluster)) {
        this.report({ code: 'FAT_CROSS_LINKED', path: owner.path, ...from, actual: String(cluster),
          message: `${owner.path}: cluster ${cluster} is reached a second time (shared with another file or directory, or a loop in the chain)` });
        return length;
      }
      this.used.set(cluster);
      length++;
      if (visit) await visit(cluster);
      const next = await this.fat.entry(cluster);
      const entry = { offsetBytes: this.l.fatAt + cluster * FAT32_ENTRY_BYTES, field: `FAT[${cluster}]` };
      if (next >= FAT32_EOC_MIN) return length;
      if (next === FREE_ENTRY || next === FAT32_BAD_CLUSTER) {
        this.report({ code: 'FAT_CHAIN_INVALID', path: owner.path, ...entry, actual: hex(next),
          message: `${owner.path}: cluster ${cluster} of its chain is marked ${next === FREE_ENTRY ? 'free (a new file would overwrite it)' : 'bad'} in the FAT` });
        return length;
      }
      from = entry;
      cluster = next;
    }
  }
}

interface DirToVisit { readonly path: string; readonly cluster: number; readonly entryAt: number }

/** Walks every directory from the root and then streams FAT 1 for the allocated clusters nothing reached. */
export async function walkFat32(l: FatWalkLayout): Promise<FatWalkResult> {
  const w = new Walk(l);
  const stack: DirToVisit[] = [{ path: '/', cluster: l.rootCluster, entryAt: 0 }];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    w.directories++;
    const scan = new DirScan(w, dir.path, stack);
    await w.follow(dir.cluster, { path: dir.path, entryAt: dir.entryAt }, async (cluster) => {
      if (!scan.ended) await scan.cluster(await l.volume.read(w.clusterAt(cluster), w.clusterBytes), w.clusterAt(cluster));
    });
    await scan.flushFiles();
  }
  const lost = await countLost(w);
  return { problems: w.problems, counts: w.counts, lostClusters: lost.count, firstLostCluster: lost.first, directories: w.directories, files: w.files };
}

interface FileEntry { readonly path: string; readonly entryAt: number; readonly first: number; readonly size: number }

/** One directory's entries, a cluster at a time: long names matched to their 8.3 entry, files and subdirectories queued. */
class DirScan {
  ended = false;
  /** The checksum and where the pending long name began, while its pieces come in. */
  private lfn: { checksum: number; at: number } | null = null;
  /** Files are followed after the directory's own chain, so the directory's clusters are all marked first. */
  private readonly files: FileEntry[] = [];
  constructor(private readonly w: Walk, private readonly path: string, private readonly stack: DirToVisit[]) {}

  async cluster(bytes: Uint8Array, at: number): Promise<void> {
    for (let i = 0; i + DIR_ENTRY_SIZE <= bytes.length; i += DIR_ENTRY_SIZE) {
      const raw = bytes.subarray(i, i + DIR_ENTRY_SIZE);
      if (raw[0] === DIR_ENTRY_END) { this.ended = true; return; }
      if (raw[0] === DIR_ENTRY_FREE) { this.lfn = null; continue; }
      if ((raw[0x0b] & 0x3f) === ATTR_LONG_NAME) { this.longPiece(raw, at + i); continue; }
      this.shortEntry(raw, at + i);
    }
    // A directory is followed to its end mark only; the rest of a large directory is not held.
    if (this.files.length >= 1024) await this.flushFiles();
  }

  private longPiece(raw: Uint8Array, at: number): void {
    const e = LONG_NAME_ENTRY.decode(raw);
    if (e.ord & LAST_LONG_ENTRY) this.lfn = { checksum: e.chksum, at };
    else if (this.lfn && this.lfn.checksum !== e.chksum) this.lfn = { checksum: e.chksum, at };
  }

  private shortEntry(raw: Uint8Array, at: number): void {
    const e = DIR_ENTRY.decode(raw);
    const lfn = this.lfn;
    this.lfn = null;
    if ((e.attr & (ATTR_VOLUME_ID | ATTR_DIRECTORY)) === ATTR_VOLUME_ID) return;
    if (e.name[0] === DOT) return; // "." and "..": the directory itself and its parent
    const name = decodeShortName(e.name, e.ntRes);
    const path = `${this.path}${name}`;
    if (lfn && lfn.checksum !== shortNameChecksum(e.name)) {
      this.w.report({ code: 'FAT_LFN_CHECKSUM', path, offsetBytes: lfn.at + LONG_NAME_ENTRY.fields.chksum.offset, field: 'chksum',
        expected: hex(shortNameChecksum(e.name)), actual: hex(lfn.checksum),
        message: `${path}: the long name before this 8.3 entry has checksum ${hex(lfn.checksum)}, the 8.3 name's is ${hex(shortNameChecksum(e.name))}: Windows drops the long name and shows ${name}` });
    }
    const first = (e.fstClusHi << 16) | e.fstClusLo;
    if (e.attr & ATTR_DIRECTORY) {
      this.w.files++;
      if (first !== 0) this.stack.push({ path: `${path}/`, cluster: first, entryAt: at });
      return;
    }
    this.w.files++;
    this.files.push({ path, entryAt: at, first, size: e.fileSize });
  }

  async flushFiles(): Promise<void> {
    for (const f of this.files.splice(0)) await checkFile(this.w, f);
  }
}

async function checkFile(w: Walk, f: FileEntry): Promise<void> {
  const expected = Math.ceil(f.size / w.clusterBytes);
  const length = f.first === 0 ? 0 : await w.follow(f.first, { path: f.path, entryAt: f.entryAt });
  if (length === expected) return;
  w.report({ code: 'FAT_CHAIN_SIZE_MISMATCH', path: f.path, offsetBytes: f.entryAt + DIR_ENTRY.fields.fileSize.offset, field: 'fileSize',
    expected: `${expected} clusters`, actual: `${length} clusters`,
    message: `${f.path}: ${f.size} bytes need ${expected} clusters of ${w.clusterBytes} bytes, its chain has ${length}` });
}

/** Streams FAT 1: allocated entries (not free, not bad) of clusters the walk did not mark. */
async function countLost(w: Walk): Promise<{ count: number; first: number | null }> {
  let count = 0;
  let first: number | null = null;
  for (let c = FIRST_DATA_CLUSTER; c <= w.lastCluster; c++) {
    const e = await w.fat.entry(c);
    if (e === FREE_ENTRY || e === FAT32_BAD_CLUSTER || w.used.has(c)) continue;
    count++;
    first ??= c;
  }
  return { count, first };
}
