// Sequential byte access to a file or a decompressed stream, for the tar reader and the content readers: exact
// reads and forward skips, so an archive is read once, in order, in bounded pieces.
import { closeSync, createReadStream, openSync, promises as fsp, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GuestdiskError } from '../errors.js';

/** node:zlib (and the streams under it) loaded on first use: every `create` carries this module in its bundle, and
 *  most never read a gzip archive (the build test keeps heavy modules out of create's start). */
function createGunzip(): import('node:zlib').Gunzip {
  return (createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')).createGunzip();
}

export interface ByteStream {
  /** Exactly `n` bytes, or fewer only at the end of the stream. */
  read(n: number): Promise<Uint8Array>;
  /** Fills `into` (exactly, or less only at the end of the stream) and returns how many bytes it took: no array per
   *  read (an archive of 100,000 small members is 100,000 headers and as many members). */
  readInto(into: Uint8Array): Promise<number>;
  /** Moves forward `n` bytes (fewer only at the end). */
  skip(n: number): Promise<void>;
  /** Bytes consumed so far. */
  readonly position: () => number;
  close(): Promise<void>;
}

/** gzip's magic number (RFC 1952 §2.3.1: ID1 ID2). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Compressions node cannot undo, by their magic numbers (xz: "\xfd7zXZ\0"; bzip2: "BZh"; zstd: 0xfd2fb528 LE):
 *  without this an archive in one of them reads as a tar whose first header is damaged. */
const UNREADABLE_COMPRESSIONS: readonly { readonly name: string; readonly tool: string; readonly magic: readonly number[] }[] = [
  { name: 'xz', tool: 'xz -d', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', tool: 'bunzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'zstd', tool: 'zstd -d', magic: [0x28, 0xb5, 0x2f, 0xfd] },
];

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const handle = await fsp.open(path, 'r');
  try {
    const head = new Uint8Array(n);
    const { bytesRead } = await handle.read(head, 0, n, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const startsWith = (head: Uint8Array, magic: readonly number[]): boolean => head.length >= magic.length && magic.every((b, i) => head[i] === b);

export async function isGzipFile(path: string): Promise<boolean> {
  const head = await readHead(path, 6);
  const other = UNREADABLE_COMPRESSIONS.find((c) => startsWith(head, c.magic));
  if (other) {
    throw new GuestdiskError('INVALID_SPEC', `--copy-from ${path}: compressed with ${other.name}, which guestdisk does not read (a directory, a tar or a tar.gz): decompress it first (${other.tool}) or recompress it with gzip`, { path, compression: other.name });
  }
  return startsWith(head, GZIP_MAGIC);
}

/**
 * A plain file read with positioned reads: skipping costs nothing. The reads block, like the directory walk's and
 * the content reader's (content-reader.ts says why): a tar header is 512 bytes, and a round trip through node's
 * thread pool for each cost more than the read itself.
 */
export async function openFileStream(path: string): Promise<ByteStream> {
  const fd = openSync(path, 'r');
  let position = 0;
  const readInto = (into: Uint8Array): number => {
    let got = 0;
    while (got < into.length) {
      const bytesRead = readSync(fd, into, got, into.length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    position += got;
    return got;
  };
  return {
    async read(n) {
      const out = new Uint8Array(n);
      const got = readInto(out);
      return got === n ? out : out.subarray(0, got);
    },
    async readInto(into) {
      return readInto(into);
    },
    async skip(n) {
      position += n;
    },
    position: () => position,
    async close() {
      closeSync(fd);
    },
  };
}

/** A gzip-compressed file, decompressed as it is read (node:zlib); skipping decompresses and drops. */
export function openGunzipStream(path: string): ByteStream {
  const gunzip = createReadStream(path).pipe(createGunzip());
  const pieces = gunzip[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let current: Uint8Array = new Uint8Array(0);
  let at = 0;
  let position = 0;
  let ended = false;
  const fill = async (): Promise<boolean> => {
    if (ended) return false;
    try {
      const next = await pieces.next();
      if (next.done) {
        ended = true;
        return false;
      }
      current = next.value;
      at = 0;
      return true;
    } catch (e) {
      throw new GuestdiskError('INVALID_SPEC', `${path}: not a valid gzip stream (${(e as Error).message})`, { path }, { cause: e });
    }
  };
  const take = async (n: number, into: Uint8Array | null): Promise<number> => {
    let done = 0;
    while (done < n) {
      if (at >= current.length && !(await fill())) break;
      const k = Math.min(n - done, current.length - at);
      into?.set(current.subarray(at, at + k), done);
      at += k;
      done += k;
    }
    position += done;
    return done;
  };
  return {
    async read(n) {
      const out = new Uint8Array(n);
      const got = await take(n, out);
      return got === n ? out : out.subarray(0, got);
    },
    readInto: (into) => take(into.length, into),
    async skip(n) {
      await take(n, null);
    },
    position: () => position,
    async close() {
      gunzip.destroy();
    },
  };
}

/** The archive's bytes as a stream: plain tar or gzip, told apart by the gzip magic number. */
export async function openArchiveStream(path: string): Promise<ByteStream> {
  return (await isGzipFile(path)) ? openGunzipStream(path) : openFileStream(path);
}
