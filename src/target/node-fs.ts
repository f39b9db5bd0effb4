// The part of node:fs/promises that target/ uses, made on node:fs's callback API. Why not node:fs/promises itself:
// loading it also loads node's readline, file watchers and directory streams, ~0.7 MB of peak memory in every run
// for nothing we call (bench/, issue 9: "peak RSS within 10 MB of `node -e 0`"). Same names, arguments and
// errors (the callback API throws the same ErrnoExceptions), so callers and memfs-injected tests do not change.
import * as fs from 'node:fs';
import type { FileHandleLike } from './file-target.js';

/** An open file: the FileHandle methods target/ uses, plus its descriptor for ioctls. */
export interface NodeFileHandle extends FileHandleLike {
  readonly fd: number;
}

/** Runs a callback-style fs function as a promise. */
function call<T>(start: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

function handleFor(fd: number): NodeFileHandle {
  return {
    fd,
    read: (buffer, offset, length, position) => call<number>((done) => fs.read(fd, buffer, offset, length, position, done)).then((bytesRead) => ({ bytesRead })),
    write: (buffer, offset, length, position) => call<number>((done) => fs.write(fd, buffer, offset, length, position, done)).then((bytesWritten) => ({ bytesWritten })),
    truncate: (len = 0) => call<void>((done) => fs.ftruncate(fd, len, (err) => done(err, undefined))),
    sync: () => call<void>((done) => fs.fsync(fd, (err) => done(err, undefined))),
    datasync: () => call<void>((done) => fs.fdatasync(fd, (err) => done(err, undefined))),
    close: () => call<void>((done) => fs.close(fd, (err) => done(err, undefined))),
  };
}

export function open(path: string, flags: string | number, mode?: number): Promise<NodeFileHandle> {
  return call<number>((done) => fs.open(path, flags, mode, done)).then(handleFor);
}

export function stat(path: string): Promise<fs.Stats> {
  return call<fs.Stats>((done) => fs.stat(path, done));
}

export function readFile(path: string, encoding: 'utf8'): Promise<string> {
  return call<string>((done) => fs.readFile(path, encoding, done));
}

export function writeFile(path: string, data: string, options: { mode: number }): Promise<void> {
  return call<void>((done) => fs.writeFile(path, data, options, (err) => done(err, undefined)));
}

export function readdir(path: string): Promise<string[]> {
  return call<string[]>((done) => fs.readdir(path, done));
}

export function realpath(path: string): Promise<string> {
  return call<string>((done) => fs.realpath(path, done));
}

export function link(existingPath: string, newPath: string): Promise<void> {
  return call<void>((done) => fs.link(existingPath, newPath, (err) => done(err, undefined)));
}

export function unlink(path: string): Promise<void> {
  return call<void>((done) => fs.unlink(path, (err) => done(err, undefined)));
}

/**
 * Removes a file; with `force`, a file that is not there is not an error (as fs.promises.rm). Asked with lstat
 * after a failed unlink, not from its error code: on a read-only filesystem unlinking a missing file is EROFS.
 */
export async function rm(path: string, options: { force: boolean }): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (options.force && !(await exists(path))) return;
    throw e;
  }
}

function exists(path: string): Promise<boolean> {
  return new Promise((resolve) => fs.lstat(path, (err) => resolve(err?.code !== 'ENOENT')));
}
