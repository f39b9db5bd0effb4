// What a volume reader shows of a file tree: the same shape for NTFS, exFAT and FAT32, plain JSON, so listings
// compare across filesystems and go straight into `ls --json`.

export type EntryKind = 'file' | 'directory' | 'symlink' | 'junction' | 'reparse' | 'other';
export type ReadableFs = 'ntfs' | 'exfat' | 'fat32';

export interface EntryTimes {
  /** Last write of the data, milliseconds since 1970 (UTC); fractions of a millisecond are dropped. */
  readonly modifiedMs: number;
  readonly createdMs: number | null;
  readonly accessedMs: number | null;
  /** NTFS only: last change of the file's record (attributes, names). */
  readonly changedMs: number | null;
}

export interface EntryAttributes {
  readonly readOnly: boolean;
  readonly hidden: boolean;
  readonly system: boolean;
  readonly archive: boolean;
  /** NTFS: data stored LZNT1-compressed / with unallocated runs / encrypted (EFS; not readable here). */
  readonly compressed: boolean;
  readonly sparse: boolean;
  readonly encrypted: boolean;
}

export interface StreamInfo {
  /** NTFS alternate data stream name (never empty: the unnamed stream is the entry's own data). */
  readonly name: string;
  readonly sizeBytes: number;
}

export interface Entry {
  /** The name in its directory as Windows shows it ('' for the root). */
  readonly name: string;
  readonly kind: EntryKind;
  /** Bytes of the (unnamed) data stream; 0 for directories. */
  readonly sizeBytes: number;
  /** Bytes of clusters the data stream holds on the volume (compressed and sparse files hold fewer). */
  readonly allocatedBytes: number;
  readonly times: EntryTimes;
  readonly attributes: EntryAttributes;
  /** symlink / junction: the target as stored (print name), never resolved. */
  readonly linkTarget: string | null;
  /** NTFS: the reparse tag of any reparse point, as 0x-hex. */
  readonly reparseTag: string | null;
  readonly streams: readonly StreamInfo[];
  /** NTFS: MFT record number; exFAT/FAT32: first cluster (0 for an empty file). */
  readonly id: number;
  /** NTFS: hard links (names in the Win32 or POSIX namespace) of the record; 1 elsewhere. */
  readonly links: number;
}

export interface ReadOptions {
  /** NTFS alternate data stream; omitted or '' for the file's data. */
  readonly stream?: string;
  /**
   * true: the pieces are views of one buffer the reader reuses, each valid until the next is asked for (a caller
   * that writes each piece out before asking for the next: `get`, `cat`), so reading a large file allocates one
   * buffer, not one per piece. Default: each piece is an array of its own.
   */
  readonly reuseBuffer?: boolean;
}

export interface VolumeWarning {
  readonly code: 'NTFS_DIRTY' | 'NTFS_LOGFILE_NOT_CLEAN' | 'NTFS_HIBERNATED' | 'EXFAT_DIRTY' | 'EXFAT_ENTRY_SET_DAMAGED' | 'EXFAT_NO_UPCASE_TABLE' | 'FAT_DIRTY';
  readonly message: string;
}

/** A read-only view of one volume. Listings and reads stream: memory does not grow with the directory or file. */
export interface VolumeReader {
  readonly filesystem: ReadableFs;
  readonly label: string | null;
  /** Conditions under which what is read may be stale (a hibernated or uncleanly stopped Windows). */
  readonly warnings: readonly VolumeWarning[];
  /** The entries of a directory, in the order the volume stores them; "." and ".." never appear. */
  list(path: string): AsyncIterable<Entry>;
  stat(path: string): Promise<Entry>;
  /** A file's bytes in pieces of at most 1 MiB (READ_PIECE_BYTES). */
  read(path: string, options?: ReadOptions): AsyncIterable<Uint8Array>;
}
