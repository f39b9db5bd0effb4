// The NTFS VolumeReader: paths resolved through $I30 indexes from the root (record 5), entries described from each
// file's own record ($STANDARD_INFORMATION times and attributes, $DATA sizes and streams, $REPARSE_POINT links),
// data read through ntfs-data.ts. Windows' view: DOS 8.3 names hide behind their Win32 names, the metadata files of
// the root (records 0–15) are not listed, links are shown and never followed.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, FILE_ATTR, FILE_NAME_NAMESPACE, MFT_RECORD_FLAG, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeFileName } from '../fs/ntfs/attributes/file-name.js';
import { decodeReparsePoint, REPARSE_TAG, REPARSE_TAG_NAME_SURROGATE, type ReparsePoint } from '../fs/ntfs/attributes/reparse-point.js';
import { decodeStandardInformation } from '../fs/ntfs/attributes/standard-information.js';
import { decodeInterixSymlink, INTERIX_SYMLINK_MAX_BYTES } from '../fs/ntfs/interix-link.js';
import { decodeNtfsTimeMs } from '../fs/ntfs/ntfs-time.js';
import type { BlockTarget } from '../target/block-target.js';
import { attributeAllocatedBytes, attributeSize, readAttribute, readAttributeBytes } from './ntfs-data.js';
import { findInDirectoryIndex, walkDirectoryIndex } from './ntfs-index.js';
import { readNtfsUpcase } from './ntfs-upcase.js';
import { findAttribute, openNtfsMft, type NtfsFile, type NtfsMft } from './ntfs-mft.js';
import { readNtfsWarnings } from './ntfs-warnings.js';
import { joinVolumePath, notADirectory, notFound, splitVolumePath } from './path.js';
import type { Entry, EntryKind, ReadOptions, VolumeReader } from './types.js';

/** Reparse data is at most 16 KiB ([MS-FSCC] §2.1.2.1 MAXIMUM_REPARSE_DATA_BUFFER_SIZE). */
const MAX_REPARSE_BYTES = 16 * 1024;

interface Located {
  readonly file: NtfsFile;
  readonly name: string;
  readonly path: string;
}

export async function openNtfsReader(volume: BlockTarget): Promise<VolumeReader> {
  const mft = await openNtfsMft(volume);
  const root = await mft.loadFile(SYSTEM_FILE.ROOT);
  if (!root) throw new GuestdiskError('CORRUPT_STRUCTURE', 'NTFS root directory (MFT record 5) is not in use');
  const upcase = await readNtfsUpcase(mft);
  const { label, warnings } = await readNtfsWarnings(mft, (name) => findChild(mft, root, name, upcase));

  async function resolve(path: string): Promise<Located> {
    const parts = splitVolumePath(path);
    let here: Located = { file: root!, name: '', path: '/' };
    for (const [i, part] of parts.entries()) {
      const where = joinVolumePath(parts.slice(0, i + 1));
      if (!isDirectory(here.file)) throw notADirectory(here.path);
      const link = await linkOf(mft, here.file);
      if (link) throw new GuestdiskError('PATH_NOT_FOUND', `${here.path} is a ${linkKind(link)} to ${JSON.stringify(link.link?.printName ?? '')}: links are not followed`, { path: here.path });
      const next = await findChild(mft, here.file, part, upcase);
      if (!next) throw notFound(where);
      here = { ...next, path: where };
    }
    return here;
  }

  return {
    filesystem: 'ntfs',
    label,
    warnings,
    async *list(path) {
      const dir = await resolve(path);
      if (!isDirectory(dir.file) || (await linkOf(mft, dir.file))) throw notADirectory(dir.path);
      for await (const n of walkDirectoryIndex(mft, dir.file)) {
        if (n.fileName.fileNameType === FILE_NAME_NAMESPACE.DOS) continue; // the 8.3 alias of a Win32 name
        if (n.recordNumber === dir.file.recordNumber) continue; // the root's "." entry
        if (dir.file.recordNumber === SYSTEM_FILE.ROOT && n.recordNumber < SYSTEM_FILE.FIRST_USER) continue; // $MFT, $Bitmap, …
        const file = await mft.loadFile(n.recordNumber);
        if (!file || file.sequenceNumber !== n.sequenceNumber) continue; // an entry left behind by an interrupted delete
        yield describe(mft, file, n.fileName.fileName);
      }
    },
    async stat(path) {
      const at = await resolve(path);
      return describe(mft, at.file, at.name);
    },
    read(path, options: ReadOptions = {}) {
      return readFile(mft, resolve, path, options);
    },
  };
}

async function* readFile(mft: NtfsMft, resolve: (p: string) => Promise<Located>, path: string, options: ReadOptions): AsyncGenerator<Uint8Array> {
  const at = await resolve(path);
  const stream = options.stream ?? '';
  const data = findAttribute(at.file, ATTR_TYPE.DATA, stream);
  if (stream === '') {
    const entry = await describe(mft, at.file, at.name);
    if (entry.kind !== 'file' && entry.kind !== 'directory') throw new GuestdiskError('PATH_NOT_FOUND', `${at.path} is a ${entry.kind} to ${JSON.stringify(entry.linkTarget ?? '')}: links are not followed`, { path: at.path });
    if (entry.kind === 'directory') throw new GuestdiskError('PATH_NOT_FOUND', `${at.path} is a directory, not a file`, { path: at.path });
  }
  if (!data) {
    throw notFound(at.path, stream === '' ? 'has no data stream' : `has no stream ${JSON.stringify(stream)}`);
  }
  yield* readAttribute(mft.volume, mft.geometry.clusterSize, data, 0, undefined, options.reuseBuffer === true);
}

function isDirectory(file: NtfsFile): boolean {
  return (file.flags & MFT_RECORD_FLAG.IS_DIRECTORY) !== 0;
}

async function linkOf(mft: NtfsMft, file: NtfsFile): Promise<ReparsePoint | null> {
  const attr = findAttribute(file, ATTR_TYPE.REPARSE_POINT);
  if (!attr) return null;
  const point = decodeReparsePoint(await readAttributeBytes(mft.metadata, mft.geometry.clusterSize, attr, MAX_REPARSE_BYTES));
  return (point.tag & REPARSE_TAG_NAME_SURROGATE) !== 0 ? point : null;
}

function linkKind(point: ReparsePoint): EntryKind {
  if (point.tag === REPARSE_TAG.SYMLINK) return 'symlink';
  if (point.tag === REPARSE_TAG.MOUNT_POINT) return 'junction';
  return 'reparse';
}

/**
 * A directory's child by name: looked up in the index ignoring case (as Windows opens names), then the exact
 * spelling preferred among the matches (POSIX-namespace names may differ only in case).
 */
async function findChild(mft: NtfsMft, dir: NtfsFile, name: string, upcase: Uint8Array): Promise<{ file: NtfsFile; name: string } | null> {
  const matches = (await findInDirectoryIndex(mft, dir, name, upcase)).filter((n) => n.recordNumber !== dir.recordNumber);
  const best = matches.find((n) => n.fileName.fileName === name) ?? matches.find((n) => n.fileName.fileNameType !== FILE_NAME_NAMESPACE.DOS) ?? matches[0];
  if (!best) return null;
  const file = await mft.loadFile(best.recordNumber);
  if (!file || file.sequenceNumber !== best.sequenceNumber) return null;
  return { file, name: await displayName(file, best.fileName.fileName, best.fileName.fileNameType) };
}

/** Opened by its 8.3 alias, a file is still shown by its Win32 name (the one in the same directory). */
async function displayName(file: NtfsFile, name: string, namespace: number): Promise<string> {
  if (namespace !== FILE_NAME_NAMESPACE.DOS) return name;
  const win32 = file.attributes.filter((a) => a.type === ATTR_TYPE.FILE_NAME && a.resident).map((a) => decodeFileName(a.resident!)).find((f) => f.fileNameType === FILE_NAME_NAMESPACE.WIN32);
  return win32?.fileName ?? name;
}

async function describe(mft: NtfsMft, file: NtfsFile, name: string): Promise<Entry> {
  const si = findAttribute(file, ATTR_TYPE.STANDARD_INFORMATION);
  if (!si?.resident) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${file.recordNumber} has no $STANDARD_INFORMATION`, { recordNumber: file.recordNumber });
  const info = decodeStandardInformation(si.resident);
  const data = findAttribute(file, ATTR_TYPE.DATA);
  const point = findAttribute(file, ATTR_TYPE.REPARSE_POINT) ? decodeReparsePoint(await readAttributeBytes(mft.metadata, mft.geometry.clusterSize, findAttribute(file, ATTR_TYPE.REPARSE_POINT)!, MAX_REPARSE_BYTES)) : null;
  const surrogate = point !== null && (point.tag & REPARSE_TAG_NAME_SURROGATE) !== 0;
  const interix = !surrogate && !isDirectory(file) ? await interixTarget(mft, file, info.fileAttributes) : null;
  const kind: EntryKind = surrogate ? linkKind(point) : interix !== null ? 'symlink' : isDirectory(file) ? 'directory' : 'file';
  const names = file.attributes.filter((a) => a.type === ATTR_TYPE.FILE_NAME && a.resident).map((a) => decodeFileName(a.resident!));
  const a = info.fileAttributes;
  return {
    name,
    kind,
    sizeBytes: kind === 'directory' || !data || interix !== null ? 0 : attributeSize(data),
    allocatedBytes: kind === 'directory' || !data ? 0 : attributeAllocatedBytes(data, mft.geometry.clusterSize),
    times: {
      modifiedMs: decodeNtfsTimeMs(info.lastDataChangeTime) ?? 0,
      createdMs: decodeNtfsTimeMs(info.creationTime),
      accessedMs: decodeNtfsTimeMs(info.lastAccessTime),
      changedMs: decodeNtfsTimeMs(info.lastMftChangeTime),
    },
    attributes: {
      readOnly: (a & FILE_ATTR.READONLY) !== 0,
      hidden: (a & FILE_ATTR.HIDDEN) !== 0,
      system: (a & FILE_ATTR.SYSTEM) !== 0,
      archive: (a & FILE_ATTR.ARCHIVE) !== 0,
      compressed: (a & FILE_ATTR.COMPRESSED) !== 0,
      sparse: (a & FILE_ATTR.SPARSE_FILE) !== 0,
      encrypted: (a & FILE_ATTR.ENCRYPTED) !== 0,
    },
    linkTarget: surrogate ? (point.link?.printName || point.link?.substituteName || null) : interix,
    reparseTag: point ? `0x${point.tag.toString(16).padStart(8, '0')}` : null,
    streams: file.attributes
      .filter((s) => s.type === ATTR_TYPE.DATA && s.name !== '')
      .map((s) => ({ name: s.name, sizeBytes: attributeSize(s) }))
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    id: file.recordNumber,
    links: Math.max(1, names.filter((n) => n.fileNameType !== FILE_NAME_NAMESPACE.DOS).length),
  };
}

/** The target of an Interix symlink (a SYSTEM file holding "IntxLNK\1" and a UTF-16 path), else null. */
async function interixTarget(mft: NtfsMft, file: NtfsFile, fileAttributes: number): Promise<string | null> {
  if ((fileAttributes & FILE_ATTR.SYSTEM) === 0) return null;
  const data = findAttribute(file, ATTR_TYPE.DATA);
  if (!data || attributeSize(data) > INTERIX_SYMLINK_MAX_BYTES) return null;
  return decodeInterixSymlink(await readAttributeBytes(mft.metadata, mft.geometry.clusterSize, data, INTERIX_SYMLINK_MAX_BYTES));
}
