// An advisory lock for image files, held for the whole `create`: a second guestdisk on the same image is refused
// (TARGET_BUSY) before it reads or writes anything.
//
// The lock belongs to the file, not to the name: it is keyed by the device and inode numbers of the file the path
// leads to (stat follows symlinks), so a symlink, a hard link, `./x` against `x` and a bind mount of the directory
// all meet the same lock. Node has no flock(2), so the lock is a small file in one well-known directory shared by
// every user (/run/lock where it is the usual world-writable sticky tmpfs, else /tmp), named after those numbers:
// `guestdisk.DEV.INO.lock`. Its name is short whatever the image is called, and it never lives beside the image,
// so an image on a filesystem without link(2) or with short names (exFAT, vfat, other FUSE mounts) locks like any
// other. The holder keeps the image open for the whole run, so the inode cannot be freed and reused meanwhile.
//
// The lock file holds "PID STARTTIME": the owner's pid and its start time from /proc/PID/stat, so that a lock left
// by a dead run (SIGKILL, power loss; /run/lock is emptied at boot anyway) is stale even when the pid has been
// reused by an unrelated process. It is created atomically complete: the text goes into a private draft that is
// then linked into place (link(2) fails when the lock exists; the lock directory is a local filesystem).
//
// Taking over a stale lock is where two runs could race: both read the same dead owner, the first removes the
// stale lock and makes its own, and the second, acting on what it read earlier, removes that fresh lock. So removal
// of a stale lock is serialized by a second lock file (LOCK.takeover), taken the same way: only its holder may
// remove the main lock, and only after reading the owner again while holding it. Nobody else ever removes a lock
// but its owner, so what the holder re-reads cannot change under it. A takeover lock left by a run killed inside
// that window is itself stale and removed.
import * as nodeFs from 'node:fs/promises';
import { GuestdiskError } from '../errors.js';
import { wrapIoError } from './io-error.js';

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The file's identity: the key of its lock. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export interface FileLockOptions {
  /** Where lock files live; default: lockDirectory(). Tests only. */
  readonly lockDir?: string;
  /** Where /proc is; tests only. */
  readonly procRoot?: string;
}

const PREFERRED_LOCK_DIR = '/run/lock';
const FALLBACK_LOCK_DIR = '/tmp';
/** A world-writable directory with the sticky bit: every user can make a lock there, none can remove another's. */
const STICKY_WORLD_WRITABLE = 0o1777;

/**
 * /run/lock when it is world-writable and sticky (Debian, Ubuntu, Arch: a tmpfs emptied at boot), else /tmp.
 * Decided by the directory's mode, not by whether this user could write there, so that root and other users
 * pick the same directory on one host.
 */
export async function lockDirectory(): Promise<string> {
  try {
    const st = await nodeFs.stat(PREFERRED_LOCK_DIR);
    if (st.isDirectory() && (st.mode & STICKY_WORLD_WRITABLE) === STICKY_WORLD_WRITABLE) return PREFERRED_LOCK_DIR;
  } catch {
    // no /run/lock: use /tmp
  }
  return FALLBACK_LOCK_DIR;
}

export function lockPathFor(identity: FileIdentity, lockDir: string): string {
  return `${lockDir}/guestdisk.${identity.dev}.${identity.ino}.lock`;
}

/** The identity of the file `path` leads to (following symlinks). */
export async function identifyFile(path: string): Promise<FileIdentity> {
  try {
    const st = await nodeFs.stat(path);
    return { dev: st.dev, ino: st.ino };
  } catch (e) {
    throw wrapIoError(e, `cannot stat ${path}`);
  }
}

function takeoverPathFor(lockPath: string): string {
  return `${lockPath}.takeover`;
}

interface Owner {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot); '' when unknown. */
  readonly startTime: string;
}

/** proc(5): the fields after the command name, which is in parentheses and may itself hold spaces or parentheses. */
async function startTimeOf(pid: number, procRoot: string): Promise<string | null> {
  const text = await nodeFs.readFile(`${procRoot}/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null; // field 22 overall: fields 3.. start after the name
}

function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and the same process that wrote the lock (not a later one that was given its pid). */
async function ownerAlive(owner: Owner, procRoot: string): Promise<boolean> {
  if (!pidAlive(owner.pid)) return false;
  if (owner.startTime === '') return true;
  const now = await startTimeOf(owner.pid, procRoot);
  return now === null || now === owner.startTime;
}

/** The owner in a lock file; pid NaN when it is gone or unreadable (a lock file never lacks its owner, see tryLink). */
async function readOwner(path: string): Promise<Owner> {
  const [pid, startTime] = (await nodeFs.readFile(path, 'utf8').catch(() => '')).trim().split(/\s+/);
  return { pid: Number.parseInt(pid ?? '', 10), startTime: startTime ?? '' };
}

function isMe(owner: Owner): boolean {
  return owner.pid === process.pid;
}

function draftPathFor(lockPath: string, pid: number): string {
  return `${lockPath}.${pid}.draft`;
}

/**
 * Drafts of `lockPath` whose writer is dead: a run killed between writing its draft and linking it leaves one, and
 * nothing else would ever remove it. A live writer's draft is left alone (it removes its own).
 */
async function removeDeadDrafts(lockPath: string): Promise<void> {
  const slash = lockPath.lastIndexOf('/');
  const dir = lockPath.slice(0, slash);
  const prefix = `${lockPath.slice(slash + 1)}.`;
  const names = await nodeFs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.draft')) continue;
    const pid = Number(name.slice(prefix.length, -'.draft'.length));
    if (!Number.isSafeInteger(pid) || pidAlive(pid)) continue;
    await nodeFs.rm(`${dir}/${name}`, { force: true }).catch(() => {});
  }
}

/**
 * Creates `path` holding our pid and start time, or returns false when it exists. The text goes into a private
 * file first, which is then linked into place, so a lock is never seen without its owner: a half-made lock cannot
 * pass for a stale one.
 */
async function tryLink(path: string, procRoot: string): Promise<boolean> {
  const draft = draftPathFor(path, process.pid);
  await removeDeadDrafts(path);
  try {
    const startTime = (await startTimeOf(process.pid, procRoot)) ?? '';
    await nodeFs.writeFile(draft, `${process.pid} ${startTime}\n`, { mode: 0o644 });
    await nodeFs.link(draft, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw wrapIoError(e, `cannot create the lock file ${path}`);
  } finally {
    await nodeFs.rm(draft, { force: true }).catch(() => {});
  }
}

function busy(imagePath: string, lock: string, owner: Owner): GuestdiskError {
  return new GuestdiskError('TARGET_BUSY', `${imagePath} is being written by another guestdisk (pid ${owner.pid}; lock ${lock})`, { path: imagePath, lock, pid: owner.pid });
}

/** Locks this process holds: a second lock on one file from the same process (a library caller) is busy too. */
const heldHere = new Set<string>();

function held(path: string): FileLock {
  heldHere.add(path);
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      await nodeFs.rm(path, { force: true });
    },
  };
}

/** Removes the stale lock at `path` (its owner is dead) and takes it, holding the takeover lock meanwhile. */
async function takeOver(imagePath: string, path: string, procRoot: string): Promise<FileLock> {
  const takeover = takeoverPathFor(path);
  if (!(await tryLink(takeover, procRoot))) {
    const other = await readOwner(takeover);
    if (!isMe(other) && (await ownerAlive(other, procRoot))) throw busy(imagePath, path, other); // it is taking the lock now
    await nodeFs.rm(takeover, { force: true }); // left by a run killed inside the takeover window
    if (!(await tryLink(takeover, procRoot))) throw busy(imagePath, path, await readOwner(takeover));
  }
  try {
    const owner = await readOwner(path); // again, now that no one else may remove it
    if (!isMe(owner) && (await ownerAlive(owner, procRoot))) throw busy(imagePath, path, owner);
    await nodeFs.rm(path, { force: true });
    // A run arriving just now may find no lock and take it the ordinary way: then it is the owner, not us.
    if (!(await tryLink(path, procRoot))) throw busy(imagePath, path, await readOwner(path));
    return held(path);
  } finally {
    await nodeFs.rm(takeover, { force: true });
  }
}

/** Locks the file `imagePath` leads to; it must exist (a new image is created first, then locked). */
export async function acquireFileLock(imagePath: string, options: FileLockOptions = {}): Promise<FileLock> {
  const procRoot = options.procRoot ?? '/proc';
  const path = lockPathFor(await identifyFile(imagePath), options.lockDir ?? (await lockDirectory()));
  if (heldHere.has(path)) throw busy(imagePath, path, { pid: process.pid, startTime: '' });
  if (await tryLink(path, procRoot)) return held(path);
  const owner = await readOwner(path);
  if (!isMe(owner) && (await ownerAlive(owner, procRoot))) throw busy(imagePath, path, owner);
  return takeOver(imagePath, path, procRoot);
}
