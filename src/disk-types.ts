// Types every layer shares: the disk's geometry, the kinds of table and filesystem, and the chunk that encoders
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
