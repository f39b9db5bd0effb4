#!/usr/bin/env node
// `npm run bench:read`: guestdisk's read path (`get`, `cat`, `ls -l`) against reading the same bytes through the
// tools people mount with (ntfs-3g, exfat-fuse) or copy with (mtools' mcopy), side by side and interleaved in one
// run. Reports wall time, throughput and peak RSS; judges only that every copy has the source file's sha256.
// Method and options: docs/bench.md ("Reading").
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, run } from './lib/proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let CLI = join(ROOT, 'dist/cli/guestdisk.cjs');
process.env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const IMAGES_SH = fileURLToPath(new URL('./lib/read-images.sh', import.meta.url));
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const SECTION = '## Reading: get, cat and ls against a mount';

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N ?? '3' },
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '100000' },
    dir: { type: 'string', default: process.env.BENCH_DIR },
    fs: { type: 'string', default: 'ntfs,exfat,fat32' },
    'keep-images': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    cli: { type: 'string' }, // a built checkout to run instead of this one (a copy of dist/, so a build meanwhile cannot disturb it)
    before: { type: 'string' }, // a built checkout of another commit: its get and cat run beside this one's
  },
});
const N = Number(opt.n);
const SIZE_BYTES = Number(opt['size-mib']) * 2 ** 20;
const WORK = opt.dir ?? join(tmpdir(), 'guestdisk-bench-read');
const MNT = join(WORK, 'mnt');
const OUT = join(WORK, 'out.bin');
const TIMEOUT_MS = 600_000;
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // as in run.mjs: node would parse that bundle at every start
const log = (t) => process.stderr.write(`${t}\n`);

async function must(argv, what) {
  const r = await run(argv, { timeoutMs: TIMEOUT_MS, cwd: ROOT });
  if (r.rc !== 0 || r.timedOut) throw new Error(`bench: ${what} failed (exit ${r.rc}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

let loop = null; // the loop device exfat-fuse is mounted from
async function mount(fs) {
  mkdirSync(MNT, { recursive: true });
  const image = join(WORK, `${fs}.img`);
  if (fs === 'ntfs') return must(['ntfs-3g', '-o', 'ro', image, MNT], 'ntfs-3g');
  // exfat-fuse run by root asks FUSE for a block device.
  loop = (await must(['losetup', '-r', '-f', '--show', image], 'losetup')).trim();
  return must(['mount.exfat-fuse', '-o', 'ro', loop, MNT], 'exfat-fuse');
}
async function unmount() {
  await run(['umount', MNT], { timeoutMs: 120_000 });
  if (loop) await run(['losetup', '-d', loop], { timeoutMs: 60_000 });
  loop = null;
}

const sh = (script, ...args) => ['sh', '-c', script, ...args]; // $0 is the first argument
/** The commands of one filesystem: name → { argv, mount (a FUSE mount is needed), output (checked by sha256) }. */
function commands(fs) {
  const image = join(WORK, `${fs}.img`);
  const out = {};
  for (const [who, cli] of [['guestdisk', CLI], ...(opt.before ? [['before', join(opt.before, 'dist/cli/guestdisk.cjs')]] : [])]) {
    out[`${who} get`] = { argv: [cli, 'get', `${image}:/big.bin`, OUT, '--force'], output: true };
    out[`${who} cat`] = { argv: sh('exec "$0" cat "$1" >"$2"', cli, `${image}:/big.bin`, OUT), output: true };
  }
  if (fs === 'fat32') out['mtools mcopy'] = { argv: sh('MTOOLS_SKIP_CHECK=1 exec mcopy -n -i "$0" ::/big.bin "$1"', image, OUT), output: true };
  else out[`${fs === 'ntfs' ? 'ntfs-3g' : 'exfat-fuse'} cat`] = { argv: sh('exec cat "$0" >"$1"', join(MNT, 'big.bin'), OUT), mount: true, output: true };
  if (fs === 'ntfs') {
    out['guestdisk ls -l'] = { argv: sh('exec "$0" ls -l "$1" >/dev/null', CLI, `${image}:/many`) };
    out['ntfs-3g ls -la'] = { argv: sh('exec ls -la "$0" >/dev/null', join(MNT, 'many')), mount: true };
  }
  return out;
}

/** Same page-cache state before every sample: the image read once (so all of it is cached) and no dirty pages
 *  left from the previous sample's output; a FUSE mount is made fresh, so its own cache starts empty. */
async function prepare(fs, cmd) {
  rmSync(OUT, { force: true });
  await run(['sync'], { timeoutMs: 120_000 });
  await must(['sh', '-c', 'cat "$0" >/dev/null', join(WORK, `${fs}.img`)], 'reading the image once');
  if (cmd.mount) await mount(fs);
}

async function sha256(file) {
  return (await must(['sha256sum', file], 'sha256sum')).split(' ')[0];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  if (opt.cli) CLI = join(opt.cli, 'dist/cli/guestdisk.cjs');
  else if (!opt['no-build']) await must(['npm', 'run', 'build'], 'npm run build');
  mkdirSync(WORK, { recursive: true });
  const fsList = opt.fs.split(',');
  if (!existsSync(join(WORK, 'big.sha256'))) {
    log(`bench: making the images in ${WORK} (${opt['size-mib']} MiB file, ${opt.files} entries)`);
    await must(['bash', IMAGES_SH, WORK, opt['size-mib'], opt.files], 'read-images.sh');
  }
  const expected = readFileSync(join(WORK, 'big.sha256'), 'utf8').trim();
  const loadStart = loadavg();
  const results = {};
  const bad = [];
  for (const fs of fsList) {
    const cmds = commands(fs);
    const names = Object.keys(cmds);
    results[fs] = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < N; i++) {
      // Interleaved, in an order that rotates from one sample to the next.
      const order = [...names.slice(i % names.length), ...names.slice(0, i % names.length)];
      for (const name of order) {
        const cmd = cmds[name];
        await prepare(fs, cmd);
        let s;
        try {
          s = await measure(cmd.argv, { workDir: WORK, timeoutMs: TIMEOUT_MS, env });
        } finally {
          if (cmd.mount) await unmount();
        }
        if (s.ok && cmd.output && i === 0) {
          const got = await sha256(OUT);
          if (got !== expected) bad.push(`${fs} ${name}: sha256 ${got}, expected ${expected}`);
        }
        results[fs][name].push(s);
        log(`${fs} ${name}: ${s.ok ? `${s.wallMs.toFixed(0)} ms, CPU ${s.cpuMs.toFixed(0)} ms, ${(s.rssKb / 1024).toFixed(1)} MiB RSS` : `FAILED ${s.rc}: ${s.stderr}`}`);
      }
    }
  }
  rmSync(OUT, { force: true });
  const text = render(results, { loadStart, loadEnd: loadavg(), bad });
  process.stdout.write(text);
  if (!opt['no-write']) writeSection(text);
  if (!opt['keep-images']) rmSync(WORK, { recursive: true, force: true });
  if (bad.length) {
    log(`bench: WRONG BYTES:\n${bad.join('\n')}`);
    process.exitCode = 1;
  }
}

function render(results, { loadStart, loadEnd, bad }) {
  const mib = SIZE_BYTES / 2 ** 20;
  const lines = [SECTION, '',
    `Made by \`npm run bench:read\` (bench/read.mjs; method in [docs/bench.md](../docs/bench.md#reading)) on ${new Date().toISOString()}, node ${process.version}, n = ${N} samples per command, interleaved.`,
    `Load average at start ${loadStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' / ')}: a shared, loaded 2-CPU machine (other agents were running), so wall times are noisy; compare rows of one filesystem, measured interleaved under the same load.`,
    ...(opt.before ? [`Rows \`before …\` run the CLI built from ${opt.before} (the code before this change), interleaved with the others.`] : []),
    `File: ${mib} MiB of random bytes, one per volume; the image is read once before each sample (page cache warm, no dirty pages), a FUSE mount is made fresh for each sample; every command writes the file to a file in the same directory (${bad.length ? '**some copies were wrong**' : 'every copy checked by sha256'}). Peak RSS is the timed command's largest process: for a FUSE mount that is \`cat\`, not the ntfs-3g / exfat-fuse daemon.`,
    '', '| volume | command | wall median (min–max) | MiB/s | CPU median | peak RSS (max) |', '|---|---|---|---|---|---|'];
  const summary = [];
  for (const [fs, cells] of Object.entries(results)) {
    for (const [name, samples] of Object.entries(cells)) {
      const good = samples.filter((s) => s.ok);
      if (!good.length) {
        lines.push(`| ${fs} | ${name} | failed | | | |`);
        continue;
      }
      const walls = good.map((s) => s.wallMs);
      const rate = name.includes('ls') ? '' : (mib / (median(walls) / 1000)).toFixed(0);
      lines.push(`| ${fs} | \`${name}\` | ${(median(walls) / 1000).toFixed(2)} s (${(Math.min(...walls) / 1000).toFixed(2)}–${(Math.max(...walls) / 1000).toFixed(2)}) | ${rate} | ${(median(good.map((s) => s.cpuMs)) / 1000).toFixed(2)} s | ${(Math.max(...good.map((s) => s.rssKb)) / 1024).toFixed(1)} MiB |`);
    }
    const ref = Object.keys(cells).find((n) => !n.startsWith('guestdisk') && !n.startsWith('before') && !n.includes('ls'));
    const wall = (n) => median(cells[n].filter((s) => s.ok).map((s) => s.wallMs));
    const pct = (n) => `${((100 * wall(ref)) / wall(n)).toFixed(0)} %`;
    if (ref) summary.push(`- ${fs}: \`get\` runs at ${pct('guestdisk get')} of \`${ref}\`'s throughput (target ≥ 70 %), \`cat\` at ${pct('guestdisk cat')}${opt.before ? ` (before: get ${pct('before get')}, cat ${pct('before cat')})` : ''}.`);
    if (cells['guestdisk ls -l']) summary.push(`- ${fs}: \`ls -l\` of a directory of ${opt.files} entries takes ${(wall('guestdisk ls -l') / wall('ntfs-3g ls -la')).toFixed(2)}× the time of \`ls -la\` on the mount.`);
  }
  return `${[...lines, '', ...summary].join('\n')}\n`;
}

/** Replaces (or appends) this bench's section of bench/RESULTS.md; run.mjs's part stays as it is. */
function writeSection(text) {
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const at = old.indexOf(SECTION);
  const kept = at < 0 ? old : old.slice(0, at);
  const rest = at < 0 ? '' : old.slice(at + SECTION.length).replace(/^[\s\S]*?(?=\n## |$)/, '');
  writeFileSync(RESULTS, `${kept.trimEnd()}\n\n${text}${rest}`);
}

main().catch(async (e) => {
  await unmount();
  log(e.stack ?? String(e));
  process.exit(2);
});
