// Summaries and the Markdown report. Pure: samples in, text out.

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Summary of one cell (a tool at a size): medians over the successful samples, failures counted. */
export function summarize(cell) {
  const ok = cell.samples.filter((s) => s.ok);
  const wall = ok.map((s) => s.wallMs);
  return {
    n: ok.length,
    failed: cell.samples.length - ok.length,
    timedOut: cell.samples.filter((s) => s.timedOut).length,
    firstFailure: cell.samples.find((s) => !s.ok),
    wallMedianMs: median(wall),
    wallMinMs: Math.min(...wall),
    wallMaxMs: Math.max(...wall),
    writeBytes: median(ok.map((s) => s.writeBytes)),
    allocatedBytes: median(ok.map((s) => s.allocatedBytes).filter((b) => b !== undefined)),
    cpuMedianMs: median(ok.map((s) => s.cpuMs)),
    rssKbMedian: median(ok.map((s) => s.rssKb)),
    rssKbMax: Math.max(...ok.map((s) => s.rssKb)),
    nonZeroBytes: cell.nonZero?.nonZeroBytes,
    writeCalls: cell.writeCalls?.ok ? cell.writeCalls.total : undefined,
    check: cell.check,
  };
}

export function bytes(n) {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (n === 0) return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function ms(n) {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`;
}

const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MiB` : '–');
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(x >= 10 ? 0 : 2)}×` : '–');

const TOOL_NAME = { guestdisk: 'guestdisk', 'guestdisk-writes': 'guestdisk, zero writes (no ioctl: no BLKZEROOUT)', classic: 'classic', floor: '`node -e 0`' };

function wallCell(s) {
  if (s.n === 0) return s.timedOut ? `timed out (${s.timedOut})` : `failed (${s.failed})`;
  const spread = s.n > 1 ? ` (${ms(s.wallMinMs)}–${ms(s.wallMaxMs)})` : '';
  const fails = s.failed ? `, ${s.failed} failed${s.timedOut ? ` (${s.timedOut} timed out)` : ''}` : '';
  return `${ms(s.wallMedianMs)}${spread}${fails}`;
}

/** One table: a row per size and tool. `cells[size][tool]` holds the samples. */
export function renderTable(sizes, cells) {
  const head = '| size | tool | n | wall median (min–max) | classic ÷ guestdisk | CPU user+sys | CPU classic ÷ guestdisk | written (write_bytes) | written ÷ non-zero | allocated | non-zero 4 KiB blocks | write calls | peak RSS (max) |';
  const rows = [head, '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|'];
  for (const size of sizes) {
    const bySize = cells[size];
    if (!bySize) continue;
    const g = bySize.guestdisk && summarize(bySize.guestdisk);
    const c = bySize.classic && summarize(bySize.classic);
    for (const tool of ['guestdisk', 'guestdisk-writes', 'classic', 'floor']) {
      if (!bySize[tool]) continue;
      const s = summarize(bySize[tool]);
      const ours = tool.startsWith('guestdisk') ? s : null;
      const r = ours?.n && c?.n ? ratio(c.wallMedianMs / ours.wallMedianMs) : '';
      const rc = ours?.n && c?.n ? ratio(c.cpuMedianMs / ours.cpuMedianMs) : '';
      const wr = tool !== 'floor' && s.nonZeroBytes ? ratio(s.writeBytes / s.nonZeroBytes) : '';
      rows.push(`| ${tool === 'guestdisk' ? size : ''} | ${TOOL_NAME[tool]} | ${s.n} | ${wallCell(s)} | ${r} | ${s.n ? ms(s.cpuMedianMs) : '–'} | ${rc} | ${s.n ? bytes(s.writeBytes) : '–'} | ${wr} | ${tool === 'floor' ? '' : bytes(s.allocatedBytes)} | ${tool === 'floor' ? '' : bytes(s.nonZeroBytes)} | ${s.writeCalls ?? ''} | ${s.n ? `${mb(s.rssKbMedian)} (${mb(s.rssKbMax)})` : '–'} |`);
    }
  }
  return rows.join('\n');
}

export function renderFailures(cellsByTable) {
  const lines = [];
  for (const [table, sizes] of Object.entries(cellsByTable)) {
    for (const [size, tools] of Object.entries(sizes)) {
      for (const [tool, cell] of Object.entries(tools)) {
        const f = summarize(cell).firstFailure;
        if (!f) continue;
        const why = f.timedOut ? 'timed out' : `exit ${f.rc}`;
        const text = `${f.stderr || f.stdout}`.trim().split('\n').slice(-3).join(' / ');
        lines.push(`- ${table} ${size} ${tool}: ${why}${text ? `: \`${text.replaceAll('`', "'").slice(0, 300)}\`` : ''}`);
      }
    }
  }
  return lines;
}
