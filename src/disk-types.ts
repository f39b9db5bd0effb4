// Types every layer shares: the disk's geometry, the kinds of table and filesystem, the chunk that encoders
// emit and writers consume. A leaf module: it imports nothing, so any layer may depend on it.

export type LogicalSectorSize = 512 | 4096;
export type TableKind = 'gpt' | 'mbr';
export type FsKind = 'none' | 'ntfs' | 'exfat' | 'fat32';

export interface Geometry {
  readonly sizeBytes: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
}

/** Bytes to write at a byte offset, or a range that must read back as zeros. Offsets are relative to whoever
 *  produced the chunk (a filesystem's chunks start at its partition; `writeDisk` adds the offset). */
export type Chunk =
  | { readonly offsetBytes: number; readonly bytes: Uint8Array }
  | { readonly offsetBytes: number; readonly zeroBytes: number };

// create --copy-from: the file tree a volume is populated with. src/source/ builds it from a directory or a tar
// archive; the filesystems place it (pure); the writer streams each file's bytes through a ContentReader.
//
// Determinism: entries are sorted by name in UTF-16 code-unit order (never a locale's collation), times are whole
// Unix seconds already clamped by the source to the spec's timestamp, and nothing records an owner, a umask or an
// access time. The same tree gives the same volume whatever order the source listed it in.

/**
 * Where a file's bytes come from: a source (index into the --copy-from list) and `order`, the position of the bytes
 * in that source's natural read order, so a formatter can hand file data to the writer in the order a gzip stream
 * can deliver it. A directory source finds the file at `dir + '/' + name` inside it (`dir` is "" at its root, else
 * "/a/b"); an archive finds it by `order` alone, the byte offset of its data.
 *
 * Every TreeFile is its own ContentRef: a tree of 100,000 files holds one `dir` string per directory, shared by its
 * files, and no path string and no second object per file.
 */
export interface ContentRef {
  readonly source: number;
  readonly order: number;
  readonly dir: string;
  readonly name: string;
}

/** A file: its name in the volume (and in a directory source, `dir` being where it is there). */
export interface TreeFile extends ContentRef {
  readonly kind: 'file';
  readonly name: string;
  readonly sizeBytes: number;
  /** Unix seconds, clamped to the spec's timestamp. */
  readonly mtime: number;
  /** The source had no owner write bit: Windows' read-only attribute. */
  readonly readOnly: boolean;
  /** Files that were hard links of each other in the source share this id (their first path); null otherwise.
   *  FAT32 and exFAT store each as its own copy. */
  readonly linkGroup: string | null;
  /** A sparse source file (a directory source only): its byte ranges that hold data, in SPARSE_UNIT_BYTES units
   *  aligned to the file's start (the last may end at the file's end); the units between them are all zeros.
   *  Absent when the source was not sparse or every unit holds data. */
  readonly dataRanges?: readonly ByteRange[];
}

/** A range of a file's bytes. */
export interface ByteRange {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** Unit in which a sparse source file's zeros are found: 64 KiB, the allocation unit Windows uses for a sparse file
 *  (one compression unit: 16 clusters of 4 KiB). */
export const SPARSE_UNIT_BYTES = 64 * 1024;

export interface TreeDir {
  readonly kind: 'dir';
  readonly name: string;
  readonly mtime: number;
  /** Sorted by name (UTF-16 code units). */
  readonly entries: readonly TreeNode[];
}

export type TreeNode = TreeFile | TreeDir;

export interface FileTree {
  readonly root: TreeDir;
  /** What the sources skipped or changed (a skipped symlink, a device node), for --dry-run and the report. */
  readonly warnings: readonly string[];
}

/** Something in a tree that a volume (or a source) cannot take, by path ('/' separated, from the root). */
export interface TreeProblem {
  readonly path: string;
  readonly reason: string;
}

/** A copied file's bytes, which the writer streams from the copy source: `contentBytes` of them, then zeros up to
 *  `lengthBytes` (a whole number of sectors). Offsets as in Chunk. */
export interface ContentChunk {
  readonly offsetBytes: number;
  readonly content: ContentRef;
  readonly contentBytes: number;
  readonly lengthBytes: number;
  /** When present, the content is read whole (it is small) and `frame(content, into)`, `lengthBytes` long, is written
   *  instead: the structure that holds it (an NTFS MFT record with the file as a resident $DATA value). `content` is
   *  valid only during the call (the writer reuses it); `into` is `lengthBytes` of zeros where the frame may be made
   *  and returned (or it returns a fresh array). */
  readonly frame?: (content: Uint8Array, into: Uint8Array) => Uint8Array;
  /** When present, the bytes (and padding) continue from one range to the next, `lengthBytes` in all: a file stored in
   *  several runs (NTFS, when no free run is long enough). The first range starts at `offsetBytes`. */
  readonly pieces?: readonly ContentPiece[];
}

/** One range of a ContentChunk's pieces. A `hole` piece takes `lengthBytes` of the content and writes nothing (a
 *  sparse file's unallocated run): those bytes must still be zeros when read, or the source changed. */
export interface ContentPiece {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly hole?: boolean;
}

/** Streams a file's bytes at write time (src/source/ implements it; the writer only sees this). The pieces may be
 *  of any size; together they must be exactly `sizeBytes` long, or the reader throws (the source changed). A piece
 *  may be overwritten once the next is requested: the consumer copies what it keeps. */
export interface ContentReader {
  read(ref: ContentRef, sizeBytes: number): AsyncIterable<Uint8Array>;
  /**
   * Optional, for small files: the whole file into `into[at, at + sizeBytes)` (`at` is 0 when not given; `into` may
   * be longer: the rest is left as it is), or a throw when the source changed. A tree of many small files costs its
   * per-file calls, not its bytes: one call instead of an iterator and its pieces, and none of the per-file promises
   * when the reader can read at once (it then returns nothing).
   */
  readWhole?(ref: ContentRef, sizeBytes: number, into: Uint8Array, at?: number): void | Promise<void>;
  close(): Promise<void>;
}
