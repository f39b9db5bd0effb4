// exfat-fuse in the foreground (-d), so the test owns its process and knows when it has written everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mustRun, requireTool } from '../../helpers/tools.js';

function isMounted(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface FuseMount {
  readonly dir: string;
  /** Unmounts and waits for exfat-fuse to exit (it writes the volume's final state on the way out). */
  unmount(): Promise<void>;
}

/** `logPath` takes the daemon's debug output: a file, not a pipe, since the test's own synchronous file calls
 *  into the mount would stop node draining a pipe, and a daemon blocked on a full pipe never answers them. */
export async function mountExfatFuse(device: string, dir: string, readOnly: boolean, logPath: string): Promise<FuseMount> {
  requireTool('mount.exfat-fuse');
  const args = ['-d', ...(readOnly ? ['-o', 'ro'] : []), device, dir];
  const log = openSync(logPath, 'w');
  let child: ChildProcess;
  try {
    child = spawn('mount.exfat-fuse', args, { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const tail = (): string => readFileSync(logPath, 'utf8').slice(-4000);
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  let done = false;
  void exited.then(() => { done = true; });
  for (let i = 0; i < 200 && !isMounted(dir); i++) {
    if (done) throw new Error(`mount.exfat-fuse ${args.join(' ')} exited: ${tail().split('\n').filter((l) => /error|ERROR/.test(l)).join(' | ') || tail().slice(-500)}`);
    await sleep(50);
  }
  if (!isMounted(dir)) {
    child.kill();
    throw new Error(`mount.exfat-fuse ${args.join(' ')} did not mount in 10 s`);
  }
  return {
    dir,
    async unmount() {
      mustRun('umount', [dir]);
      const code = await Promise.race([exited, sleep(30_000).then(() => -2)]);
      if (code !== 0) throw new Error(`exfat-fuse exited ${code} after unmount: ${tail().slice(-500)}`);
    },
  };
}
