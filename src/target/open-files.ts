// Which processes hold a file or device open for writing, from /proc/PID/fd and /proc/PID/fdinfo (proc(5)). Used
// to refuse a target another program is writing: a VM's QEMU, a FUSE filesystem (ntfs-3g, exfat-fuse), a dd.
// Readers are left alone: a backup or a `blkid` probe reading the old disk is not harmed by the new one.
// Without permission to look at another user's processes (not root), those processes are not seen; the check is a
// guard against mistakes, and O_EXCL / the image lock remain.
import * as nodeFs from 'node:fs/promises';

export interface OpenFile {
  readonly pid: number;
  /** /proc/PID/comm: the program's name (up to 15 bytes). */
  readonly command: string;
  readonly fd: number;
  /** For a block device, its device number (stat's rdev); 0 otherwise. */
  readonly rdev: number;
}

/** What an open file is, from stat(2) of /proc/PID/fd/N (which follows the link to the file itself). */
export interface OpenFileStat {
  readonly dev: number;
  readonly ino: number;
  readonly rdev: number;
  isBlockDevice(): boolean;
}

/** fcntl's access mode bits in fdinfo's octal `flags`: O_WRONLY = 1, O_RDWR = 2. */
const O_ACCMODE = 0o3;

async function listNumbers(path: string): Promise<number[]> {
  const names = await nodeFs.readdir(path).catch(() => [] as string[]);
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

async function openForWriting(procRoot: string, pid: number, fd: number): Promise<boolean> {
  const info = await nodeFs.readFile(`${procRoot}/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
  const flags = /^flags:\s*([0-7]+)/m.exec(info);
  return flags !== null && (Number.parseInt(flags[1], 8) & O_ACCMODE) !== 0;
}

/** Processes other than `selfPid` that hold, open for writing, a file for which `matches` is true. */
export async function findWriters(matches: (st: OpenFileStat) => boolean, options: { procRoot?: string; selfPid?: number } = {}): Promise<OpenFile[]> {
  const procRoot = options.procRoot ?? '/proc';
  // Every descriptor of every process is looked at once; all at the same time, as each look is a round trip to
  // libuv's thread pool (one after the other: ~100 ms for ~1,100 descriptors on a busy 2-core host).
  const pids = (await listNumbers(procRoot)).filter((pid) => pid !== options.selfPid);
  const perPid = await Promise.all(pids.map(async (pid) => {
    const fds = await listNumbers(`${procRoot}/${pid}/fd`);
    const hits = await Promise.all(fds.map(async (fd): Promise<OpenFile | null> => {
      const st = await nodeFs.stat(`${procRoot}/${pid}/fd/${fd}`).catch(() => null); // closed meanwhile, or a dead link
      if (st === null || !matches(st) || !(await openForWriting(procRoot, pid, fd))) return null;
      const command = (await nodeFs.readFile(`${procRoot}/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      return { pid, command, fd, rdev: st.isBlockDevice() ? st.rdev : 0 };
    }));
    return hits.filter((h): h is OpenFile => h !== null);
  }));
  return perPid.flat();
}

export function describeWriters(writers: readonly OpenFile[]): string {
  const byPid = new Map<number, string>();
  for (const w of writers) byPid.set(w.pid, `${w.command} (pid ${w.pid})`);
  return [...byPid.values()].join(', ');
}
