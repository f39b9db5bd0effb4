// The exFAT whole-volume walk: every directory from the root (a stack of directories still to visit), every entry
// set's checksum and name hash checked, every file's and directory's clusters (contiguous NoFatChain ranges or FAT
// chains, read through one cached FAT block of the active FAT) marked in a bitmap of clusterCount bits, with the
// allocation bitmaps, up-case table, root directory and any Vendor Allocation entry's clusters marked too. Then the allocation bitmap is streamed against what was marked.
import { readUint } from '../binary/fields.js';
import { hex } from '../errors.js';
import type { ExfatBootSector } from '../fs/exfat/boot-sector.js';
import { entrySetChecksum } from '../fs/exfat/checksum.js';
import { activeFatOffset } from '../fs/exfat/active-fat.js';
import { GENERIC_SECONDARY_ENTRY } from '../fs/exfat/generic-secondary-entry.js';
import { FAT_BAD_CLUSTER, FAT_ENTRY_BYTES, FAT_FREE_ENTRY } from '../fs/exfat/fat.js';
import { ENTRY_TYPE_IN_USE, EXFAT_FILE_ATTR, FILE_DIRECTORY_ENTRY, FILE_NAME_ENTRY, GENERAL_SECONDARY_FLAG, STREAM_EXTENSION_ENTRY, exfatNameFromEntries, exfatNameHash } from '../fs/exfat/file-entry.js';
import type { BlockTarget } from '../target/block-target.js';

const ENTRY_BYTES = 32;
const FILE_ENTRY = 0x85;
const STREAM_ENTRY = 0xc0;
const NAME_ENTRY = 0xc1;
const END_OF_DIRECTORY = 0x00;
const FIRST_CLUSTER = 2;
/** FAT values from here up end a chain (0xFFFFFFF8–0xFFFFFFFF). */
const FAT_END_MIN = 0xfffffff8;
const BLOCK_BYTES = 1024 * 1024;
/** The root directory has no length: its chain is followed to its end mark. */
const ROOT_LENGTH = Number.MAX_SAFE_INTEGER;
/** Past this many problems of one kind the walk only counts them. */
export const EXFAT_WALK_PROBLEM_LIMIT = 100;

export type ExfatWalkCode = 'EXFAT_ENTRY_SET_CHECKSUM' | 'EXFAT_NAME_HASH' | 'EXFAT_CROSS_LINKED' | 'EXFAT_CHAIN_INVALID';

export interface ExfatWalkProblem {
  readonly code: ExfatWalkCode;
  readonly offsetBytes: number;
  readonly field: string;
  readonly expected?: string;
  readonly actual: string;
  readonly message: string;
}

export interface ExfatWalkResult {
  readonly problems: readonly ExfatWalkProblem[];
  readonly counts: Readonly<Record<ExfatWalkCode, number>>;
  /** Clusters some file, directory or metadata uses that the allocation bitmap marks free. */
  readonly inUseFree: { readonly count: number; readonly first: number | null };
  /** Clusters the allocation bitmap marks used that nothing uses. */
  readonly leaked: { readonly count: number; readonly first: number | null };
}

export interface ExfatWalkInput {
  readonly volume: BlockTarget;
  readonly bs: ExfatBootSector;
  readonly upcase: Uint16Array;
  /** The active allocation bitmap, compared with what the walk finds. */
  readonly bitmap: { readonly firstCluster: number; readonly dataLength: number };
  /** A TexFAT volume's other allocation bitmap: only its clusters are marked. */
  readonly otherBitmaps?: readonly { readonly firstCluster: number; readonly dataLength: number }[];
  readonly upcaseExtent: { readonly firstCluster: number; readonly dataLength: number };
}

/** Where a stream lives: a first cluster and a length, contiguous or chained through the FAT. */
interface Extent { readonly firstCluster: number; readonly dataLength: number; readonly noFatChain: boolean }

class Walk {
  readonly problems: ExfatWalkProblem[] = [];
  readonly counts: Record<ExfatWalkCode, number> = { EXFAT_ENTRY_SET_CHECKSUM: 0, EXFAT_NAME_HASH: 0, EXFAT_CROSS_LINKED: 0, EXFAT_CHAIN_INVALID: 0 };
  readonly used: Uint8Array;
  readonly bps: number;
  readonly clusterSize: number;
  readonly last: number;
  private fatBlock: Uint8Array = new Uint8Array(0);
  private fatBlockStart = -1;

  constructor(readonly i: ExfatWalkInput) {
    this.used = new Uint8Array(Math.ceil(i.bs.clusterCount / 8));
    this.bps = 2 ** i.bs.bytesPerSectorShift;
    this.clusterSize = this.bps * 2 ** i.bs.sectorsPerClusterShift;
    this.last = i.bs.clusterCount + FIRST_CLUSTER - 1;
  }

  report(p: ExfatWalkProblem): void { if (++this.counts[p.code] <= EXFAT_WALK_PROBLEM_LIMIT) this.problems.push(p); }
  isUsed(c: number): boolean { const i = c - FIRST_CLUSTER; return (this.used[i >> 3] & (1 << (i & 7))) !== 0; }
  clusterAt(c: number): number { return this.i.bs.clusterHeapOffset * this.bps + (c - FIRST_CLUSTER) * this.clusterSize; }

  async fat(c: number): Promise<number> {
    const at = c * FAT_ENTRY_BYTES;
    if (at < this.fatBlockStart || at + FAT_ENTRY_BYTES > this.fatBlockStart + this.fatBlock.length) {
      const end = (this.last + 1) * FAT_ENTRY_BYTES;
      this.fatBlockStart = at - (at % BLOCK_BYTES);
      this.fatBlock = await this.i.volume.read(activeFatOffset(this.i.bs) * this.bps + this.fatBlockStart, Math.min(BLOCK_BYTES, end - this.fatBlockStart));
    }
    return readUint(this.fatBlock, at - this.fatBlockStart, FAT_ENTRY_BYTES);
  }

  /** Marks the extent's clusters (calling `visit` on each, in order); stops at a cross-link or a broken chain. */
  async mark(e: Extent, owner: { what: string; offsetBytes: number }, visit?: (c: number) => Promise<boolean>): Promise<void> {
    const count = Math.ceil(e.dataLength / this.clusterSize);
    let c = e.firstCluster;
    for (let n = 0; n < count; n++) {
      if (c < FIRST_CLUSTER || c > this.last) {
        this.report({ code: 'EXFAT_CHAIN_INVALID', offsetBytes: owner.offsetBytes, field: 'firstCluster', actual: String(c),
          message: `${owner.what}: cluster ${n + 1} of ${count} would be cluster ${c}, outside the heap (${FIRST_CLUSTER}–${this.last})` });
        return;
      }
      if (this.isUsed(c)) {
        this.report({ code: 'EXFAT_CROSS_LINKED', offsetBytes: owner.offsetBytes, field: 'firstCluster', actual: String(c),
          message: `${owner.what}: cluster ${c} is already used by another file, directory or the volume's metadata (or its chain loops)` });
        return;
      }
      const i = c - FIRST_CLUSTER;
      this.used[i >> 3] |= 1 << (i & 7);
      if (visit && !(await visit(c))) return;
      if (n + 1 === count) return;
      if (e.noFatChain) { c++; continue; }
      const next = await this.fat(c);
      if (next >= FAT_END_MIN && e.dataLength === ROOT_LENGTH) return;
      if (next >= FAT_END_MIN || next === FAT_FREE_ENTRY || next === FAT_BAD_CLUSTER) {
        const what = next >= FAT_END_MIN ? 'ends' : next === FAT_FREE_ENTRY ? 'reaches a free cluster' : 'reaches a bad cluster';
        this.report({ code: 'EXFAT_CHAIN_INVALID', offsetBytes: activeFatOffset(this.i.bs) * this.bps + c * FAT_ENTRY_BYTES, field: `FAT[${c}]`,
          expected: `${count} clusters`, actual: hex(next), message: `${owner.what}: its FAT chain ${what} after ${n + 1} of the ${count} clusters its length needs` });
        return;
      }
      c = next;
    }
  }
}

interface DirToVisit { readonly path: string; readonly extent: Extent; readonly offsetBytes: number }

/** Walks every directory from the root, then compares the allocation bitmap with what was found in use. */
export async function walkExfat(i: ExfatWalkInput): Promise<ExfatWalkResult> {
  const w = new Walk(i);
  await w.mark({ ...i.bitmap, noFatChain: false }, { what: 'the allocation bitmap', offsetBytes: 0 });
  await w.mark({ ...i.upcaseExtent, noFatChain: false }, { what: 'the up-case table', offsetBytes: 0 });
  for (const other of i.otherBitmaps ?? []) await w.mark({ ...other, noFatChain: false }, { what: 'the inactive allocation bitmap', offsetBytes: 0 });
  const stack: DirToVisit[] = [{ path: '/', extent: { firstCluster: i.bs.firstClusterOfRootDirectory, dataLength: ROOT_LENGTH, noFatChain: false }, offsetBytes: 0 }];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const scan = new DirScan(w, dir.path, stack);
    await w.mark(dir.extent, { what: dir.path, offsetBytes: dir.offsetBytes }, async (c) => {
      if (!scan.ended) await scan.cluster(await i.volume.read(w.clusterAt(c), w.clusterSize), w.clusterAt(c));
      return true;
    });
    await scan.flush();
  }
  return { problems: w.problems, counts: w.counts, ...(await compareBitmap(w)) };
}

/** One directory's entries, a cluster at a time; an entry set may span two clusters. */
class DirScan {
  ended = false;
  private set: Uint8Array[] = [];
  private setAt = 0;
  private wanted = 0;
  private readonly files: { what: string; extent: Extent; offsetBytes: number }[] = [];
  constructor(private readonly w: Walk, private readonly path: string, private readonly stack: DirToVisit[]) {}

  async cluster(bytes: Uint8Array, at: number): Promise<void> {
    for (let o = 0; o + ENTRY_BYTES <= bytes.length && !this.ended; o += ENTRY_BYTES) {
      const entry = bytes.slice(o, o + ENTRY_BYTES);
      const type = entry[0];
      if (this.wanted > 0) {
        this.set.push(entry);
        if (--this.wanted === 0) this.finishSet();
        continue;
      }
      if (type === END_OF_DIRECTORY) { this.ended = true; break; }
      if (type === FILE_ENTRY) {
        this.set = [entry];
        this.setAt = at + o;
        this.wanted = entry[1];
        if (this.wanted === 0) this.finishSet();
      }
    }
    if (this.files.length >= 1024) await this.flush();
  }

  async flush(): Promise<void> {
    for (const f of this.files.splice(0)) await this.w.mark(f.extent, { what: f.what, offsetBytes: f.offsetBytes });
  }

  private finishSet(): void {
    const bytes = new Uint8Array(this.set.length * ENTRY_BYTES);
    this.set.forEach((e, k) => bytes.set(e, k * ENTRY_BYTES));
    const file = FILE_DIRECTORY_ENTRY.decode(this.set[0]);
    const sum = entrySetChecksum(bytes);
    const where = `${this.path}(entry set at byte ${this.setAt})`;
    if (sum !== file.setChecksum) {
      this.w.report({ code: 'EXFAT_ENTRY_SET_CHECKSUM', offsetBytes: this.setAt + FILE_DIRECTORY_ENTRY.fields.setChecksum.offset, field: 'setChecksum',
        expected: hex(sum), actual: hex(file.setChecksum), message: `${where}: SetChecksum is ${hex(file.setChecksum)}, the entries sum to ${hex(sum)}: Windows treats the set as corrupt` });
      return; // a set that fails its checksum is not used further
    }
    if (this.set.length < 2 || this.set[1][0] !== STREAM_ENTRY) return;
    const stream = STREAM_EXTENSION_ENTRY.decode(this.set[1]);
    const names = this.set.slice(2).filter((e) => e[0] === NAME_ENTRY).map((e) => FILE_NAME_ENTRY.decode(e));
    const name = exfatNameFromEntries(names, stream.nameLength);
    const path = `${this.path}${name}`;
    const hash = exfatNameHash(name, this.w.i.upcase);
    if (hash !== stream.nameHash) {
      this.w.report({ code: 'EXFAT_NAME_HASH', offsetBytes: this.setAt + ENTRY_BYTES + STREAM_EXTENSION_ENTRY.fields.nameHash.offset, field: 'nameHash',
        expected: hex(hash), actual: hex(stream.nameHash), message: `${path}: NameHash is ${hex(stream.nameHash)}, the up-cased name hashes to ${hex(hash)}: Windows cannot find the file by name` });
    }
    this.markOtherSecondaries(path);
    if (!(stream.generalSecondaryFlags & GENERAL_SECONDARY_FLAG.allocationPossible) || stream.firstCluster === 0 || stream.dataLength === 0) return;
    const extent = { firstCluster: stream.firstCluster, dataLength: Number(stream.dataLength), noFatChain: (stream.generalSecondaryFlags & GENERAL_SECONDARY_FLAG.noFatChain) !== 0 };
    const offsetBytes = this.setAt + ENTRY_BYTES + STREAM_EXTENSION_ENTRY.fields.firstCluster.offset;
    if (file.fileAttributes & EXFAT_FILE_ATTR.directory) this.stack.push({ path: `${path}/`, extent, offsetBytes });
    else this.files.push({ what: path, extent, offsetBytes });
  }

  /** Queues the clusters of the set's other secondary entries that own some (Vendor Allocation, 0xE1) to be marked. */
  private markOtherSecondaries(path: string): void {
    this.set.slice(2).forEach((bytes, k) => {
      if (bytes[0] === NAME_ENTRY || (bytes[0] & ENTRY_TYPE_IN_USE) === 0) return;
      const e = GENERIC_SECONDARY_ENTRY.decode(bytes);
      if (!(e.generalSecondaryFlags & GENERAL_SECONDARY_FLAG.allocationPossible) || e.firstCluster === 0 || e.dataLength === 0) return;
      const offsetBytes = this.setAt + (k + 2) * ENTRY_BYTES + GENERIC_SECONDARY_ENTRY.fields.firstCluster.offset;
      this.files.push({ what: `${path} (entry 0x${bytes[0].toString(16)})`, offsetBytes,
        extent: { firstCluster: e.firstCluster, dataLength: Number(e.dataLength), noFatChain: (e.generalSecondaryFlags & GENERAL_SECONDARY_FLAG.noFatChain) !== 0 } });
    });
  }
}

/** Streams the allocation bitmap (read a block at a time) against the clusters marked in use. */
async function compareBitmap(w: Walk): Promise<Pick<ExfatWalkResult, 'inUseFree' | 'leaked'>> {
  const inUseFree = { count: 0, first: null as number | null };
  const leaked = { count: 0, first: null as number | null };
  const bytes = Math.ceil(w.i.bs.clusterCount / 8);
  // The bitmap's own clusters, in order, through the FAT (mkfs.exfat and Windows chain it even when contiguous).
  const clusters: number[] = [];
  for (let c = w.i.bitmap.firstCluster, n = 0; n < Math.ceil(bytes / w.clusterSize) && c >= FIRST_CLUSTER && c <= w.last; n++) {
    clusters.push(c);
    const next = await w.fat(c);
    c = next >= FAT_END_MIN || next === FAT_FREE_ENTRY ? c + 1 : next;
  }
  let cluster = FIRST_CLUSTER;
  for (let k = 0; k < clusters.length; k++) {
    const block = await w.i.volume.read(w.clusterAt(clusters[k]), Math.min(w.clusterSize, bytes - k * w.clusterSize));
    for (let b = 0; b < block.length; b++) {
      for (let bit = 0; bit < 8 && cluster <= w.last; bit++, cluster++) {
        const marked = (block[b] & (1 << bit)) !== 0;
        const used = w.isUsed(cluster);
        if (used && !marked) { inUseFree.count++; inUseFree.first ??= cluster; }
        if (marked && !used) { leaked.count++; leaked.first ??= cluster; }
      }
    }
  }
  return { inUseFree, leaked };
}
