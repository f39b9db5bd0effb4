#!/usr/bin/env node
// `npm run bench:verify`: guestdisk's whole-volume `verify` against each filesystem's own checker on the same
// volume (ntfsck -n, fsck.exfat -n, fsck.fat -n), side by side and interleaved in one run. Volumes hold --files
// files (default 100,000) written by the tools users have (bench/lib/verify-images.sh) and are cached under the
// bench cache directory, keyed by their recipe, so a rerun starts at once. Reports wall-time medians, their ratio
// and peak RSS; judges only that every checker calls the volume clean.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, run } from './lib/proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let CLI = join(ROOT, 'dist/cli/guestdisk.cjs');
process.env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const IMAGES_SH = fileURLToPath(new URL('./lib/verify-images.sh', import.meta.url));
const NTFSCK = join(ROOT, '..', 'shared', 'tools', 'ntfsck', 'ntfsck');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const SECTION = '## Verify: the whole-volume walk against each filesystem\'s checker';

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N ?? '3' },
    files: { type: 'string', default: '100000' }, // --files 10000 for a quick run
    fs: { type: 'string', default: 'ntfs,exfat,fat32' },
    cache: { type: 'string', default: process.env.BENCH_CACHE ?? join(tmpdir(), 'guestdisk-bench-cache', 'verify') },
    ntfsck: { type: 'string', default: process.env.NTFSCK ?? NTFSCK },
    'no-build': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    cli: { type: 'string' }, // a built checkout to run instead of this one
    before: { type: 'string' }, // a built checkout of another commit: its verify runs beside this one's
  },
});
const N = Number(opt.n);
const FILES = Number(opt.files);
const TIMEOUT_MS = 900_000;
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // as in run.mjs: node would parse that bundle at every start
const log = (t) => process.stderr.write(`${t}\n`);

async function must(argv, what) {
  const r = await run(argv, { timeoutMs: TIMEOUT_MS, cwd: ROOT });
  if (r.rc !== 0 || r.timedOut) throw new Error(`bench: ${what} failed (exit ${r.rc}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** The cache key: the recipe script's bytes and the file count, so a changed recipe makes new images. */
function recipeDir() {
  const recipe = createHash('sha256').update(readFileSync(IMAGES_SH)).update(`files=${FILES}`).digest('hex').slice(0, 16);
  return join(opt.cache, `${FILES}-${recipe}`);
}

async function ensureImage(dir, fs) {
  const image = join(dir, `${fs}.img`);
  if (existsSync(`${image}.done`)) return image;
  log(`bench: making ${image} (${FILES} files; cached for later runs)`);
  await must(['bash', IMAGES_SH, dir, fs, String(FILES)], `verify-images.sh ${fs}`);
  writeFileSync(`${image}.done`, '');
  return image;
}

let loop = null; // the loop device ntfsck checks (it checks a device, not an image file)
async function attach(image) {
  loop = (await must(['losetup', '-r', '-f', '--show', image], 'losetup')).trim();
  return loop;
}
async function detach() {
  if (loop) await run(['losetup', '-d', loop], { timeoutMs: 60_000 });
  loop = null;
}

const sh = (script, ...args) => ['sh', '-c', script, ...args];
/**
 * The commands of one filesystem. guestdisk reads a bare volume as a "superfloppy" (an error finding: no partition
 * table), so its verify exits 1 on a clean volume; the JSON report is kept and judged instead of the exit status.
 */
function commands(fs, image) {
  const out = {};
  for (const [who, cli] of [['guestdisk', CLI], ...(opt.before ? [['before', join(opt.before, 'dist/cli/guestdisk.cjs')]] : [])]) {
    out[`${who} verify`] = { argv: sh('"$0" verify --json "$1" >"$2"; test $? -le 1', cli, image, join(dirname(image), `${who}.json`)), report: join(dirname(image), `${who}.json`) };
  }
  if (fs === 'ntfs') out['ntfsck -n'] = { argv: (dev) => [opt.ntfsck, '-n', '-q', dev], device: true };
  if (fs === 'exfat') out['fsck.exfat -n'] = { argv: ['fsck.exfat', '-n', image] };
  if (fs === 'fat32') out['fsck.fat -n'] = { argv: ['fsck.fat', '-n', image] };
  return out;
}

/** A clean volume: no error finding but the superfloppy one. */
function judgeReport(file) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const errors = report.findings.filter((f) => f.severity === 'error' && f.code !== 'SUPERFLOPPY');
  return errors.map((f) => `${f.code}: ${f.message}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  if (opt.cli) CLI = join(opt.cli, 'dist/cli/guestdisk.cjs');
  else if (!opt['no-build']) await must(['npm', 'run', 'build'], 'npm run build');
  if (!existsSync(opt.ntfsck)) throw new Error(`bench: ntfsck not found at ${opt.ntfsck} (give --ntfsck PATH)`);
  const dir = recipeDir();
  mkdirSync(dir, { recursive: true });
  const fsList = opt.fs.split(',');
  const images = {};
  for (const fs of fsList) images[fs] = await ensureImage(dir, fs);
  const loadStart = loadavg();
  const results = {};
  const bad = [];
  for (const fs of fsList) {
    const cmds = commands(fs, images[fs]);
    const names = Object.keys(cmds);
    results[fs] = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < N; i++) {
      // Interleaved, in an order that rotates from one sample to the next; the image read once before each
      // sample, so every command starts with it in the page cache.
      const order = [...names.slice(i % names.length), ...names.slice(0, i % names.length)];
      for (const name of order) {
        const cmd = cmds[name];
        await must(['sh', '-c', 'cat "$0" >/dev/null', images[fs]], 'reading the image once');
        let s;
        try {
          const argv = cmd.device ? cmd.argv(await attach(images[fs])) : cmd.argv;
          s = await measure(argv, { workDir: dir, timeoutMs: TIMEOUT_MS, env });
        } finally {
          await detach();
        }
        if (s.ok && cmd.report && i === 0) for (const e of judgeReport(cmd.report)) bad.push(`${fs} ${name}: ${e}`);
        if (!s.ok && !cmd.report) bad.push(`${fs} ${name}: exit ${s.rc}: ${s.stdout.slice(-300)}`);
        results[fs][name].push(s);
        log(`${fs} ${name}: ${s.ok ? `${s.wallMs.toFixed(0)} ms, CPU ${s.cpuMs.toFixed(0)} ms, ${(s.rssKb / 1024).toFixed(1)} MiB RSS` : `FAILED ${s.rc}: ${s.stderr}`}`);
      }
    }
  }
  const text = render(results, { loadStart, loadEnd: loadavg(), bad });
  process.stdout.write(text);
  if (!opt['no-write']) writeSection(text);
  if (bad.length) {
    log(`bench: A CHECKER CALLED A VOLUME DAMAGED:\n${bad.join('\n')}`);
    process.exitCode = 1;
  }
}

function render(results, { loadStart, loadEnd, bad }) {
  const lines = [SECTION, '',
    `Made by \`npm run bench:verify\` (bench/verify.mjs) on ${new Date().toISOString()}, node ${process.version}, n = ${N} samples per command, interleaved.`,
    `Load average at start ${loadStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' / ')}: a shared 2-CPU machine (other agents were running), so wall times are noisy; compare rows of one filesystem, measured interleaved under the same load.`,
    `Volumes: ${FILES} files in directories of 1,000 (every tenth file 6 KiB, the rest empty), written by ntfs-3g (mkntfs -Q), exfat-fuse (mkfs.exfat) and mtools (mkfs.fat -F 32); recipe in bench/lib/verify-images.sh. The image is read once before each sample (page cache warm). guestdisk runs \`verify --json\` on the bare volume; ntfsck checks it through a read-only loop device. ${bad.length ? '**Some checker called a volume damaged.**' : 'Every checker called every volume clean.'}`,
    ...(opt.before ? [`Rows \`before …\` run the CLI built from ${opt.before}, interleaved with the others.`] : []),
    '', '| volume | command | wall median (min–max) | CPU median | peak RSS (max) |', '|---|---|---|---|---|'];
  const summary = [];
  for (const [fs, cells] of Object.entries(results)) {
    for (const [name, samples] of Object.entries(cells)) {
      const good = samples.filter((s) => s.ok);
      if (!good.length) {
        lines.push(`| ${fs} | \`${name}\` | failed | | |`);
        continue;
      }
      const walls = good.map((s) => s.wallMs);
      lines.push(`| ${fs} | \`${name}\` | ${(median(walls) / 1000).toFixed(2)} s (${(Math.min(...walls) / 1000).toFixed(2)}–${(Math.max(...walls) / 1000).toFixed(2)}) | ${(median(good.map((s) => s.cpuMs)) / 1000).toFixed(2)} s | ${(Math.max(...good.map((s) => s.rssKb)) / 1024).toFixed(1)} MiB |`);
    }
    const ref = Object.keys(cells).find((n) => !n.startsWith('guestdisk') && !n.startsWith('before'));
    const wall = (n) => median(cells[n].filter((s) => s.ok).map((s) => s.wallMs));
    const ratio = (n) => (wall(n) / wall(ref)).toFixed(2);
    const target = fs === 'ntfs' ? ' (target ≤ 2×)' : '';
    summary.push(`- ${fs}: \`guestdisk verify\` takes ${ratio('guestdisk verify')}× the wall time of \`${ref}\`${target}${opt.before ? `; before: ${ratio('before verify')}×` : ''}.`);
  }
  return `${[...lines, '', ...summary].join('\n')}\n`;
}

/** Replaces (or appends) this bench's section of bench/RESULTS.md; the other sections stay as they are. */
function writeSection(text) {
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const at = old.indexOf(SECTION);
  const kept = at < 0 ? old : old.slice(0, at);
  const rest = at < 0 ? '' : old.slice(at + SECTION.length).replace(/^[\s\S]*?(?=\n## |$)/, '');
  writeFileSync(RESULTS, `${kept.trimEnd()}\n\n${text}${rest}`);
}

main().catch(async (e) => {
  await detach();
  log(e.stack ?? String(e));
  process.exit(2);
});
