// The host-program runner the CLI hands to host/: the CLI's own environment (PATH decides which lvcreate, lvs and
// virsh run: the tests put stand-ins first), and a PATH lookup before anything is spawned.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { createExecRunner, type HostProgram, type HostRunner } from '../host/run.js';
import type { CliIo } from './io.js';

export function runnerFor(io: CliIo): HostRunner {
  return createExecRunner({ env: io.env, isInstalled: (program) => onPath(program, io.env.PATH) });
}

/** Whether an executable `program` is in one of PATH's directories, as execvp would look for it. Without a PATH,
 *  execvp has its own default list: then say yes and let the run find out. */
export function onPath(program: HostProgram, path: string | undefined): boolean {
  if (path === undefined) return true;
  return path.split(':').some((dir) => {
    try {
      accessSync(join(dir || '.', program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
