// `guestdisk ls DISK[:/PATH] [-l] [-R] [--json] [--partition N]`: lists a directory of a volume (read-only). Each
// directory's entries are sorted by name (UTF-16 code units) and, with -R, followed depth-first: only the directory
// being printed is held, never the whole tree, and of it only each entry's name and its output text (rendered as
// the entry arrives; a decoded entry costs many times its line), then only its subdirectories' names while they are
// listed. --json streams one document whose schema docs/read.md gives.
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
    const print = (r: Rendered): void => {
      out.line(options.json && !first ? `,${r.text}` : r.text);
      for (const line of r.more ?? []) out.line(line);
      first = false;
    };
    if (options.json) {
      out.line(`{"schema":${JSON.stringify(LS_SCHEMA)},"disk":${JSON.stringify(disk)},"partition":${JSON.stringify(opened.partition)},"filesystem":${JSON.stringify(reader.filesystem)},"label":${JSON.stringify(reader.label)},"path":${JSON.stringify(shownPath)},"entries":[`);
    }
    if (top.kind !== 'directory') {
      print(render(shownPath, top, top.name));
    } else {
      await listTree(reader, shownPath, '', Boolean(options.recursive), render, print);
    }
    if (options.json) out.line(`],"warnings":${JSON.stringify(reader.warnings)}}`);
    out.flush();
    if (!options.json) for (const w of reader.warnings) io.stderr(`guestdisk: warning: ${w.code}: ${w.message}`);
    return 0;
  } finally {
    out.flush(); // what was listed before a failure is shown, as it was line by line
    await opened.target.close();
  }
}

/** Bytes of output text gathered before one write: a write per line would queue one callback per entry. */
const OUTPUT_CHUNK_CHARS = 64 * 1024;

/** Lines gathered into chunks of about OUTPUT_CHUNK_CHARS, each written with one io.stdout call. */
function lineBuffer(io: CliIo): { line(text: string): void; flush(): void } {
  let pending: string[] = [];
  let chars = 0;
  const flush = (): void => {
    if (pending.length > 0) io.stdout(pending.join('\n'));
    pending = [];
    chars = 0;
  };
  return {
    line(text) {
      pending.push(text);
      chars += text.length + 1;
      if (chars >= OUTPUT_CHUNK_CHARS) flush();
    },
    flush,
  };
}

/** An entry's output: its line (or JSON object), and -l's lines for its alternate data streams. */
interface Rendered {
  readonly text: string;
  readonly more: readonly string[] | null;
}

interface Listed extends Rendered {
  readonly name: string;
  readonly directory: boolean;
}

async function listTree(
  reader: VolumeReader, dir: string, prefix: string, recursive: boolean,
  render: (p: string, e: Entry, relative: string) => Rendered, print: (r: Rendered) => void,
): Promise<void> {
  const listed: Listed[] = [];
  for await (const e of reader.list(dir)) listed.push({ name: e.name, directory: e.kind === 'directory', ...render(childPath(dir, e.name), e, prefix + e.name) });
  listed.sort((a, b) => compareNames(a.name, b.name));
  for (const l of listed) print(l);
  if (!recursive) return;
  // The texts are out: only the subdirectories' names stay while each is listed in turn.
  const subdirectories = listed.filter((l) => l.directory).map((l) => l.name);
  listed.length = 0;
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
