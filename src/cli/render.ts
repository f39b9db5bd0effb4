// Human-readable output. Only cli/ prints; everything here returns strings.
import { quoted } from '../errors.js';
import type { Layout } from '../plan/layout.js';
import { GPT_TYPE_NAMES, MBR_TYPE_NAMES } from '../partition/gpt-types.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${Number.isInteger(v) ? v : v.toFixed(2)} ${units[u]}`;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

export function renderLayout(layout: Layout, target: string): string {
  const g = layout.geometry;
  const s = g.logicalSectorSize;
  const lines: string[] = [];
  lines.push(`disk       ${target}: ${formatBytes(g.sizeBytes)} (${g.sizeBytes} bytes, ${g.sizeBytes / s} sectors of ${s} bytes)`);
  if (layout.table.kind === 'gpt') {
    const t = layout.table;
    lines.push(`table      GPT, disk GUID ${t.diskGuid}, ${t.entryCount} entries, usable LBA ${t.firstUsableLba}–${t.lastUsableLba}`);
  } else {
    lines.push(`table      MBR, disk signature 0x${layout.table.diskSignature.toString(16).padStart(8, '0')}`);
  }
  const rows: string[][] = [['#', 'start LBA', 'end LBA', 'sectors', 'size', 'type', 'GUID', 'name']];
  for (const p of layout.partitions) {
    const type = p.typeGuid ? `${GPT_TYPE_NAMES[p.typeGuid] ?? p.typeGuid} (${p.typeGuid})` : `0x${(p.mbrType ?? 0).toString(16).padStart(2, '0')} ${MBR_TYPE_NAMES[p.mbrType ?? 0] ?? ''}`;
    rows.push([String(p.number), String(p.startLba), String(p.startLba + p.sizeLba - 1), String(p.sizeLba), formatBytes(p.sizeLba * s), type, p.guid ?? '-', p.name ?? '-']);
  }
  lines.push('', table(rows), '');
  const fs = layout.filesystem;
  if (fs) {
    const f = fs as unknown as Record<string, unknown>;
    const extras = ['label', 'clusterSize', 'serial', 'volumeSerialNumber', 'volumeId'].filter((k) => f[k] !== undefined).map((k) => `${k} ${typeof f[k] === 'string' ? quoted(f[k] as string) : JSON.stringify(f[k])}`);
    lines.push(`filesystem ${fs.kind}, ${formatBytes(fs.volumeSizeBytes)}${extras.length ? ', ' + extras.join(', ') : ''}`);
  } else {
    lines.push('filesystem none (partition left empty)');
  }
  lines.push(`seed       ${JSON.stringify(layout.seed)}, timestamp ${layout.timestamp} (${new Date(layout.timestamp * 1000).toISOString()})`);
  for (const note of layout.notes) lines.push(`note       ${note}`);
  return lines.join('\n');
}
