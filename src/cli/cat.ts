// `guestdisk cat DISK:/PATH [--stream NAME] [--partition N]`: writes one file (or one NTFS stream) of a volume to
// standard output, read-only, in pieces of at most 1 MiB.
import { GuestdiskError } from '../errors.js';
import type { CliIo } from './io.js';
import { openVolumeForRead, resolveStreamPath, splitDiskPath, type VolumeOptions } from './read-common.js';

export interface CatOptions extends VolumeOptions { stream?: string }

/** Where the bytes go; the default waits for each piece to reach stdout, so memory stays at one piece. (CliIo
 *  carries text lines only; file bytes go to the process's stdout here.) */
export type ByteSink = (bytes: Uint8Array) => Promise<void>;

export const stdoutSink: ByteSink = (bytes) =>
  new Promise((resolve, reject) => {
    process.stdout.write(bytes, (e) => {
      if (!e) resolve();
      else reject(new GuestdiskError('IO_FAILED', `cannot write to standard output (${e.message})`, { errno: (e as NodeJS.ErrnoException).code ?? null }, { cause: e }));
    });
  });

export async function runCat(arg: string, options: CatOptions, io: CliIo, sink: ByteSink = stdoutSink): Promise<number> {
  const { disk, path } = splitDiskPath(arg, true);
  const opened = await openVolumeForRead(disk, options);
  try {
    const where = await resolveStreamPath(opened.reader, path, options.stream);
    for await (const piece of opened.reader.read(where.path, { stream: where.stream })) await sink(piece);
    for (const w of opened.reader.warnings) io.stderr(`guestdisk: warning: ${w.code}: ${w.message}`);
    return 0;
  } finally {
    await opened.target.close();
  }
}
