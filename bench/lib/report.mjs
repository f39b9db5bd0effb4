// bench/RESULTS.md: machine, targets, a table per filesystem, the block-device path, cold start, checks, method.
import { bytes, ms, renderFailures, renderTable, summarize } from './render.mjs';

const FS_TITLE = { ntfs: 'NTFS (classic: mkntfs -Q)', exfat: 'exFAT (classic: mkfs.exfat)', fat32: 'FAT32 (classic: mkfs.fat -F 32)' };
const RSS_LIMIT_BYTES = 64 * 2 ** 20; // peak RSS of create at any disk size
const RSS_FLAT_BYTES = 2 * 2 ** 20; // "flat": what samples of one size already differ by

function speedup(cells) {
  if (!cells?.guestdisk || !cells?.classic) return undefined;
  const g = summarize(cells.guestdisk);
  const c = summarize(cells.classic);
  return g.n && c.n
    ? { ratio: c.wallMedianMs / g.wallMedianMs, g: g.wallMedianMs, c: c.wallMedianMs, cpuRatio: c.cpuMedianMs / g.cpuMedianMs, cg: g.cpuMedianMs, cc: c.cpuMedianMs }
    : undefined;
}

function verdict(ok) {
  return ok === undefined ? 'not measured' : ok ? 'met' : '**missed**';
}

/** Where guestdisk was ahead of the classic pipeline in the committed runs before the bin became an ordinary node
 *  script: it must stay ahead there (ratio > 1). */
const AHEAD_FROM = { ntfs: '100G', exfat: '1T', fat32: '1G' };

function targetRows(tables, sizes) {
  const rows = ['| target | measured | |', '|---|---|---|'];
  const speedRow = (fs, size, min, what) => {
    const s = speedup(tables[fs]?.[size]);
    const cpu = s ? `; CPU time ${s.cpuRatio.toFixed(2)}× (${ms(s.cc)} vs ${ms(s.cg)})` : '';
    rows.push(`| ${what} | ${s ? `wall ${s.ratio.toFixed(2)}× (classic ${ms(s.c)}, guestdisk ${ms(s.g)})${cpu}` : '–'} | ${verdict(s && s.ratio >= min)} |`);
  };
  const sizeBytes = (size) => Number.parseInt(size, 10) * { G: 2 ** 30, T: 2 ** 40 }[size.at(-1)];
  for (const fs of Object.keys(tables)) {
    const name = { ntfs: 'NTFS', exfat: 'exFAT', fat32: 'FAT32' }[fs];
    for (const size of sizes) {
      if (sizeBytes(size) < sizeBytes(AHEAD_FROM[fs]) || (fs === 'fat32' && sizeBytes(size) > 2 * 2 ** 40)) continue;
      speedRow(fs, size, 1, `${name} ${size}: faster than classic (as before)`);
    }
  }
  if (tables.ntfs) {
    if (sizes.includes('1T')) speedRow('ntfs', '1T', 2, 'NTFS ≥ 2× faster than classic at 1 TiB');
    for (const size of ['8T', '16T']) if (sizes.includes(size)) speedRow('ntfs', size, 10, `NTFS ≥ 10× faster than classic at ${size.replace('T', ' TiB')}`);
    for (const size of sizes) {
      const cells = tables.ntfs[size];
      if (!cells?.guestdisk) continue;
      const g = summarize(cells.guestdisk);
      const r = g.nonZeroBytes ? g.writeBytes / g.nonZeroBytes : undefined;
      rows.push(`| NTFS ${size}: bytes written ≤ 1.05 × non-zero bytes | ${r === undefined ? '–' : `${r.toFixed(3)} (${bytes(g.writeBytes)} written, ${bytes(g.nonZeroBytes)} non-zero)`} | ${verdict(r === undefined ? undefined : r <= 1.05)} |`);
    }
  }
  if (tables.fat32 && sizes.includes('1T')) speedRow('fat32', '1T', 10, 'FAT32 ≥ 10× faster than mkfs.fat at 1 TiB');
  // Peak RSS of create: at most 64 MiB at every size, and flat: the largest disk costs what the smallest does.
  for (const fs of Object.keys(tables)) {
    const name = { ntfs: 'NTFS', exfat: 'exFAT', fat32: 'FAT32' }[fs];
    const measured = sizes.map((size) => [size, tables[fs][size]?.guestdisk, tables[fs][size]?.floor]).filter(([, g]) => g && summarize(g).n);
    if (!measured.length) continue;
    const maxima = measured.map(([size, g, f]) => ({ size, max: summarize(g).rssKbMax * 1024, floor: f ? summarize(f).rssKbMedian * 1024 : NaN }));
    const top = Math.max(...maxima.map((m) => m.max));
    const spread = top - Math.min(...maxima.map((m) => m.max));
    const detail = maxima.map((m) => `${m.size} ${bytes(m.max)}${Number.isFinite(m.floor) ? ` (+${bytes(m.max - m.floor)} over \`node -e 0\`)` : ''}`).join(', ');
    rows.push(`| ${name}: peak RSS of create ≤ 64 MiB at every size | ${detail} | ${verdict(top <= RSS_LIMIT_BYTES)} |`);
    rows.push(`| ${name}: peak RSS flat across sizes (spread ≤ ${bytes(RSS_FLAT_BYTES)}) | ${bytes(spread)} between ${maxima[0].size} and ${maxima.at(-1).size} | ${verdict(spread <= RSS_FLAT_BYTES)} |`);
  }
  return rows.join('\n');
}

function coldTable(cold) {
  const rows = ['| command | n | wall median (min–max) | CPU user+sys | peak RSS median (max) |', '|---|--:|--:|--:|--:|'];
  for (const [name, cell] of [['`guestdisk --version`', cold.version], ['`node -e 0`', cold.floor]]) {
    const s = summarize(cell);
    rows.push(`| ${name} | ${s.n} | ${ms(s.wallMedianMs)} (${ms(s.wallMinMs)}–${ms(s.wallMaxMs)}) | ${ms(s.cpuMedianMs)} | ${(s.rssKbMedian / 1024).toFixed(1)} MiB (${(s.rssKbMax / 1024).toFixed(1)} MiB) |`);
  }
  return rows.join('\n');
}

function checkLines(groups) {
  const lines = [];
  for (const [group, tables] of Object.entries(groups)) {
    for (const [fs, sizes] of Object.entries(tables ?? {})) {
      for (const [size, tools] of Object.entries(sizes)) {
        for (const tool of ['guestdisk', 'classic']) {
          const c = tools[tool]?.check;
          if (c) lines.push(`| ${group} | ${fs} | ${size} | ${tool} | ${c.ok ? 'pass' : '**FAIL**'} | ${c.sgdisk} | ${c.fsck.replaceAll('\n', ' ').replaceAll('|', '/').slice(0, 200)} |`);
        }
      }
    }
  }
  return ['| path | fs | size | tool | result | sgdisk -v | checker |', '|---|---|---|---|---|---|---|', ...lines].join('\n');
}

/** Warnings the classic tools print that change what their row means (a filesystem smaller than its partition). */
function classicWarnings(tables) {
  const notes = [];
  for (const [fs, sizes] of Object.entries(tables)) {
    for (const [size, tools] of Object.entries(sizes)) {
      const warned = (tools.classic?.samples ?? []).find((s) => /space at end will be left unused/.test(`${s.stdout ?? ''}${s.stderr ?? ''}`));
      if (warned) notes.push(`${fs} ${size} classic: mkfs.fat printed "target too large, space at end will be left unused": it caps FAT32 at 2^32 − 1 sectors of 512 bytes (2 TiB) and leaves the rest of the partition unused, where guestdisk refuses the size; the two rows are not the same work.`);
    }
  }
  return notes;
}

export function renderReport({ system, notes: givenNotes, sizes, tables, device, deviceSizes, cold, badImages, settings }) {
  const notes = [...givenNotes, ...classicWarnings(tables)];
  const load = (l) => l.map((x) => x.toFixed(2)).join(' / ');
  const loaded = Math.max(system.loadStart[0], system.loadEnd[0]) > system.cpuCount * 0.5;
  const out = [];
  out.push('# guestdisk bench results', '');
  out.push(`Made by \`npm run bench\` (bench/run.mjs; method in [docs/bench.md](../docs/bench.md)) on ${system.date}, at commit ${system.commit}.${settings.quick ? ' **Quick run** (n = 1): for a smoke test only.' : ''}`, '');
  out.push('## Machine', '');
  out.push(`- ${system.cpuCount} CPUs (${system.cpuModel}), ${(system.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, Linux ${system.kernel}`);
  out.push(`- load average (1/5/15 min) at start ${load(system.loadStart)}, at end ${load(system.loadEnd)}${loaded ? ': **a loaded machine** (other jobs were running), so wall times are noisy and slower than on an idle one; compare the two tools within a row, measured interleaved under the same load' : ''}`);
  out.push(`- tools: ${Object.entries(system.tools).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  out.push(`- samples: n = ${settings.n} per cell${settings.nLarge !== settings.n ? `, n = ${settings.nLarge} from ${settings.largeFrom} up (to keep the run short)` : ''}; each command's time limit ${settings.timeoutS} s`, '');
  if (notes.length || badImages.length) {
    out.push('## Deviations and notes', '');
    for (const n of notes) out.push(`- ${n}`);
    for (const b of badImages) out.push(`- **image failed its checks**: ${b.label}: ${b.sgdisk}; ${b.fsck}`);
    out.push('');
  }
  out.push('## Targets (the bench reports them, it does not enforce them)', '');
  out.push(targetRows(tables, sizes), '');
  for (const fs of settings.fs) {
    out.push(`## ${FS_TITLE[fs]}, GPT, sparse image file`, '');
    out.push(renderTable(sizes, tables[fs]), '');
  }
  if (device) {
    out.push('## Block-device path (loop device over a sparse file, attached outside the timed region)', '');
    for (const fs of settings.fs) {
      out.push(`### ${FS_TITLE[fs]}`, '');
      out.push(renderTable(deviceSizes, device[fs]), '');
    }
  }
  out.push('## Cold start', '');
  out.push(coldTable(cold), '');
  out.push('## Checks of the produced images (first good sample of each cell)', '');
  out.push(checkLines({ image: tables, device }), '');
  const failures = renderFailures({ ...Object.fromEntries(Object.entries(tables).map(([k, v]) => [`image ${k}`, v])), ...Object.fromEntries(Object.entries(device ?? {}).map(([k, v]) => [`device ${k}`, v])) });
  if (failures.length) out.push('## Failed or timed-out samples (first of each cell)', '', ...failures, '');
  out.push('## How to read the columns', '');
  out.push('- **wall**: from fork to reap of the command (bash `$EPOCHREALTIME` around it), median of the good samples (min–max).');
  out.push('- **classic ÷ guestdisk**: median wall time of the classic pipeline divided by guestdisk\'s; above 1 means guestdisk is faster.');
  out.push('- **CPU user+sys**: `/usr/bin/time` `%U + %S` of the command and all it waited for (10 ms resolution), median; less sensitive to other jobs on the machine than wall time, but blind to time spent waiting for I/O.');
  out.push('- **classic** is one bash script: `truncate -s`, `parted -s IMG mklabel gpt mkpart primary ntfs 0% 100% set 1 msftdata on`, `losetup -f --show -P`, `partx -a` (this kernel has no GPT parser; skipped when the node exists), the mkfs, `partx -d`, `losetup -d`. On the block-device path, parted and the mkfs only.');
  out.push('- **written**: `write_bytes` from `/proc/<pid>/io` of a shell that ran and reaped the command, which the kernel credits with the counters of every reaped descendant (pages dirtied, whether or not later written back; the loop driver\'s own writes to the backing file are not counted for either tool).');
  out.push('- **non-zero 4 KiB blocks**: of the whole produced image, found by a SEEK_DATA/SEEK_HOLE walk that reads only data extents; **written ÷ non-zero** above 1 means zeros were written.');
  out.push('- **allocated**: `st_blocks × 512` of the image right after the run (what `du -B1` shows).');
  out.push('- **write calls**: `strace -f -c` over write, pwrite64, writev, pwritev, pwritev2, in one extra untimed run; counts all processes of the pipeline, stdout included.');
  out.push('- **peak RSS**: `/usr/bin/time` `%M`, median of the samples and (max); for the pipeline, the largest process in it.');
  out.push('');
  return out.join('\n');
}
