// An advisory lock for image files, held for the whole `create`: a second guestdisk on the same image is refused
// (TARGET_BUSY) before it reads or writes anything. Node has no flock(2), so the lock is a file beside the image,
// created O_EXCL and holding the owner's pid; a lock whose owner is gone (SIGKILL) is stale and taken over.
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import { wrapIoError } from './io-error.js';

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

export function lockPathFor(imagePath: string): string {
  return `${imagePath}.guestdisk-lock`;
}

function ownerAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireFileLock(imagePath: string): Promise<FileLock> {
  const path = lockPathFor(imagePath);
  for (let attempt = 0; attempt < 2; attempt++) {
    // The pid is written to a private file first and linked into place (link(2) fails if the lock exists), so a
    // lock is never seen without its owner's pid: a half-made lock cannot pass for a stale one.
    const draft = `${path}.${process.pid}.draft`;
    try {
      await nodeFs.writeFile(draft, `${process.pid}\n`, { mode: 0o644 });
      await nodeFs.link(draft, path);
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await nodeFs.rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw wrapIoError(e, `cannot create the lock file ${path}`);
    } finally {
      await nodeFs.rm(draft, { force: true });
    }
    const owner = Number.parseInt(await nodeFs.readFile(path, 'utf8').catch(() => ''), 10);
    if (ownerAlive(owner) && owner !== process.pid) {
      throw new GuestdiskError('TARGET_BUSY', `${imagePath} is being written by another guestdisk (pid ${owner}; lock ${path})`, { path: imagePath, lock: path, pid: owner });
    }
    await nodeFs.rm(path, { force: true }); // stale: its owner is gone
  }
  throw new GuestdiskError('TARGET_BUSY', `${imagePath}: cannot take the lock ${path}`, { path: imagePath, lock: path });
}
