// An advisory lock for image files, held for the whole `create`: a second guestdisk on the same image is refused
// (TARGET_BUSY) before it reads or writes anything. Node has no flock(2), so the lock is a file beside the image,
// created atomically (link(2) fails when it exists) and holding the owner's pid; a lock whose owner is gone
// (SIGKILL, power loss) is stale and taken over.
//
// Taking over is where two runs could race: both read the same dead pid, the first removes the stale lock and
// makes its own, and the second, acting on what it read earlier, removes that fresh lock. So removal of a stale
// lock is serialized by a second lock file (IMG.guestdisk-lock.takeover), taken the same way: only its holder
// may remove the main lock, and only after reading the dead pid again while holding it. Nobody else ever removes
// a lock but its owner, so what the holder re-reads cannot change under it. The takeover lock is held for a few
// system calls; one left behind by a run killed inside that window is itself stale (its pid is dead) and removed
// unconditionally — the one remaining race needs two runs to meet such a leftover at the same instant.
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

function takeoverPathFor(lockPath: string): string {
  return `${lockPath}.takeover`;
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

/** The pid in a lock file; NaN when it is gone or unreadable (a lock file never lacks its pid, see tryLink). */
async function readOwner(path: string): Promise<number> {
  return Number.parseInt(await nodeFs.readFile(path, 'utf8').catch(() => ''), 10);
}

/**
 * Creates `path` holding our pid, or returns false when it exists. The pid goes into a private file first, which
 * is then linked into place, so a lock is never seen without its owner's pid: a half-made lock cannot pass for a
 * stale one.
 */
async function tryLink(path: string): Promise<boolean> {
  const draft = `${path}.${process.pid}.draft`;
  try {
    await nodeFs.writeFile(draft, `${process.pid}\n`, { mode: 0o644 });
    await nodeFs.link(draft, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw wrapIoError(e, `cannot create the lock file ${path}`);
  } finally {
    await nodeFs.rm(draft, { force: true });
  }
}

function busy(imagePath: string, lock: string, owner: number): GuestdiskError {
  return new GuestdiskError('TARGET_BUSY', `${imagePath} is being written by another guestdisk (pid ${owner}; lock ${lock})`, { path: imagePath, lock, pid: owner });
}

function held(path: string): FileLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      await nodeFs.rm(path, { force: true });
    },
  };
}

/** Removes the stale lock at `path` (its owner is dead) and takes it, holding the takeover lock meanwhile. */
async function takeOver(imagePath: string, path: string): Promise<FileLock> {
  const takeover = takeoverPathFor(path);
  if (!(await tryLink(takeover))) {
    const other = await readOwner(takeover);
    if (ownerAlive(other) && other !== process.pid) throw busy(imagePath, path, other); // it is taking the lock now
    await nodeFs.rm(takeover, { force: true }); // left by a run killed inside the takeover window
    if (!(await tryLink(takeover))) throw busy(imagePath, path, await readOwner(takeover));
  }
  try {
    const owner = await readOwner(path); // again, now that no one else may remove it
    if (ownerAlive(owner) && owner !== process.pid) throw busy(imagePath, path, owner);
    await nodeFs.rm(path, { force: true });
    // A run arriving just now may find no lock and take it the ordinary way: then it is the owner, not us.
    if (!(await tryLink(path))) throw busy(imagePath, path, await readOwner(path));
    return held(path);
  } finally {
    await nodeFs.rm(takeover, { force: true });
  }
}

export async function acquireFileLock(imagePath: string): Promise<FileLock> {
  const path = lockPathFor(imagePath);
  if (await tryLink(path)) return held(path);
  const owner = await readOwner(path);
  if (ownerAlive(owner) && owner !== process.pid) throw busy(imagePath, path, owner);
  return takeOver(imagePath, path);
}
