#!/usr/bin/env node
// `npm run bench`: guestdisk against the classic pipeline (parted + losetup + mkntfs/mkfs.exfat/mkfs.fat),
// side by side and interleaved in one run. Reports wall time, bytes written, bytes allocated, write calls and
// peak RSS; judges nothing except that every produced image must pass `sgdisk -v` and its filesystem checker.
// Method and options: docs/bench.md.
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkImage } from './lib/check.mjs';
import { countWriteCalls, measure, run } from './lib/proc.mjs';
import { renderReport } from './lib/report.mjs';
import { describeSystem } from './lib/system.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/guestdisk.cjs'); // the bin package.json names
// guestdisk is run as users run it: the bin itself, whose `#!/usr/bin/env node` finds the `node` on PATH. That
// `node` is the one running this bench, as for `node -e 0`.
process.env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const CLASSIC_SH = fileURLToPath(new URL('./lib/classic.sh', import.meta.url));
const NONZERO_PY = fileURLToPath(new URL('./lib/nonzero.py', import.meta.url));
const LABEL = 'BENCH';
const SIZE_UNITS = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
const LARGE_BYTES = 8 * 2 ** 40; // sizes from here on use --n-large samples
const XFS_BACKING_BYTES = 64 * 2 ** 30; // holds a 16 TiB sparse image plus the few GiB the classic tools write
const ALL_FS = ['ntfs', 'exfat', 'fat32'];
const DEVICE_SIZES = ['1G', '100G'];

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N },
    'n-large': { type: 'string', default: process.env.BENCH_N_LARGE },
    sizes: { type: 'string', default: process.env.BENCH_SIZES },
    fs: { type: 'string', default: process.env.BENCH_FS ?? ALL_FS.join(',') },
    dir: { type: 'string', default: process.env.BENCH_DIR },
    timeout: { type: 'string', default: process.env.BENCH_TIMEOUT ?? '600' },
    out: { type: 'string', default: process.env.BENCH_OUT },
    quick: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: Boolean(process.env.BENCH_NO_BUILD) },
    'no-device': { type: 'boolean', default: false },
    'no-xfs': { type: 'boolean', default: Boolean(process.env.BENCH_NO_XFS) },
  },
});
const DEFAULT_N = 5;
const DEFAULT_SIZES = '1G,100G,1T,8T,16T';
opt.n ??= opt.quick ? '1' : String(DEFAULT_N);
opt.sizes ??= opt.quick ? '1G,1T' : DEFAULT_SIZES;
const N = Number(opt.n);
const N_LARGE = Number(opt['n-large'] ?? opt.n);
const TIMEOUT_MS = Number(opt.timeout) * 1000;
const FS_LIST = opt.fs.split(',').filter(Boolean);
const SIZES = opt.sizes.split(',').filter(Boolean);
const OUT = opt.out ?? (opt.quick ? join(tmpdir(), 'guestdisk-bench-RESULTS.md') : join(ROOT, 'bench/RESULTS.md'));
const WORK = opt.dir ?? join(tmpdir(), `guestdisk-bench-${process.pid}`);

function parseSize(text) {
  const m = /^(\d+)([KMGT]?)$/.exec(text);
  if (!m) throw new Error(`bench: bad size ${text} (use e.g. 1G, 100G, 1T)`);
  return Number(m[1]) * (m[2] ? SIZE_UNITS[m[2]] : 1);
}
for (const f of FS_LIST) if (!ALL_FS.includes(f)) throw new Error(`bench: unknown filesystem ${f}`);
if (!(N >= 1 && N_LARGE >= 1)) throw new Error('bench: n must be at least 1');

const loops = new Set(); // loop devices this run attached and has not yet detached
let xfs; // { backing, loop, mount } while the XFS scratch filesystem is mounted
const log = (text) => process.stderr.write(`${text}\n`);

async function cleanup() {
  for (const dev of loops) await run(['losetup', '-d', dev], { timeoutMs: 60_000 });
  loops.clear();
  if (xfs) {
    await run(['umount', xfs.mount], { timeoutMs: 120_000 });
    await run(['losetup', '-d', xfs.loop], { timeoutMs: 60_000 });
    xfs = undefined;
  }
  rmSync(WORK, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`bench: ${sig}, cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

async function mustRun(argv, what) {
  const r = await run(argv, { timeoutMs: TIMEOUT_MS, cwd: ROOT });
  if (r.rc !== 0 || r.timedOut) throw new Error(`bench: ${what} failed (${r.timedOut ? 'timed out' : `exit ${r.rc}`}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Whether DIR's filesystem takes a (sparse) file of sizeBytes: ext4 stops at 16 TiB − 4 KiB. */
function fileFits(dir, sizeBytes) {
  const probe = join(dir, 'size-probe');
  const fd = openSync(probe, 'w');
  try {
    ftruncateSync(fd, sizeBytes);
    return true;
  } catch (e) {
    if (e.code === 'EFBIG' || e.code === 'EINVAL') return false;
    throw e;
  } finally {
    closeSync(fd);
    rmSync(probe, { force: true });
  }
}

/** An XFS filesystem in a sparse file on a loop device, mounted with discard so deleted images free space. */
async function mountXfs() {
  const backing = join(WORK, 'xfs-backing.img');
  const mount = join(WORK, 'xfs');
  const fd = openSync(backing, 'w');
  ftruncateSync(fd, XFS_BACKING_BYTES);
  closeSync(fd);
  await mustRun(['mkfs.xfs', '-q', '-f', backing], 'mkfs.xfs');
  const loop = (await mustRun(['losetup', '-f', '--show', backing], 'losetup for XFS')).trim();
  loops.add(loop);
  mkdirSync(mount, { recursive: true });
  await mustRun(['mount', '-o', 'discard', loop, mount], 'mount XFS');
  loops.delete(loop);
  xfs = { backing, loop, mount };
  return mount;
}

async function detachLoopsOf(file) {
  const r = await run(['losetup', '-j', file, '-O', 'NAME', '-n'], { timeoutMs: 60_000 });
  for (const dev of r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    await run(['partx', '-d', dev], { timeoutMs: 60_000 });
    await run(['losetup', '-d', dev], { timeoutMs: 60_000 });
  }
}

async function nonZero(image) {
  const r = await run(['python3', NONZERO_PY, image], { timeoutMs: TIMEOUT_MS });
  return r.rc === 0 ? JSON.parse(r.stdout) : undefined;
}

function newCell() {
  return { samples: [] };
}

const badImages = [];

/** After a cell's first good sample: non-zero blocks, the checks, and one strace run for the write calls. */
async function firstSampleExtras(cell, { image, fs, label, redo }) {
  cell.nonZero = await nonZero(image);
  cell.check = await checkImage(image, fs, { timeoutMs: TIMEOUT_MS, loops });
  if (!cell.check.ok) badImages.push({ label, ...cell.check });
  log(`  check ${label}: ${cell.check.ok ? 'ok' : 'FAILED'} (${cell.check.sgdisk}; ${cell.check.fsck})`);
  cell.writeCalls = await redo();
}

function rotate(list, k) {
  const i = k % list.length;
  return [...list.slice(i), ...list.slice(0, i)];
}

function progress(label, s) {
  const what = s.ok
    ? `${s.wallMs.toFixed(0)} ms (CPU ${s.cpuMs.toFixed(0)} ms), ${(s.writeBytes / 2 ** 20).toFixed(1)} MiB written, ${(s.rssKb / 1024).toFixed(1)} MiB RSS`
    : `${s.timedOut ? 'TIMED OUT' : `FAILED exit ${s.rc}`}: ${(s.stderr || s.stdout).trim().split('\n').slice(-2).join(' / ')}`;
  log(`${label}: ${what}`);
}

function imageArgv(tool, fs, size, image) {
  if (tool === 'guestdisk') return [CLI, 'create', image, '--size', size, '--fs', fs, '--label', LABEL, '--seed', 'bench', '--timestamp', '1700000000'];
  if (tool === 'classic') return ['bash', CLASSIC_SH, 'image', image, size, fs, LABEL];
  return [process.execPath, '-e', '0'];
}

async function imageSample(cell, { tool, fs, size, dir, label }) {
  const image = join(dir, `${fs}-${size}-${tool}.img`);
  rmSync(image, { force: true });
  const argv = imageArgv(tool, fs, size, image);
  const s = await measure(argv, { workDir: WORK, timeoutMs: TIMEOUT_MS });
  if (tool === 'classic') await detachLoopsOf(image); // only after a killed pipeline is anything left
  if (tool !== 'floor' && s.ok) s.allocatedBytes = statSync(image).blocks * 512;
  cell.samples.push(s);
  progress(label, s);
  if (tool !== 'floor' && s.ok && !cell.check) {
    await firstSampleExtras(cell, {
      image, fs, label,
      redo: async () => {
        rmSync(image, { force: true });
        const calls = await countWriteCalls(argv, { workDir: WORK, timeoutMs: TIMEOUT_MS });
        if (tool === 'classic') await detachLoopsOf(image);
        return calls;
      },
    });
  }
  rmSync(image, { force: true });
}

function makeSparse(file, sizeBytes) {
  rmSync(file, { force: true });
  const fd = openSync(file, 'w');
  ftruncateSync(fd, sizeBytes);
  closeSync(fd);
}

async function attach(file) {
  const dev = (await mustRun(['losetup', '-f', '--show', '-P', file], 'losetup')).trim();
  loops.add(dev);
  return dev;
}

async function detach(dev) {
  await run(['partx', '-d', dev], { timeoutMs: 60_000 });
  await run(['losetup', '-d', dev], { timeoutMs: 60_000 });
  loops.delete(dev);
}

/** The block-device path: both tools on a loop device (attached outside the timed region) over a sparse file. */
async function deviceSample(cell, { tool, fs, size, label }) {
  const backing = join(WORK, `device-${fs}-${size}.img`);
  const argvFor = (dev) =>
    tool.startsWith('guestdisk') ? [CLI, 'create', dev, '--fs', fs, '--label', LABEL, '--seed', 'bench', '--timestamp', '1700000000']
      : tool === 'classic' ? ['bash', CLASSIC_SH, 'device', dev, fs, LABEL]
        : [process.execPath, '-e', '0'];
  makeSparse(backing, parseSize(size));
  const dev = await attach(backing);
  // guestdisk-writes: the same CLI with the ioctl package switched off, so zero ranges go out as 4 MiB zero
  // writes instead of BLKZEROOUT (the sysfs fallback path of hosts without the native addon).
  const env = tool === 'guestdisk-writes' ? { ...process.env, GUESTDISK_NO_IOCTL: '1' } : undefined;
  const s = await measure(argvFor(dev), { workDir: WORK, timeoutMs: TIMEOUT_MS, env });
  await detach(dev);
  if (tool !== 'floor' && s.ok) s.allocatedBytes = statSync(backing).blocks * 512;
  cell.samples.push(s);
  progress(label, s);
  if (tool !== 'floor' && s.ok && !cell.check) {
    await firstSampleExtras(cell, {
      image: backing, fs, label,
      redo: async () => {
        makeSparse(backing, parseSize(size));
        const again = await attach(backing);
        const calls = await countWriteCalls(argvFor(again), { workDir: WORK, timeoutMs: TIMEOUT_MS, env });
        await detach(again);
        return calls;
      },
    });
  }
  rmSync(backing, { force: true });
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench: run as root (loop devices, mkfs on them, an XFS mount for 16 TiB)');
  mkdirSync(WORK, { recursive: true });
  if (!opt['no-build']) {
    log('bench: npm run build');
    await mustRun(['npm', 'run', 'build'], 'npm run build');
  }
  const system = await describeSystem({ root: ROOT, cli: CLI });
  const notes = [];
  if (process.env.NODE_EXTRA_CA_CERTS) {
    // node reads and parses that file at every start (tens of ms and ~2 MB for a system bundle of certificates):
    // a cost of this environment, not of guestdisk, and the same for every node program. Unset for every command
    // timed, so the figures are those of a host without it.
    delete process.env.NODE_EXTRA_CA_CERTS;
    notes.push('NODE_EXTRA_CA_CERTS was set in this environment: node parses every certificate it names at start-up, whatever the program. The bench unset it for every command it ran, guestdisk and `node -e 0` alike, so the figures are those of a host without it.');
  }
  const reduced = [
    opt.sizes !== DEFAULT_SIZES ? `sizes ${SIZES.join(', ')} (the full run: ${DEFAULT_SIZES.replaceAll(',', ', ')})` : null,
    N < DEFAULT_N || N_LARGE < DEFAULT_N ? `n = ${N}${N_LARGE !== N ? ` (${N_LARGE} from 8T)` : ''} samples per cell (the full run: ${DEFAULT_N})` : null,
    opt['no-device'] ? 'no block-device path' : null,
    FS_LIST.length < ALL_FS.length ? `filesystems ${FS_LIST.join(', ')} only` : null,
  ].filter(Boolean);
  if (reduced.length) notes.push(`**A reduced run**: ${reduced.join('; ')}. Medians of few samples on a shared machine: read the ratios, not the last digit.`);
  const dirs = {};
  for (const size of SIZES) {
    if (fileFits(WORK, parseSize(size))) { dirs[size] = WORK; continue; }
    if (opt['no-xfs']) { notes.push(`${size} skipped: the filesystem of ${WORK} refuses a file that big and --no-xfs was given.`); continue; }
    try {
      dirs[size] = xfs?.mount ?? (await mountXfs());
      notes.push(`${size}: the filesystem of the work directory refuses a file that big (ext4 stops at 16 TiB − 4 KiB), so these images were made on an XFS filesystem in a ${XFS_BACKING_BYTES / 2 ** 30} GiB sparse file on a loop device (mounted with discard), for both tools alike.`);
    } catch (e) {
      notes.push(`${size} skipped: no filesystem here takes a file that big, and the XFS scratch filesystem failed: ${e.message.split('\n')[0]}`);
    }
  }
  const sizes = SIZES.filter((s) => dirs[s]);
  const tables = Object.fromEntries(FS_LIST.map((f) => [f, {}]));
  for (const size of sizes) {
    const n = parseSize(size) >= LARGE_BYTES ? N_LARGE : N;
    for (let rep = 0; rep < n; rep++) {
      for (const [fi, fs] of FS_LIST.entries()) {
        for (const tool of rotate(['guestdisk', 'classic', 'floor'], rep + fi)) {
          tables[fs][size] ??= {};
          const cell = (tables[fs][size][tool] ??= newCell());
          await imageSample(cell, { tool, fs, size, dir: dirs[size], label: `${fs} ${size} ${tool} ${rep + 1}/${n}` });
        }
      }
    }
  }
  if (xfs) await cleanup().then(() => mkdirSync(WORK, { recursive: true }));

  const device = Object.fromEntries(FS_LIST.map((f) => [f, {}]));
  if (!opt['no-device']) {
    for (const size of DEVICE_SIZES) {
      for (let rep = 0; rep < N; rep++) {
        for (const [fi, fs] of FS_LIST.entries()) {
          for (const tool of rotate(['guestdisk', 'guestdisk-writes', 'classic', 'floor'], rep + fi)) {
            device[fs][size] ??= {};
            const cell = (device[fs][size][tool] ??= newCell());
            await deviceSample(cell, { tool, fs, size, label: `device ${fs} ${size} ${tool} ${rep + 1}/${N}` });
          }
        }
      }
    }
  }

  const cold = { version: newCell(), floor: newCell() };
  const coldN = Math.max(10, N);
  for (let rep = 0; rep < coldN; rep++) {
    for (const which of rotate(['version', 'floor'], rep)) {
      const argv = which === 'version' ? [CLI, '--version'] : [process.execPath, '-e', '0'];
      const s = await measure(argv, { workDir: WORK, timeoutMs: TIMEOUT_MS });
      cold[which].samples.push(s);
      progress(`cold ${which} ${rep + 1}/${coldN}`, s);
    }
  }

  system.loadEnd = loadavg();
  const report = renderReport({
    system, notes, sizes, tables, device: opt['no-device'] ? undefined : device, deviceSizes: DEVICE_SIZES, cold, badImages,
    settings: { n: N, nLarge: N_LARGE, largeFrom: '8T', timeoutS: TIMEOUT_MS / 1000, quick: opt.quick, fs: FS_LIST },
  });
  writeFileSync(OUT, report);
  // Raw samples beside the report; the output of good samples is left out (it is the same plan text each time).
  const slim = (key, value) => (value && typeof value === 'object' && value.ok === true && 'wallMs' in value ? { ...value, stdout: undefined, stderr: undefined } : value);
  writeFileSync(OUT.replace(/\.md$/, '') + '.json', `${JSON.stringify({ system, notes, sizes, tables, device, cold, badImages }, slim, 1)}\n`);
  process.stdout.write(report);
  log(`bench: wrote ${OUT}`);
  if (badImages.length) {
    log(`bench: ${badImages.length} produced image(s) failed sgdisk -v or the filesystem checker`);
    return 1;
  }
  return 0;
}

main().then(
  async (code) => { await cleanup(); process.exitCode = code; },
  async (e) => { log(e instanceof Error ? e.message : String(e)); await cleanup(); process.exitCode = 2; },
);
