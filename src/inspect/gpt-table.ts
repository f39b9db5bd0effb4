// Reads a GPT the way a careful reader does (UEFI 2.10 §5.3.2 "GPT Header" validation rules): primary header at
// LBA 1, backup where the primary says (else the last LBA), both CRCs, bounds; uses the backup when the primary
// is damaged, and says so. Never trusts a size before bounding it.
import { crc32 } from '../binary/crc32.js';
import type { Finding } from '../binary/fields.js';
import { GuestdiskError, hex } from '../errors.js';
import { GPT_ENTRY, GPT_ENTRY_SIZE, checkGptEntry, gptAttributeBit, isUnusedGptEntry } from '../partition/gpt-entry.js';
import { GPT_HEADER, GPT_HEADER_SIGNATURE, checkGptHeader, type GptHeader } from '../partition/gpt-header.js';
import {
  GPT_ATTRIBUTE_HIDDEN_BIT, GPT_ATTRIBUTE_NO_DRIVE_LETTER_BIT, GPT_ATTRIBUTE_READ_ONLY_BIT,
  GPT_ATTRIBUTE_SHADOW_COPY_BIT, GPT_TYPE_NAMES,
} from '../partition/gpt-types.js';
import type { BlockTarget } from '../target/block-target.js';
import { codeChecks, reportFinding } from './finding-codes.js';
import { readProtectiveMbr } from './protective-mbr.js';
import type { GptHeaderReport, GptTableReport, InspectFinding } from './report.js';
import { MAX_GPT_ENTRY_ARRAY_BYTES, type DiskGeometry, type FoundPartition, type TableRead } from './table-types.js';

type Which = 'primary' | 'backup';

interface HeaderRead {
  readonly report: GptHeaderReport;
  readonly header: GptHeader | null;
  readonly entries: Uint8Array | null;
  readonly findings: InspectFinding[];
}

const CODES = {
  primary: { missing: 'GPT_PRIMARY_HEADER_MISSING', crc: 'GPT_PRIMARY_HEADER_CRC', invalid: 'GPT_PRIMARY_HEADER_INVALID', entries: 'GPT_PRIMARY_ENTRIES_CRC' },
  backup: { missing: 'GPT_BACKUP_HEADER_MISSING', crc: 'GPT_BACKUP_HEADER_CRC', invalid: 'GPT_BACKUP_HEADER_INVALID', entries: 'GPT_BACKUP_ENTRIES_CRC' },
} as const;

function emptyReport(lba: number): GptHeaderReport {
  return {
    lba, found: false, headerCrcOk: null, entriesCrcOk: null, valid: false, myLba: null, alternateLba: null,
    firstUsableLba: null, lastUsableLba: null, diskGuid: null, partitionEntryLba: null, numberOfPartitionEntries: null,
    sizeOfPartitionEntry: null, headerCrc32: null, partitionEntryArrayCrc32: null,
  };
}

function isSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== GPT_HEADER_SIGNATURE.charCodeAt(i)) return false;
  return true;
}

/** Is there a GPT header signature at `lba` (for table detection)? */
export async function hasGptSignatureAt(disk: BlockTarget, geometry: DiskGeometry, lba: number): Promise<boolean> {
  if (lba < 0 || lba >= geometry.sizeLba) return false;
  return isSignature(await disk.read(lba * geometry.sectorSize, 8));
}

async function readHeaderAt(disk: BlockTarget, g: DiskGeometry, lba: number, which: Which): Promise<HeaderRead> {
  const codes = CODES[which];
  const s = g.sectorSize;
  const at = lba * s;
  const findings: InspectFinding[] = [];
  const missing = (why: string): HeaderRead => ({
    report: emptyReport(lba), header: null, entries: null,
    findings: [reportFinding(codes.missing, { structure: 'GptHeader', field: 'signature', offsetBytes: at, lba, expected: JSON.stringify(GPT_HEADER_SIGNATURE), actual: why, message: `no ${which} GPT header at LBA ${lba}: ${why}` })],
  });
  if (lba < 1 || lba >= g.sizeLba) return missing(`LBA ${lba} is outside the disk (${g.sizeLba} sectors)`);
  const bytes = await disk.read(at, s);
  if (!isSignature(bytes)) return missing('signature "EFI PART" not found');

  let header: GptHeader;
  try {
    header = GPT_HEADER.decode(bytes);
  } catch (e) {
    if (!(e instanceof GuestdiskError)) throw e;
    findings.push(reportFinding(codes.invalid, { structure: 'GptHeader', offsetBytes: at, lba, message: `${which} GPT header at LBA ${lba}: ${e.message}` }));
    return { report: { ...emptyReport(lba), found: true }, header: null, entries: null, findings };
  }
  const checks = checkGptHeader(header, bytes);
  const headerCrcOk = !checks.some((f) => f.code === 'GPT_HEADER_CRC' || f.code === 'GPT_HEADER_SIZE');
  // The codec's checks leave it here: a CRC mismatch is this copy's CRC row, any other field its INVALID row.
  const place = { offsetBaseBytes: at, lba, prefix: `${which} GPT header: ` };
  for (const f of checks) findings.push(...codeChecks(f.code === 'GPT_HEADER_CRC' ? codes.crc : codes.invalid, [f], place));
  const invalid = (field: keyof GptHeader & string, expected: string, actual: string, message: string): void => {
    findings.push(reportFinding(codes.invalid, { structure: 'GptHeader', field, offsetBytes: at + GPT_HEADER.fields[field].offset, lba, expected, actual, message: `${which} GPT header at LBA ${lba}: ${message}` }));
  };
  if (header.myLba !== lba) invalid('myLba', `${lba}`, `${header.myLba}`, `MyLBA is ${header.myLba}, but the header is at LBA ${lba}`);

  // Bounds of the entry array and the usable range, before anything is read through them.
  const entrySizeOk = !checks.some((f) => f.code === 'GPT_HEADER_ENTRY_SIZE');
  const arrayBytes = header.numberOfPartitionEntries * header.sizeOfPartitionEntry;
  const arrayLba = Math.ceil(arrayBytes / s);
  let arrayOk = entrySizeOk;
  if (arrayBytes > MAX_GPT_ENTRY_ARRAY_BYTES) {
    arrayOk = false;
    findings.push(reportFinding('GPT_ENTRY_ARRAY_BOUNDS', { structure: 'GptHeader', field: 'numberOfPartitionEntries', offsetBytes: at + GPT_HEADER.fields.numberOfPartitionEntries.offset, lba, expected: `≤ ${MAX_GPT_ENTRY_ARRAY_BYTES} bytes`, actual: `${header.numberOfPartitionEntries} × ${header.sizeOfPartitionEntry} bytes`, message: `${which} GPT: entry array of ${arrayBytes} bytes is implausibly large (limit ${MAX_GPT_ENTRY_ARRAY_BYTES})` }));
  } else if (header.partitionEntryLba < 1 || header.partitionEntryLba + arrayLba > g.sizeLba || (lba >= header.partitionEntryLba && lba < header.partitionEntryLba + arrayLba)) {
    arrayOk = false;
    findings.push(reportFinding('GPT_ENTRY_ARRAY_BOUNDS', { structure: 'GptHeader', field: 'partitionEntryLba', offsetBytes: at + GPT_HEADER.fields.partitionEntryLba.offset, lba, expected: `inside the disk, not over the header`, actual: `LBA ${header.partitionEntryLba}–${header.partitionEntryLba + arrayLba - 1}`, message: `${which} GPT: entry array at LBA ${header.partitionEntryLba} (${arrayLba} sectors) is outside the disk (${g.sizeLba} sectors) or covers the header` }));
  }
  const first = header.firstUsableLba;
  const last = header.lastUsableLba;
  const overArray = arrayOk && first <= header.partitionEntryLba + arrayLba - 1 && last >= header.partitionEntryLba;
  // A truncated disk (the backup's place is gone too) is reported once, as GPT_BACKUP_BEYOND_DISK.
  const truncated = which === 'primary' && header.alternateLba >= g.sizeLba && last >= g.sizeLba;
  if (first > last + 1 || (last >= g.sizeLba && !truncated) || (lba >= first && lba <= last) || overArray) {
    findings.push(reportFinding('GPT_USABLE_RANGE', { structure: 'GptHeader', field: 'lastUsableLba', offsetBytes: at + GPT_HEADER.fields.lastUsableLba.offset, lba, expected: `inside the disk (${g.sizeLba} sectors), clear of headers and arrays`, actual: `${first}–${last}`, message: `${which} GPT: usable range LBA ${first}–${last} overlaps the GPT structures or leaves the disk` }));
  }

  let entries: Uint8Array | null = null;
  let entriesCrcOk: boolean | null = null;
  if (headerCrcOk && arrayOk) {
    entries = await disk.read(header.partitionEntryLba * s, arrayBytes);
    const crc = crc32(entries);
    entriesCrcOk = crc === header.partitionEntryArrayCrc32;
    if (!entriesCrcOk) {
      findings.push(reportFinding(codes.entries, { structure: 'GptHeader', field: 'partitionEntryArrayCrc32', offsetBytes: at + GPT_HEADER.fields.partitionEntryArrayCrc32.offset, lba, expected: hex(crc), actual: hex(header.partitionEntryArrayCrc32), message: `${which} GPT entry array at LBA ${header.partitionEntryLba}: CRC32 ${hex(crc)}, header says ${hex(header.partitionEntryArrayCrc32)}` }));
    }
  }
  const valid = headerCrcOk && entriesCrcOk === true && !findings.some((f) => f.severity === 'error' && f.code !== 'GPT_USABLE_RANGE');
  return {
    report: {
      lba, found: true, headerCrcOk, entriesCrcOk, valid,
      myLba: header.myLba, alternateLba: header.alternateLba, firstUsableLba: first, lastUsableLba: last,
      diskGuid: header.diskGuid, partitionEntryLba: header.partitionEntryLba,
      numberOfPartitionEntries: header.numberOfPartitionEntries, sizeOfPartitionEntry: header.sizeOfPartitionEntry,
      headerCrc32: hex(header.headerCrc32), partitionEntryArrayCrc32: hex(header.partitionEntryArrayCrc32),
    },
    header, entries: valid ? entries : null, findings,
  };
}

function compareHeaders(p: GptHeader, b: GptHeader): string[] {
  const differ: string[] = [];
  const same = ['diskGuid', 'firstUsableLba', 'lastUsableLba', 'numberOfPartitionEntries', 'sizeOfPartitionEntry'] as const; // arrays: compared by content
  for (const k of same) if (p[k] !== b[k]) differ.push(`${k} ${String(p[k])} vs ${String(b[k])}`);
  if (p.alternateLba !== b.myLba) differ.push(`primary AlternateLBA ${p.alternateLba} vs backup MyLBA ${b.myLba}`);
  if (b.alternateLba !== p.myLba) differ.push(`backup AlternateLBA ${b.alternateLba} vs primary MyLBA ${p.myLba}`);
  return differ;
}

function attributesOf(entry: ReturnType<typeof GPT_ENTRY.decode>): FoundPartition['attributes'] {
  return {
    value: `0x${entry.attributesHigh.toString(16).padStart(8, '0')}${entry.attributesLow.toString(16).padStart(8, '0')}`,
    platformRequired: gptAttributeBit(entry, 0),
    readOnly: gptAttributeBit(entry, GPT_ATTRIBUTE_READ_ONLY_BIT),
    shadowCopy: gptAttributeBit(entry, GPT_ATTRIBUTE_SHADOW_COPY_BIT),
    hidden: gptAttributeBit(entry, GPT_ATTRIBUTE_HIDDEN_BIT),
    noDriveLetter: gptAttributeBit(entry, GPT_ATTRIBUTE_NO_DRIVE_LETTER_BIT),
  };
}

function parseEntries(h: GptHeader, entries: Uint8Array, g: DiskGeometry, findings: InspectFinding[]): FoundPartition[] {
  const out: FoundPartition[] = [];
  const base = h.partitionEntryLba * g.sectorSize;
  for (let i = 0; i < h.numberOfPartitionEntries; i++) {
    const at = i * h.sizeOfPartitionEntry;
    const slice = entries.subarray(at, at + GPT_ENTRY_SIZE);
    const number = i + 1;
    let entry;
    try {
      entry = GPT_ENTRY.decode(slice);
    } catch (e) {
      if (!(e instanceof GuestdiskError)) throw e;
      findings.push(reportFinding('GPT_PARTITION_OUTSIDE_USABLE', { structure: 'GptEntry', offsetBytes: base + at, partition: number, message: `GPT entry ${number}: ${e.message}` }));
      continue;
    }
    if (isUnusedGptEntry(entry)) continue;
    const range: Finding[] = checkGptEntry(entry);
    if (range.length > 0) {
      findings.push(...codeChecks('GPT_ENTRY_RANGE', range, { offsetBaseBytes: base + at, partition: number }));
      continue;
    }
    if (entry.startingLba < h.firstUsableLba || entry.endingLba > h.lastUsableLba) {
      findings.push(reportFinding('GPT_PARTITION_OUTSIDE_USABLE', { structure: 'GptEntry', field: 'endingLba', offsetBytes: base + at + GPT_ENTRY.fields.endingLba.offset, partition: number, expected: `LBA ${h.firstUsableLba}–${h.lastUsableLba}`, actual: `LBA ${entry.startingLba}–${entry.endingLba}`, message: `partition ${number} (LBA ${entry.startingLba}–${entry.endingLba}) is outside the usable range LBA ${h.firstUsableLba}–${h.lastUsableLba}` }));
    }
    out.push({
      number,
      startLba: entry.startingLba,
      sizeLba: entry.endingLba - entry.startingLba + 1,
      type: { name: GPT_TYPE_NAMES[entry.partitionTypeGuid] ?? null, guid: entry.partitionTypeGuid, mbrType: null },
      guid: entry.uniquePartitionGuid,
      name: entry.partitionName,
      attributes: attributesOf(entry),
      active: null,
      logical: false,
      extended: false,
    });
  }
  return out;
}

export async function readGpt(disk: BlockTarget, g: DiskGeometry): Promise<TableRead> {
  const findings: InspectFinding[] = [];
  const pmbr = await readProtectiveMbr(disk, g);
  findings.push(...pmbr.findings);

  const primary = await readHeaderAt(disk, g, 1, 'primary');
  findings.push(...primary.findings);
  const lastLba = g.sizeLba - 1;
  let backupLba = lastLba;
  if (primary.report.valid && primary.header) {
    const alt = primary.header.alternateLba;
    if (alt <= primary.header.lastUsableLba || alt === primary.header.myLba) {
      // UEFI §5.3.2: the backup header follows the usable space; one that points back at itself or into the
      // partitions was edited, and the real backup (in the last LBA, where readers then look) is never updated.
      findings.push(reportFinding('GPT_ALTERNATE_LBA', { structure: 'GptHeader', field: 'alternateLba', offsetBytes: g.sectorSize + GPT_HEADER.fields.alternateLba.offset, lba: 1, expected: `> ${primary.header.lastUsableLba} (LBA ${lastLba} on this disk)`, actual: `${alt}`, message: `the primary GPT puts the backup header at LBA ${alt}, ${alt === primary.header.myLba ? 'its own place' : 'inside the usable space'}; the backup is looked for in the last LBA (${lastLba}) instead` }));
    } else if (alt > lastLba) {
      findings.push(reportFinding('GPT_BACKUP_BEYOND_DISK', { structure: 'GptHeader', field: 'alternateLba', offsetBytes: g.sectorSize + GPT_HEADER.fields.alternateLba.offset, lba: 1, expected: `≤ ${lastLba}`, actual: `${alt}`, message: `the primary GPT puts the backup header at LBA ${alt}, but the disk ends at LBA ${lastLba}: truncated or shrunk` }));
    } else {
      backupLba = alt;
      if (alt < lastLba) {
        findings.push(reportFinding('GPT_BACKUP_NOT_AT_END', { structure: 'GptHeader', field: 'alternateLba', offsetBytes: g.sectorSize + GPT_HEADER.fields.alternateLba.offset, lba: 1, expected: `${lastLba}`, actual: `${alt}`, message: `backup GPT header at LBA ${alt}, not in the last sector (LBA ${lastLba}): the disk was grown by ${lastLba - alt} sectors` }));
      }
    }
  }
  const backup = await readHeaderAt(disk, g, backupLba, 'backup');
  findings.push(...backup.findings);

  if (primary.report.valid && backup.report.valid && primary.header && backup.header) {
    const differ = compareHeaders(primary.header, backup.header);
    if (differ.length > 0) {
      findings.push(reportFinding('GPT_HEADERS_DIFFER', { structure: 'GptHeader', lba: backupLba, message: `primary and backup GPT headers differ: ${differ.join('; ')}` }));
    }
    if (primary.entries && backup.entries && !sameBytes(primary.entries, backup.entries)) {
      findings.push(reportFinding('GPT_ENTRIES_DIFFER', { structure: 'GptEntry', lba: backup.header.partitionEntryLba, message: 'primary and backup GPT entry arrays differ' }));
    }
  }

  const chosen = primary.report.valid ? primary : backup.report.valid ? backup : null;
  const source = chosen === backup ? 'backup' : 'primary';
  if (chosen === backup) {
    findings.push(reportFinding('GPT_USING_BACKUP', { structure: 'GptHeader', lba: backupLba, message: `primary GPT is damaged; partitions read from the backup at LBA ${backupLba}` }));
  }
  if (!chosen) {
    findings.push(reportFinding('GPT_NO_VALID_HEADER', { structure: 'GptHeader', lba: 1, message: 'neither the primary nor the backup GPT header is usable' }));
  }
  const shown = chosen?.header ?? primary.header ?? backup.header;
  const partitions = chosen?.header && chosen.entries ? parseEntries(chosen.header, chosen.entries, g, findings) : [];
  const table: GptTableReport = {
    kind: 'gpt',
    source,
    diskGuid: shown?.diskGuid ?? null,
    firstUsableLba: shown?.firstUsableLba ?? null,
    lastUsableLba: shown?.lastUsableLba ?? null,
    entryCount: shown?.numberOfPartitionEntries ?? null,
    entrySize: shown?.sizeOfPartitionEntry ?? null,
    primaryHeader: primary.report,
    backupHeader: backup.report,
    protectiveMbr: pmbr.report,
  };
  return { table, partitions, findings };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
