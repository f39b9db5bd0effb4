// `guestdisk ls DISK[:/PATH] [-l] [-R] [--json] [--partition N]`: lists a directory of a volume (read-only). Each
// directory's entries are sorted by name (UTF-16 code units) and, with -R, followed depth-first: only the directory
// being printed is held, never the whole tree. --json streams one document whose schema docs/read.md gives.
import type { Entry, VolumeReader } from '../read/types.js';
import type { CliIo } from './io.js';
import { childPath, compareNames, entryJson, openVolumeForRead, splitDiskPath, type VolumeOptions } from './read-common.js';

export interface LsOptions extends VolumeOptions { long?: boolean; recursive?: boolean; json?: boolean }

export const LS_SCHEMA = 'guestdisk.ls/1';

export async function runLs(arg: string, options: LsOptions, io: CliIo): Promise<number> {
  const { disk, path } = splitDiskPath(arg, false);
  const opened = await openVolumeForRead(disk, options);
  try {
    const reader = opened.reader;
    const top = await reader.stat(path);
    const shownPath = path === '' ? '/' : path;
    let first = true;
    const emit = (p: string, e: Entry, relative: string): void => {
      if (options.json) {
        io.stdout(`${first ? '' : ','}${JSON.stringify(entryJson(p, e))}`);
      } else {
        io.stdout(options.long ? longLine(relative, e) : relative);
        if (options.long) for (const s of e.streams) io.stdout(`${' '.repeat(29)}${String(s.sizeBytes).padStart(14)}  ${relative}:${s.name}`);
      }
      first = false;
    };
    if (options.json) {
      io.stdout(`{"schema":${JSON.stringify(LS_SCHEMA)},"disk":${JSON.stringify(disk)},"partition":${JSON.stringify(opened.partition)},"filesystem":${JSON.stringify(reader.filesystem)},"label":${JSON.stringify(reader.label)},"path":${JSON.stringify(shownPath)},"entries":[`);
    }
    if (top.kind !== 'directory') {
      emit(shownPath, top, top.name);
    } else {
      await listTree(reader, shownPath, '', Boolean(options.recursive), emit);
    }
    if (options.json) io.stdout(`],"warnings":${JSON.stringify(reader.warnings)}}`);
    else for (const w of reader.warnings) io.stderr(`guestdisk: warning: ${w.code}: ${w.message}`);
    return 0;
  } finally {
    await opened.target.close();
  }
}

async function listTree(reader: VolumeReader, dir: string, prefix: string, recursive: boolean, emit: (p: string, e: Entry, relative: string) => void): Promise<void> {
  const entries: Entry[] = [];
  for await (const e of reader.list(dir)) entries.push(e);
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const e of entries) emit(childPath(dir, e.name), e, prefix + e.name);
  if (!recursive) return;
  for (const e of entries) {
    if (e.kind === 'directory') await listTree(reader, childPath(dir, e.name), `${prefix}${e.name}/`, true, emit);
  }
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
