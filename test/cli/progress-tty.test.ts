// The progress line in a real terminal: `create` runs under script(1), so its stderr is a pty. A run is
// made slower than a second by stopping it (SIGSTOP) once it holds its lock, so the next write finds a second has
// passed and draws the line; at the end the line is cleared. Without a terminal (the other CLI tests) nothing of it
// is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { makeTempDir, requireTool } from '../helpers/tools.js';
import { mustCli } from '../helpers/cli.js';
import { lockOf } from '../reliability/cli-process.js';

const dir = makeTempDir('guestdisk-progress-');
test.after(() => dir.remove());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** Runs `guestdisk args` with a pty as stdin/stdout/stderr; calls `whileRunning`, if given, with the CLI's pid once
 *  it holds the lock on `image`. Resolves with everything the terminal showed. */
async function inTerminal(image: string, args: readonly string[], whileRunning?: (pid: number) => Promise<void>): Promise<{ status: number | null; screen: string }> {
  requireTool('script');
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.on('data', (d) => { screen += String(d); });
  child.stderr.on('data', (d) => { screen += String(d); });
  let exited = false;
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => { exited = true; resolve(code); }));
  if (whileRunning) {
    let pid = 0;
    for (let i = 0; i < 2000 && pid === 0 && !exited; i++) {
      try { pid = Number.parseInt(readFileSync(lockOf(image), 'utf8'), 10) || 0; } catch { await sleep(5); }
    }
    assert.ok(pid > 0, `the run never showed its lock: ${screen}`);
    await whileRunning(pid);
    // script(1) stops itself when its child stops, and waits for a SIGCONT of its own.
    if (child.pid) process.kill(child.pid, 'SIGCONT');
  }
  return { status: await done, screen };
}

test('a create that takes longer than a second shows "writing: … sent, …/s, at …%, ETA … s" on the terminal, then clears it', async () => {
  const image = join(dir.path, 'slow.img');
  const { status, screen } = await inTerminal(image, ['create', image, '--size', '64G', '--seed', 'p', '--timestamp', '1700000000'], async (pid) => {
    // Stop it once its writes have begun (the first MiB of the 64 MiB $LogFile has landed), so the progress clock
    // is running and most writes are still to come.
    const written = (): number => (statSync(image, { throwIfNoEntry: false })?.blocks ?? 0) * 512;
    for (let i = 0; i < 5000 && written() < 1 << 20; i++) await sleep(1);
    process.kill(pid, 'SIGSTOP');
    await sleep(1500);
    process.kill(pid, 'SIGCONT');
  });
  assert.is(status, 0, screen);
  const line = /\r\x1b\[Kwriting: [\d.]+ (?:B|[KMGT]iB) sent, [\d.]+ (?:B|[KMGT]iB)\/s, at [\d.]+% of the disk, ETA \d+ s/.exec(screen);
  assert.ok(line, `a progress line was drawn:\n${JSON.stringify(screen)}`);
  const cleared = screen.lastIndexOf('\r\x1b[K');
  assert.ok(cleared > line!.index, 'the line is cleared after the last update');
  assert.not.match(screen.slice(cleared + 4), /writing:/, 'nothing of it is left after the clear');
  assert.match(screen, /wrote [\d.]+ (?:B|[KMGT]iB) in \d+ writes/, 'the summary follows');
  assert.is((await mustCli(['verify', image])).status, 0);
});

test('a fast run on a terminal draws no progress line', async () => {
  const image = join(dir.path, 'fast.img');
  const { status, screen } = await inTerminal(image, ['create', image, '--size', '1G', '--fs', 'none', '--seed', 'p']);
  assert.is(status, 0, screen);
  assert.not.match(screen, /writing:/);
});

test.run();
