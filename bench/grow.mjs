#!/usr/bin/env node
// `npm run bench:grow`: `guestdisk grow` of a 64 GiB sparse image to 1 TiB and to 16 TiB (the largest file ext4
// holds: 16 TiB − 1 MiB) for each filesystem, beside the cost of just writing the grown volume's new allocation
// bitmap (dd of that many bytes, fsynced). Reports wall time, bytes the process wrote to storage (/proc io),
// bytes guestdisk says it wrote and left as zero ranges, and peak RSS; memory must not grow with the target size.
// Judges nothing but that every grow succeeds. Writes its section of bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, run } from './lib/proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/guestdisk.cjs');
process.env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const SECTION = '## Grow: 64 GiB → 16 TiB, sparse image file';
const GIB = 2 ** 30;
const TIB = 2 ** 40;
const MIB = 2 ** 20;
const OLD_BYTES = 64 * GIB;
/** ext4 ends a file at 16 TiB − 4 KiB: the 16 TiB target stops 1 MiB short, as the tests do. */
const TIB16 = 16 * TIB - MIB;

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N ?? '3' },
    dir: { type: 'string', default: process.env.BENCH_DIR },
    fs: { type: 'string', default: 'ntfs,exfat,fat32' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const N = Number(opt.n);
const WORK = opt.dir ?? join(tmpdir(), `guestdisk-bench-grow-${process.pid}`);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // node parses every certificate it names at start-up (docs/bench.md)

/**
 * What each filesystem is grown to. exFAT and FAT32 are made with --max-size (their FAT cannot grow once files sit
 * after it). FAT32 stops at 2 TiB: with 512-byte sectors BPB_TotSec32 holds 2 TiB, and with 4096-byte sectors its
 * largest FAT (2^28 clusters of 32 KiB) addresses 8 TiB, which a 64 GiB volume cannot hold next to its data.
 */
const PLANS = {
  ntfs: { create: [], sectorSize: 512, targets: [TIB, TIB16] },
  exfat: { create: ['--max-size', String(TIB16)], sectorSize: 512, targets: [TIB, TIB16] },
  fat32: { create: ['--max-size', String(2 * TIB)], sectorSize: 512, targets: [TIB, 2 * TIB] },
};

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : NaN;
}

function fmtBytes(n) {
  if (!Number.isFinite(n)) return '—';
  if (n >= GIB) return `${(n / GIB).toFixed(2)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function fmtMs(ms) {
  return Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`) : '—';
}

async function mustRun(argv, what) {
  const r = await run(argv, { timeoutMs: 600_000, env });
  if (r.rc !== 0) throw new Error(`${what} failed (${r.rc}): ${r.stderr.slice(-800)}`);
  return r.stdout;
}

/** The new allocation bitmap's size in bytes, from the grow plan. FAT32 has none (its FAT is already sized). */
function bitmapBytesOf(plan) {
  const fs = plan.filesystem;
  if (fs.kind === 'ntfs') return fs.after.bitmapBytes;
  if (fs.kind === 'exfat') return fs.newBitmap.dataLength;
  return 0;
}

async function sampleGrow(fs, target) {
  const image = join(WORK, `${fs}.img`);
  rmSync(image, { force: true });
  await mustRun(['node', CLI, 'create', image, '--size', String(OLD_BYTES), '--fs', fs, '--sector-size', String(PLANS[fs].sectorSize), '--seed', 'bench-grow', '--timestamp', '1700000000', ...PLANS[fs].create, '--json'], `create ${fs}`);
  // The plan from a dry run (the measured run's output is kept only in part); the measured run's own result object
  // (writes, bytes, zero ranges) is at the end of its output.
  const plan = JSON.parse(await mustRun(['node', CLI, 'grow', image, '--size', String(target), '--dry-run', '--json'], `grow --dry-run ${fs}`)).plan;
  const m = await measure(['node', CLI, 'grow', image, '--size', String(target), '--json'], { workDir: WORK, timeoutMs: 600_000, env });
  if (!m.ok) throw new Error(`grow ${fs} to ${target} failed: ${m.stderr}`);
  const result = JSON.parse(/"result": (\{[^{}]*\})/.exec(m.stdout)[1]);
  rmSync(image, { force: true });
  return { ...m, plan, result };
}

/** dd of `bytes` zeros into a fresh file, fsynced: what writing the new bitmap on a device costs at least. */
async function sampleDd(bytes) {
  const file = join(WORK, 'bitmap.bin');
  rmSync(file, { force: true });
  const count = Math.max(1, Math.ceil(bytes / MIB));
  const m = await measure(['dd', 'if=/dev/zero', `of=${file}`, 'bs=1M', `count=${count}`, 'conv=fsync', 'status=none'], { workDir: WORK, timeoutMs: 600_000, env });
  rmSync(file, { force: true });
  return m;
}

async function main() {
  if (process.getuid?.() !== 0) console.error('bench:grow: not root; fine for image files');
  mkdirSync(WORK, { recursive: true });
  if (!opt['no-build']) await mustRun(['npm', 'run', 'build', '--silent'], 'npm run build');
  const rows = [];
  const started = new Date().toISOString();
  const loadStart = loadavg();
  for (const fs of opt.fs.split(',').filter(Boolean)) {
    for (const target of PLANS[fs].targets) {
      const grows = [];
      const dds = [];
      for (let i = 0; i < N; i++) {
        grows.push(await sampleGrow(fs, target));
        const bitmap = bitmapBytesOf(grows[grows.length - 1].plan);
        if (bitmap > 0) dds.push(await sampleDd(bitmap));
      }
      const plan = grows[0].plan;
      const row = {
        fs, target,
        clustersBefore: plan.filesystem.before.clusterCount, clustersAfter: plan.filesystem.after.clusterCount,
        bitmapBytes: bitmapBytesOf(plan),
        wallMs: median(grows.map((g) => g.wallMs)), cpuMs: median(grows.map((g) => g.cpuMs)),
        ioWriteBytes: median(grows.map((g) => g.writeBytes)), rssKb: median(grows.map((g) => g.rssKb)),
        writes: grows[0].result.writes, bytesWritten: grows[0].result.bytesWritten, zeroBytes: grows[0].result.zeroBytes,
        ddWallMs: median(dds.map((d) => d.wallMs)), ddWriteBytes: median(dds.map((d) => d.writeBytes)),
      };
      rows.push(row);
      console.error(JSON.stringify(row));
    }
  }
  const loadEnd = loadavg();
  const commit = (await run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'], { env })).stdout.trim();
  const lines = [
    SECTION, '',
    `Made by \`npm run bench:grow\` (bench/grow.mjs) on ${started}, at commit ${commit}; n = ${N} samples per row (medians). A 64 GiB image made by \`guestdisk create\` (512-byte sectors, GPT; exFAT and FAT32 with \`--max-size\` the target) is grown by the bundled CLI to each size; the image is made afresh for every sample. Load average at start ${loadStart.map((l) => l.toFixed(2)).join(' / ')}, at end ${loadEnd.map((l) => l.toFixed(2)).join(' / ')} (a shared machine: read ratios, not the last digit).`,
    '',
    '| filesystem | grown to | clusters | new bitmap | grow: wall | CPU | written to storage (/proc io) | guestdisk writes / bytes / zero ranges | peak RSS | dd of the bitmap: wall | written |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.fs} | ${fmtBytes(r.target)} | ${r.clustersBefore} → ${r.clustersAfter} | ${r.bitmapBytes ? fmtBytes(r.bitmapBytes) : 'none (FAT sized at create)'} | ${fmtMs(r.wallMs)} | ${fmtMs(r.cpuMs)} | ${fmtBytes(r.ioWriteBytes)} | ${r.writes} / ${fmtBytes(r.bytesWritten)} / ${fmtBytes(r.zeroBytes)} | ${(r.rssKb / 1024).toFixed(0)} MiB | ${r.bitmapBytes ? fmtMs(r.ddWallMs) : '—'} | ${r.bitmapBytes ? fmtBytes(r.ddWriteBytes) : '—'} |`),
    '',
    'Reading: on an image file the new bitmap is mostly zero ranges, which `grow` leaves as holes (writeZeros), so it writes far fewer bytes than dd of the whole bitmap; on a block device the zero ranges are written (or BLKZEROOUT) and the cost approaches the dd column. Peak RSS is the same at 1 TiB and at 16 TiB: the bitmap is built a piece at a time. FAT32 stops at 2 TiB (BPB_TotSec32 with 512-byte sectors).',
    '',
  ];
  const text = lines.join('\n');
  if (opt.out) writeFileSync(opt.out, text);
  else writeSection(text);
  console.log(text);
  rmSync(WORK, { recursive: true, force: true });
}

/** Replaces (or appends) this bench's section of bench/RESULTS.md; the other sections stay as they are. */
function writeSection(text) {
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const at = old.indexOf(SECTION);
  const kept = at < 0 ? old : old.slice(0, at);
  const rest = at < 0 ? '' : old.slice(at + SECTION.length).replace(/^[\s\S]*?(?=\n## |$)/, '');
  writeFileSync(RESULTS, `${kept.trimEnd()}\n\n${text}${rest}`);
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  process.exit(2);
});
