// `guestdisk inspect TARGET [--json] [--sector-size N]`: opens read-only, never writes, describes the disk.
// An image file has no sector size of its own: unless --sector-size is given it is read off the contents
// (detectSectorSize) and the file reopened with it.
import { GuestdiskError } from '../errors.js';
import { inspectDisk } from '../inspect/inspect.js';
import type { DiskReport, FilesystemReport, FsDetails, InspectFinding, PartitionReport, SectorSizeSource } from '../inspect/report.js';
import { detectSectorSize } from '../inspect/sector-size.js';
import { parseSectorSize } from '../plan/spec.js';
import type { BlockTarget } from '../target/block-target.js';
import { describeTarget, openTargetForRead } from '../target/open-target.js';
import type { CliIo } from './io.js';
import { formatBytes, table } from './render.js';

export interface InspectOptions { json?: boolean; sectorSize?: string }

export interface OpenedForInspect {
  readonly target: BlockTarget;
  readonly sectorSizeSource: SectorSizeSource;
  /** The file's real size (a partial last sector is dropped by the target). */
  readonly sourceSizeBytes: number;
}

export async function openForInspect(path: string, sectorSizeOption: string | undefined): Promise<OpenedForInspect> {
  const wanted = sectorSizeOption !== undefined ? parseSectorSize(sectorSizeOption) : undefined;
  const info = await describeTarget(path);
  if (info.kind === 'block-device') {
    if (wanted !== undefined && wanted !== info.logicalSectorSize) {
      throw new GuestdiskError('INVALID_SPEC', `--sector-size ${wanted} disagrees with ${path}, whose logical sectors are ${info.logicalSectorSize} bytes`, { sectorSize: wanted });
    }
    return { target: await openTargetForRead(path), sectorSizeSource: 'device', sourceSizeBytes: info.currentSizeBytes };
  }
  if (wanted !== undefined) {
    return { target: await openTargetForRead(path, { logicalSectorSize: wanted }), sectorSizeSource: 'option', sourceSizeBytes: info.currentSizeBytes };
  }
  const probe = await openTargetForRead(path, { logicalSectorSize: 512 });
  let guess;
  try {
    guess = await detectSectorSize(probe);
  } catch (e) {
    await probe.close();
    throw e;
  }
  const source: SectorSizeSource = guess.detected ? 'detected' : 'default';
  if (guess.logicalSectorSize === 512) return { target: probe, sectorSizeSource: source, sourceSizeBytes: info.currentSizeBytes };
  await probe.close();
  return { target: await openTargetForRead(path, { logicalSectorSize: guess.logicalSectorSize }), sectorSizeSource: source, sourceSizeBytes: info.currentSizeBytes };
}

export async function runInspect(target: string, options: InspectOptions, io: CliIo): Promise<number> {
  const opened = await openForInspect(target, options.sectorSize);
  let report: DiskReport;
  try {
    report = await inspectDisk(opened.target, { sectorSizeSource: opened.sectorSizeSource, sourceSizeBytes: opened.sourceSizeBytes });
  } finally {
    await opened.target.close();
  }
  io.stdout(options.json ? JSON.stringify(report, null, 2) : renderDiskReport(report));
  return 0;
}

function describeFs(fs: FilesystemReport | null): string {
  if (!fs || fs.type === null) return 'none';
  const parts: string[] = [fs.type];
  if (fs.label !== null) parts.push(`label ${JSON.stringify(fs.label)}`);
  if (fs.signatures.length > 1) parts.push(`also: ${fs.signatures.slice(1).join(', ')}`);
  return parts.join(', ');
}

function describeType(p: PartitionReport): string {
  const id = p.type.guid ?? `0x${(p.type.mbrType ?? 0).toString(16).padStart(2, '0')}`;
  return p.type.name ? `${p.type.name} (${id})` : id;
}

function describeAttributes(p: PartitionReport): string {
  const a = p.attributes;
  if (!a) return p.active ? 'active' : '-';
  const set = [a.platformRequired && 'required', a.readOnly && 'read-only', a.shadowCopy && 'shadow-copy', a.hidden && 'hidden', a.noDriveLetter && 'no-drive-letter'].filter(Boolean);
  return set.length ? `${a.value} ${set.join(',')}` : a.value;
}

/** A filesystem header as aligned "name  value" lines; sizes also in KiB/MiB/GiB. */
function renderDetails(details: FsDetails): string[] {
  const entries = Object.entries(details).filter(([k]) => k !== 'type');
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => {
    const text = typeof v === 'number' && /Bytes$|Size$/.test(k) && v >= 1024 ? `${v} (${formatBytes(v)})` : typeof v === 'string' ? JSON.stringify(v) : String(v);
    return `  ${k.padEnd(width)}  ${text}`;
  });
}

export function renderFinding(f: InspectFinding): string {
  const where = [f.partition !== undefined ? `partition ${f.partition}` : null, f.lba !== undefined ? `LBA ${f.lba}` : null, f.offsetBytes !== undefined ? `byte ${f.offsetBytes}` : null].filter(Boolean).join(', ');
  const said = f.actual !== undefined && f.message.includes(f.actual); // codec messages often name both already
  const ea = !said && (f.expected !== undefined || f.actual !== undefined) ? ` (expected ${f.expected ?? '?'}, found ${f.actual ?? '?'})` : '';
  return `${f.severity.toUpperCase().padEnd(7)} ${f.code}${where ? ` [${where}]` : ''}: ${f.message}${ea}\n        Windows: ${f.windows}`;
}

export function renderDiskReport(r: DiskReport): string {
  const lines: string[] = [];
  lines.push(`disk       ${r.target}: ${formatBytes(r.sizeBytes)} (${r.sizeBytes} bytes, ${r.sizeLba} sectors of ${r.logicalSectorSize} bytes, physical ${r.physicalSectorSize}; sector size ${r.sectorSizeSource})`);
  const t = r.table;
  if (t.kind === 'gpt') {
    lines.push(`table      GPT (read from the ${t.source}), disk GUID ${t.diskGuid}, ${t.entryCount} entries of ${t.entrySize} bytes, usable LBA ${t.firstUsableLba}–${t.lastUsableLba}`);
    for (const h of [t.primaryHeader, t.backupHeader]) {
      const which = h === t.primaryHeader ? 'primary' : 'backup ';
      lines.push(`  ${which}  LBA ${h.lba}: ${h.found ? `header CRC ${h.headerCrcOk ? 'ok' : 'BAD'}, entries CRC ${h.entriesCrcOk === null ? 'not checked' : h.entriesCrcOk ? 'ok' : 'BAD'}${h.valid ? '' : ' (not usable)'}` : 'not found'}`);
    }
    lines.push(`  pMBR     ${t.protectiveMbr.present ? `0xEE record LBA ${t.protectiveMbr.startingLba} +${t.protectiveMbr.sizeInLba}` : 'missing'}`);
  } else if (t.kind === 'mbr') {
    lines.push(`table      MBR, disk signature ${t.diskSignature}${t.logicalPartitionCount ? `, ${t.logicalPartitionCount} logical partition(s)` : ''}`);
  } else {
    lines.push('table      none');
  }
  if (r.partitions.length > 0) {
    const rows: string[][] = [['#', 'start LBA', 'end LBA', 'sectors', 'size', '1MiB', 'type', 'attributes', 'GUID', 'name', 'filesystem']];
    for (const p of r.partitions) {
      rows.push([String(p.number), String(p.startLba), String(p.endLba), String(p.sizeLba), formatBytes(p.sizeBytes), p.aligned1MiB ? 'yes' : 'no', describeType(p), describeAttributes(p), p.guid ?? '-', p.name ?? '-', p.extended ? '(extended)' : describeFs(p.filesystem)]);
    }
    lines.push('', table(rows));
  }
  if (r.wholeDiskFilesystem) lines.push('', `whole disk ${describeFs(r.wholeDiskFilesystem)}`);
  for (const p of r.partitions) {
    if (p.filesystem?.details) lines.push('', `partition ${p.number} ${p.filesystem.type}`, ...renderDetails(p.filesystem.details));
  }
  if (r.wholeDiskFilesystem?.details) lines.push('', `whole disk ${r.wholeDiskFilesystem.type}`, ...renderDetails(r.wholeDiskFilesystem.details));
  lines.push('', r.findings.length === 0 ? 'findings   none' : `findings   ${r.findings.length}`);
  for (const f of r.findings) lines.push(renderFinding(f));
  return lines.join('\n');
}
