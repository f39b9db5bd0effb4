// `guestdisk ls DISK[:/PATH] [-l] [-R] [--json] [--partition N]`: lists a directory of a volume (read-only). Each
// directory's entries are sorted by name (UTF-16 code units) and, with -R, followed depth-first: only the directory
// being printed is held, never the whole tree, and of it only each entry's name and its output text (rendered as
// the entry arrives, kept as UTF-8 bytes: a decoded entry costs many times its line), then only its subdirectories'
// names while they are listed. --json streams one document whose schema docs/read.md gives.
import type { Entry, VolumeReader } from '../read/types.js';
import type { CliIo } from './io.js';
import { childPath, compareNames, entryJson, openVolumeForRead, splitDiskPath, type VolumeOptions } from './read-common.js';

export interface LsOptions extends VolumeOptions { long?: boolean; recursive?: boolean; json?: boolean }

export const LS_SCHEMA = 'guestdisk.ls/1';

export async function runLs(arg: string, options: LsOptions, io: CliIo): Promise<number> {
  const { disk, path } = splitDiskPath(arg, false);
  const opened = await openVolumeForRead(disk, options);
  const out = lineBuffer(io);
  try {
    const reader = opened.reader;
    const top = await reader.stat(path);
    const shownPath = path === '' ? '/' : path;
    const render = (p: string, e: Entry, relative: string): Rendered => {
      if (options.json) return { text: JSON.stringify(entryJson(p, e)), more: null };
      if (!options.long) return { text: relative, more: null };
      const streams = e.streams.map((s) => `${' '.repeat(29)}${String(s.sizeBytes).padStart(14)}  ${relative}:${s.name}`);
      return { text: longLine(relative, e), more: streams.length > 0 ? streams : null };
    };
    let first = true;
    const print = async (r: Rendered): Promise<void> => {
      await out.line(options.json && !first ? `,${r.text}` : r.text);
      for (const line of r.more ?? []) await out.line(line);
      first = false;
    };
    if (options.json) {
      await out.line(`{"schema":${JSON.stringify(LS_SCHEMA)},"disk":${JSON.stringify(disk)},"partition":${JSON.stringify(opened.partition)},"filesystem":${JSON.stringify(reader.filesystem)},"label":${JSON.stringify(reader.label)},"path":${JSON.stringify(shownPath)},"entries":[`);
    }
    if (top.kind !== 'directory') {
      await print(render(shownPath, top, top.name));
    } else {
      await listTree(reader, shownPath, '', Boolean(options.recursive), render, print);
    }
    if (options.json) await out.line(`],"warnings":${JSON.stringify(reader.warnings)}}`);
    await out.flush();
    if (!options.json) for (const w of reader.warnings) io.stderr(`guestdisk: warning: ${w.code}: ${w.message}`);
    return 0;
  } finally {
    await out.flush(); // what was listed before a failure is shown, as it was line by line
    await opened.target.close();
  }
}

/** Characters of output gathered before one write: fewer writes, and fewer callbacks waiting on them. */
const OUTPUT_CHUNK_CHARS = 64 * 1024;

/**
 * Lines gathered into chunks of about OUTPUT_CHUNK_CHARS. After each chunk the event loop gets a turn, so stdout's
 * write callbacks run and release what they hold: a listing of any length holds about one chunk of output, where
 * a loop of writes that never yields would keep every one of them until the end.
 */
function lineBuffer(io: CliIo): { line(text: string): Promise<void>; flush(): Promise<void> } {
  let pending: string[] = [];
  let chars = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('\n');
    pending = [];
    chars = 0;
    io.stdout(text);
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    async line(text) {
      pending.push(text);
      chars += text.length + 1;
      if (chars >= OUTPUT_CHUNK_CHARS) await flush();
    },
    flush,
  };
}

/** An entry's output: its line (or JSON object), and -l's lines for its alternate data streams. */
interface Rendered {
  readonly text: string;
  readonly more: readonly string[] | null;
}

/**
 * One directory's rendered entries, held compactly until they are sorted: each text as UTF-8 in shared 1 MiB
 * chunks (bytes outside the JavaScript heap, which a heap of 100,000 strings would grow to several times their
 * size), beside its name for sorting and a directory flag.
 */
class ListedTexts {
  private static readonly CHUNK_BYTES = 1024 * 1024;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private readonly chunks: Uint8Array[] = [];
  private used = ListedTexts.CHUNK_BYTES;
  readonly names: string[] = [];
  private readonly where: number[] = []; // chunk, start, length per entry
  private readonly more: (readonly string[] | null)[] = [];
  private readonly directories: boolean[] = [];

  add(name: string, directory: boolean, r: Rendered): void {
    const bytes = this.encoder.encode(r.text);
    if (this.used + bytes.length > ListedTexts.CHUNK_BYTES) {
      this.chunks.push(new Uint8Array(Math.max(ListedTexts.CHUNK_BYTES, bytes.length)));
      this.used = 0;
    }
    this.chunks[this.chunks.length - 1].set(bytes, this.used);
    this.where.push(this.chunks.length - 1, this.used, bytes.length);
    this.used += bytes.length;
    this.names.push(name);
    this.more.push(r.more);
    this.directories.push(directory);
  }

  /** Entry indexes in name order. */
  sorted(): Uint32Array {
    return Uint32Array.from(this.names, (_, i) => i).sort((a, b) => compareNames(this.names[a], this.names[b]));
  }

  rendered(i: number): Rendered {
    const [chunk, start, length] = [this.where[3 * i], this.where[3 * i + 1], this.where[3 * i + 2]];
    return { text: this.decoder.decode(this.chunks[chunk].subarray(start, start + length)), more: this.more[i] };
  }

  isDirectory(i: number): boolean {
    return this.directories[i];
  }
}

async function listTree(
  reader: VolumeReader, dir: string, prefix: string, recursive: boolean,
  render: (p: string, e: Entry, relative: string) => Rendered, print: (r: Rendered) => Promise<void>,
): Promise<void> {
  let listed: ListedTexts | null = new ListedTexts();
  for await (const e of reader.list(dir)) listed.add(e.name, e.kind === 'directory', render(childPath(dir, e.name), e, prefix + e.name));
  const order = listed.sorted();
  for (const i of order) await print(listed.rendered(i));
  if (!recursive) return;
  // The texts are out: only the subdirectories' names stay while each is listed in turn.
  const subdirectories: string[] = [];
  for (const i of order) if (listed.isDirectory(i)) subdirectories.push(listed.names[i]);
  listed = null;
  for (const name of subdirectories) await listTree(reader, childPath(dir, name), `${prefix}${name}/`, true, render, print);
}

/** "darhs" flags, size, modification time (UTC), name [-> target]. */
function longLine(name: string, e: Entry): string {
  const a = e.attributes;
  const type = e.kind === 'directory' ? 'd' : e.kind === 'file' ? '-' : e.kind === 'junction' ? 'j' : e.kind === 'symlink' ? 'l' : '?';
  const flags = `${type}${a.archive ? 'a' : '-'}${a.readOnly ? 'r' : '-'}${a.hidden ? 'h' : '-'}${a.system ? 's' : '-'}${a.compressed ? 'c' : a.sparse ? 'p' : a.encrypted ? 'e' : '-'}`;
  const time = new Date(e.times.modifiedMs).toISOString().replace('T', ' ').slice(0, 19);
  const target = e.linkTarget !== null ? ` -> ${e.linkTarget}` : '';
  return `${flags}  ${time}  ${String(e.sizeBytes).padStart(14)}  ${name}${target}`;
}
