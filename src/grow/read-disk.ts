// Reads what a grow needs off the disk, through the same readers inspect uses: the partition table (with all its
// checks: a damaged table is refused, not grown), the last partition, and its filesystem's structures.
import { GuestdiskError } from '../errors.js';
import { decodeGptHeader } from '../partition/gpt-header.js';
import { readPartitionTable } from '../inspect/partition-table.js';
import { VOLUME_PROBE_BYTES, volumeSignatures } from '../inspect/signatures.js';
import { sliceTarget, type BlockTarget } from '../target/block-target.js';
import { readNtfsGrowSource } from './read-ntfs.js';
import { readFat32GrowSource } from './read-fat32.js';
import { readExfatGrowSource } from './read-exfat.js';
import type { GrowSource } from './types.js';

/** Reads the table, the last partition and its filesystem; refuses (CORRUPT_STRUCTURE / INVALID_SPEC) what it cannot grow. */
export async function readGrowSource(disk: BlockTarget): Promise<GrowSource> {
  const s = disk.logicalSectorSize;
  const g = { sectorSize: s, sizeLba: Math.floor(disk.sizeBytes / s) };
  const read = await readPartitionTable(disk, g);
  const errors = read.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `the partition table has errors; repair it before growing: ${errors.map((f) => f.message).join('; ')}`, { findings: errors.map((f) => f.code) });
  }
  if (read.table.kind === 'none') throw new GuestdiskError('INVALID_SPEC', `${disk.description} has no partition table (GPT or MBR): nothing to grow`);
  const partitions = read.partitions.filter((p) => !p.extended);
  if (partitions.length === 0) throw new GuestdiskError('INVALID_SPEC', `the ${read.table.kind.toUpperCase()} on ${disk.description} lists no partition: nothing to grow`);
  const last = partitions.reduce((a, b) => (b.startLba > a.startLba ? b : a));
  const after = read.partitions.filter((p) => p !== last && p.startLba + p.sizeLba > last.startLba + last.sizeLba);
  if (after.length > 0 || last.logical) {
    const what = last.logical ? `partition ${last.number} is a logical partition inside an extended one` : `partition ${after[0].number} ends after partition ${last.number}`;
    throw new GuestdiskError('INVALID_SPEC', `${what}: only a last primary partition can grow`, { partition: last.number });
  }

  let table: GrowSource['table'];
  if (read.table.kind === 'gpt') {
    const headerBytes = await disk.read(s, s);
    const header = decodeGptHeader(headerBytes);
    const entries = await disk.read(header.partitionEntryLba * s, header.numberOfPartitionEntries * header.sizeOfPartitionEntry);
    table = { kind: 'gpt', sector0: await disk.read(0, s), primaryHeaderBytes: headerBytes, entries, entryIndex: last.number - 1 };
  } else {
    table = { kind: 'mbr', sector0: await disk.read(0, s), slot: last.number - 1 };
  }

  const volume = sliceTarget(disk, last.startLba * s, last.sizeLba * s);
  const head = await volume.read(0, Math.min(volume.sizeBytes, VOLUME_PROBE_BYTES));
  const names = volumeSignatures(head);
  let filesystem: GrowSource['filesystem'];
  if (names.includes('ntfs')) filesystem = await readNtfsGrowSource(volume);
  else if (names[0] === 'exfat') filesystem = await readExfatGrowSource(volume);
  else if (names[0] === 'fat32') filesystem = await readFat32GrowSource(volume);
  else if (names.length === 0) filesystem = { kind: 'none', name: 'none' };
  else if (names[0] === 'fat16' || names[0] === 'fat12') filesystem = { kind: names[0], name: names[0] };
  else filesystem = { kind: 'other', name: names[0] };
  return { logicalSectorSize: s, sizeBytes: disk.sizeBytes, table, partition: { number: last.number, startLba: last.startLba, sizeLba: last.sizeLba }, filesystem };
}
