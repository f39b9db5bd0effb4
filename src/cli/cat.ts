// `guestdisk cat DISK:/PATH [--stream NAME] [--partition N]`: writes one file (or one NTFS stream) of a volume to
// standard output (the io's byte output), read-only, in pieces of at most a few MiB.
import { GuestdiskError } from '../errors.js';
import type { CliIo } from './io.js';
import { openVolumeForRead, resolveStreamPath, splitDiskPath, type VolumeOptions } from './read-common.js';

export interface CatOptions extends VolumeOptions { stream?: string }

export async function runCat(arg: string, options: CatOptions, io: CliIo): Promise<number> {
  if (!io.stdoutBytes) throw new GuestdiskError('IO_FAILED', 'cat: this output carries text only, not file bytes');
  const { disk, path } = splitDiskPath(arg, true);
  const opened = await openVolumeForRead(disk, options);
  try {
    const where = await resolveStreamPath(opened.reader, path, options.stream);
    // stdout has taken each piece before the next is read into the same buffer: one piece in memory.
    for await (const piece of opened.reader.read(where.path, { stream: where.stream, reuseBuffer: true })) await io.stdoutBytes(piece);
    for (const w of opened.reader.warnings) io.stderr(`guestdisk: warning: ${w.code}: ${w.message}`);
    return 0;
  } finally {
    await opened.target.close();
  }
}
