// writeGrow: carries out a GrowPlan's steps, in order, against one BlockTarget (the order itself is decided and
// explained in src/grow/plan-grow.ts). Bytes are made here from the plan and the source read before it; only the
// new $Bitmap reads the disk again, a piece at a time, from the old $Bitmap, which no step before it changes.
import { GuestdiskError } from '../errors.js';
import { bitmapPieces, encodeBitmapPiece, mapStreamRange } from '../fs/ntfs/grow-bitmap.js';
import { encodeGrownBootSector, encodeGrownHead, encodeGrownRecords, type NtfsGrowPlan, type NtfsGrowSource } from '../fs/ntfs/grow.js';
import { encodeClearedFatTailSector, encodeGrownFat32Head, fat32TailRange, type Fat32GrowPlan, type Fat32GrowSource } from '../fs/fat32/grow.js';
import { exfatBitmapChunks, fatStepChunks } from './write-exfat.js';
import { encodeGrownBitmapEntrySector, encodeGrownBootRegion } from '../fs/exfat/grow.js';
import { encodeGrownClassicMbr, encodeGrownGpt, encodeGrownProtectiveMbr } from './encode-table.js';
import type { GrowPlan, GrowSource, GrowStep } from './types.js';
import type { Chunk } from '../plan/layout.js';
import type { BlockTarget } from '../target/block-target.js';
import { writeChunks, type BetweenWrites, type ChunkWriteStats } from '../write/write-chunks.js';
import { concatBytes } from '../binary/concat.js';

export interface GrowWriteOptions {
  /** Called before every write; throw from it to stop between writes (signals, fault-injection tests). */
  readonly between?: BetweenWrites;
  readonly onStep?: (step: GrowStep, index: number, stats: ChunkWriteStats) => void;
}

export interface GrowWriteResult extends ChunkWriteStats {
  flushes: number;
  steps: number;
}

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

/** The chunks of one run of the new $Bitmap (offsets relative to the run's first byte in the volume). */
async function* bitmapRunChunks(target: BlockTarget, base: number, fs: NtfsGrowPlan, source: NtfsGrowSource, step: GrowStep): AsyncGenerator<Chunk> {
  const cs = fs.clusterSize;
  const g = fs.bitmapGrowth;
  // Which part of the stream this run holds.
  let streamStart = 0;
  for (const r of fs.newBitmap.runs) {
    if (base + r.lcn! * cs === step.offsetBytes) break;
    streamStart += r.length * cs;
  }
  const streamEnd = streamStart + step.lengthBytes;
  const sectorSize = target.logicalSectorSize;
  // Where the bitmap's data ends, rounded up to a sector (writes stay sector-aligned), within this run.
  const dataEnd = Math.max(Math.min(streamEnd, Math.ceil(g.newBitmapBytes / sectorSize) * sectorSize), streamStart);
  let zeroFrom = -1; // neighbouring zero pieces go out as one range
  for (const piece of bitmapPieces(g)) {
    const a = Math.max(piece.startBytes, streamStart);
    const b = Math.min(piece.startBytes + piece.lengthBytes, streamEnd);
    if (a >= b) continue;
    if (piece.zero) {
      if (zeroFrom < 0) zeroFrom = a;
      continue;
    }
    if (zeroFrom >= 0) yield { offsetBytes: zeroFrom - streamStart, zeroBytes: a - zeroFrom };
    zeroFrom = -1;
    const old = new Uint8Array(piece.oldLengthBytes);
    for (const p of mapStreamRange(source.bitmap.runs, cs, piece.startBytes, piece.oldLengthBytes)) {
      if (p.volumeOffsetBytes !== null) old.set(await target.read(base + p.volumeOffsetBytes, p.lengthBytes), p.streamOffsetBytes - piece.startBytes);
    }
    const bytes = encodeBitmapPiece(g, piece, old);
    if (b === g.newBitmapBytes && b % sectorSize !== 0) {
      // The data size is a multiple of 8 bytes, not of a sector: the last sector is written whole, zero-padded.
      const padded = new Uint8Array(dataEnd - a);
      padded.set(bytes.subarray(a - piece.startBytes, b - piece.startBytes));
      yield { offsetBytes: a - streamStart, bytes: padded };
      continue;
    }
    yield { offsetBytes: a - streamStart, bytes: bytes.subarray(a - piece.startBytes, b - piece.startBytes) };
  }
  // The run's tail past the bitmap's data (the last cluster's slack) reads as zeros.
  if (zeroFrom < 0 && dataEnd < streamEnd) zeroFrom = dataEnd;
  if (zeroFrom >= 0) yield { offsetBytes: zeroFrom - streamStart, zeroBytes: streamEnd - zeroFrom };
}

/** Pulls an async chunk source into writeChunks one chunk at a time (memory: one bitmap piece). */
async function writeAsyncChunks(target: BlockTarget, chunks: AsyncIterable<Chunk>, base: number, limit: { startBytes: number; endBytes: number; what: string }, stats: ChunkWriteStats, between: BetweenWrites): Promise<void> {
  for await (const chunk of chunks) await writeChunks(target, [chunk], base, limit, stats, between);
}

/** Which FAT copy a 'fat32-fat-tail' step at `volumeOffsetBytes` writes into. */
function fat32CopyAt(source: Fat32GrowSource, plan: Fat32GrowPlan, volumeOffsetBytes: number): number {
  const copy = plan.fatCopiesToClear.find((c) => fat32TailRange(source, plan, c).firstSectorBytes === volumeOffsetBytes);
  if (copy === undefined) throw new GuestdiskError('INVALID_SPEC', `no FAT copy has its new entries at volume offset ${volumeOffsetBytes}`);
  return copy;
}

export async function writeGrow(plan: GrowPlan, source: GrowSource, target: BlockTarget, options: GrowWriteOptions = {}): Promise<GrowWriteResult> {
  if (target.sizeBytes !== plan.disk.afterBytes || target.logicalSectorSize !== plan.logicalSectorSize) {
    throw new GuestdiskError('INVALID_SPEC', `the grow was planned for ${plan.disk.afterBytes} bytes with ${plan.logicalSectorSize}-byte sectors, but ${target.description} has ${target.sizeBytes} bytes with ${target.logicalSectorSize}-byte sectors`, { planSizeBytes: plan.disk.afterBytes, targetSizeBytes: target.sizeBytes });
  }
  const stats: GrowWriteResult = { writes: 0, bytesWritten: 0, zeroBytes: 0, flushes: 0, steps: 0 };
  const between = options.between ?? (() => {});
  const s = plan.logicalSectorSize;
  const table = plan.table;
  const gpt = table?.kind === 'gpt' && source.table.kind === 'gpt' ? encodeGrownGpt(source.table, table, plan.partition, s) : null;
  const fs = plan.filesystem?.kind === 'ntfs' ? plan.filesystem : null;
  const fat32 = plan.filesystem?.kind === 'fat32' ? plan.filesystem : null;
  const fat32Source = source.filesystem.kind === 'fat32' ? source.filesystem : null;
  const ntfs = source.filesystem.kind === 'ntfs' ? source.filesystem : null;
  const exfatPlan = plan.filesystem?.kind === 'exfat' ? plan.filesystem : null;
  const exfat = source.filesystem.kind === 'exfat' ? source.filesystem : null;
  const exfatBoot = exfatPlan && exfat ? encodeGrownBootRegion(exfat, exfatPlan) : null;
  const records = fs && ntfs ? encodeGrownRecords(ntfs, fs) : null;
  const base = plan.partition.startLba * s;

  for (const [index, step] of plan.steps.entries()) {
    const limit = { startBytes: step.offsetBytes, endBytes: step.offsetBytes + step.lengthBytes, what: step.description };
    const put = (bytes: Uint8Array): Promise<void> => writeChunks(target, [{ offsetBytes: 0, bytes }], step.offsetBytes, limit, stats, between);
    const need = <T>(value: T | null | undefined): T => {
      if (value === null || value === undefined) throw new GuestdiskError('INVALID_SPEC', `step ${index} (${step.kind}) does not match the plan`);
      return value;
    };
    switch (step.kind) {
      case 'flush':
        between({ kind: 'flush', offsetBytes: 0, lengthBytes: 0 });
        await target.flush();
        stats.flushes++;
        break;
      case 'gpt-backup':
        await put(concat(need(gpt).entries, need(gpt).backupHeader));
        break;
      case 'gpt-primary':
        await put(concat(need(gpt).primaryHeader, need(gpt).entries));
        break;
      case 'gpt-primary-entries':
        await put(need(gpt).entries);
        break;
      case 'gpt-primary-header':
        await put(need(gpt).primaryHeader);
        break;
      case 'mbr':
        if (source.table.kind === 'gpt') await put(encodeGrownProtectiveMbr(source.table, need(table?.kind === 'gpt' ? table : null), s));
        else await put(encodeGrownClassicMbr(source.table, need(table?.kind === 'mbr' ? table : null), plan.partition, s));
        break;
      case 'ntfs-bitmap':
        await writeAsyncChunks(target, bitmapRunChunks(target, base, need(fs), need(ntfs), step), step.offsetBytes, limit, stats, between);
        break;
      case 'ntfs-old-boot-copy':
        await put(need(ntfs).bootSector);
        break;
      case 'ntfs-backup-boot':
      case 'ntfs-boot':
        await put(encodeGrownBootSector(need(ntfs), need(fs)));
        break;
      case 'ntfs-commit':
        await put(encodeGrownHead(need(ntfs), need(fs)));
        break;
      case 'ntfs-records':
        await put(concat(need(records).bitmap, need(ntfs?.bootRecord).bytes, need(records).badClus));
        break;
      case 'ntfs-record-6':
      case 'ntfs-mirror-6':
        await put(need(records).bitmap);
        break;
      case 'ntfs-record-8':
      case 'ntfs-mirror-8':
        await put(need(records).badClus);
        break;
      case 'fat32-fat-tail': {
        const copy = fat32CopyAt(need(fat32Source), need(fat32), step.offsetBytes - base);
        await put(encodeClearedFatTailSector(need(fat32Source).fatTailSector[copy], fat32TailRange(need(fat32Source), need(fat32), copy).firstEntryInSector));
        break;
      }
      case 'fat32-fat-zero':
        await writeChunks(target, [{ offsetBytes: 0, zeroBytes: step.lengthBytes }], step.offsetBytes, limit, stats, between);
        break;
      case 'fat32-commit':
        await put(encodeGrownFat32Head(need(fat32Source), need(fat32)));
        break;
      case 'exfat-bitmap':
        await writeAsyncChunks(target, exfatBitmapChunks(target, base, need(exfatPlan), need(exfat)), step.offsetBytes, limit, stats, between);
        break;
      case 'exfat-bitmap-chain':
      case 'exfat-fat-tail':
        await writeAsyncChunks(target, fatStepChunks(target, base, step, need(exfatPlan), need(exfat)), step.offsetBytes, limit, stats, between);
        break;
      case 'exfat-bitmap-entry':
        await put(encodeGrownBitmapEntrySector(need(exfat), need(exfatPlan)));
        break;
      case 'exfat-backup-boot':
      case 'exfat-boot':
        await put(need(exfatBoot));
        break;
      default: {
        const never: never = step.kind;
        throw new GuestdiskError('INVALID_SPEC', `unknown grow step ${String(never)}`);
      }
    }
    stats.steps++;
    options.onStep?.(step, index, stats);
  }
  return stats;
}
