// The one pass over $MFT (src/inspect/ntfs-walk-record.ts): on a volume mkntfs made and ntfs-3g filled with a few
// thousand files, verify reads every MFT record past the system files once (directories included: the index walk
// uses the copies the pass kept), counted through a BlockTarget that logs every read; inspect reads the structures only, so a damage only
// the walk sees (a wrong link count) is reported by verify and not by inspect, and inspect reads no user record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ATTR_TYPE, MFT_RECORD_FLAG } from '../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { NTFS_BOOT_SECTOR, decodeClustersPerRecord, decodeSectorsPerCluster } from '../../src/fs/ntfs/boot-sector.js';
import { applyFixups } from '../../src/fs/ntfs/fixup.js';
import { decodeMftRecord, MFT_RECORD_HEADER } from '../../src/fs/ntfs/mft-record.js';
import { decodeRunlist } from '../../src/fs/ntfs/runlist.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import { verifyDisk } from '../../src/inspect/verify.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';

const DIRECTORIES = 4;
const FILES_PER_DIRECTORY = 750;

/** A bare NTFS volume: mkntfs, then DIRECTORIES × FILES_PER_DIRECTORY files through ntfs-3g (every tenth with data). */
function makeVolume(): Uint8Array {
  for (const tool of ['mkntfs', 'ntfs-3g', 'fusermount3', 'truncate']) requireTool(tool);
  const dir = makeTempDir('guestdisk-ntfs-walk-pass-');
  try {
    const path = join(dir.path, 'volume.img');
    const mnt = join(dir.path, 'mnt');
    mkdirSync(mnt);
    writeFileSync(path, new Uint8Array(0));
    mustRun('truncate', ['-s', '48M', path]);
    mustRun('mkntfs', ['-F', '-q', '-Q', '-L', 'Pass', path]);
    mustRun('ntfs-3g', [path, mnt]);
    try {
      for (let d = 0; d < DIRECTORIES; d++) {
        mkdirSync(join(mnt, `d${d}`));
        for (let i = 0; i < FILES_PER_DIRECTORY; i++) writeFileSync(join(mnt, `d${d}`, `file ${i}.txt`), i % 10 === 0 ? new Uint8Array(6000).fill(i & 0xff) : '');
      }
    } finally {
      mustRun('fusermount3', ['-u', mnt]);
    }
    return new Uint8Array(readFileSync(path));
  } finally {
    dir.remove();
  }
}

interface MftLayout {
  readonly recordSize: number;
  readonly recordCount: number;
  /** The record a volume byte belongs to, or -1 outside $MFT. */
  recordAt(offsetBytes: number): number;
  /** Where record `n` starts on the volume. */
  offsetOf(n: number): number;
}

function mftLayoutOf(volume: Uint8Array): MftLayout {
  const boot = NTFS_BOOT_SECTOR.decode(volume);
  const clusterSize = boot.bytesPerSector * decodeSectorsPerCluster(boot.sectorsPerCluster);
  const recordSize = decodeClustersPerRecord(boot.clustersPerMftRecord, clusterSize);
  const at = boot.mftLcn * clusterSize;
  const { header, record } = decodeMftRecord(volume.subarray(at, at + recordSize), recordSize);
  const data = decodeAttributes(record, header.attrsOffset, header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === '')!;
  const runs = decodeRunlist(data.nonResident!.mappingPairs, 1024);
  return {
    recordSize,
    recordCount: data.nonResident!.header.dataSize / recordSize,
    recordAt(offsetBytes) {
      let vcnBytes = 0;
      for (const r of runs) {
        const start = r.lcn! * clusterSize;
        const bytes = r.length * clusterSize;
        if (offsetBytes >= start && offsetBytes < start + bytes) return Math.floor((vcnBytes + offsetBytes - start) / recordSize);
        vcnBytes += bytes;
      }
      return -1;
    },
    offsetOf(n) {
      let vcnBytes = 0;
      for (const r of runs) {
        const bytes = r.length * clusterSize;
        if (n * recordSize < vcnBytes + bytes) return r.lcn! * clusterSize + n * recordSize - vcnBytes;
        vcnBytes += bytes;
      }
      throw new Error(`record ${n} is not mapped`);
    },
  };
}

/** The volume as a BlockTarget that counts, per MFT record, how many reads covered it. */
function countingTarget(volume: Uint8Array, mft: MftLayout): { target: BlockTarget; reads: Uint16Array } {
  const inner = openMemoryTarget({ sizeBytes: volume.length, initial: volume });
  const reads = new Uint16Array(mft.recordCount);
  const target: BlockTarget = {
    sizeBytes: inner.sizeBytes,
    logicalSectorSize: inner.logicalSectorSize,
    physicalSectorSize: inner.physicalSectorSize,
    description: 'counting',
    async read(offsetBytes, lengthBytes) {
      let last = -1;
      for (let at = offsetBytes; at < offsetBytes + lengthBytes; at += 512) {
        const n = mft.recordAt(at);
        if (n >= 0 && n !== last) reads[n]++;
        last = n;
      }
      return inner.read(offsetBytes, lengthBytes);
    },
    write: () => Promise.reject(new Error('read-only')),
    writeZeros: () => Promise.reject(new Error('read-only')),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { target, reads };
}

function inUseRecords(volume: Uint8Array, mft: MftLayout, target: (n: number) => number): { files: number[]; directories: number[] } {
  const files: number[] = [];
  const directories: number[] = [];
  for (let n = 27; n < mft.recordCount; n++) {
    const at = target(n);
    const h = MFT_RECORD_HEADER.decode(volume.subarray(at, at + MFT_RECORD_HEADER.sizeBytes));
    if (h.magic !== 0x454c4946 || (h.flags & MFT_RECORD_FLAG.IN_USE) === 0) continue;
    ((h.flags & MFT_RECORD_FLAG.IS_DIRECTORY) !== 0 ? directories : files).push(n);
  }
  return { files, directories };
}

const volume = makeVolume();
const mft = mftLayoutOf(volume);
const offsetOf = (n: number): number => mft.offsetOf(n);
const records = inUseRecords(volume, mft, offsetOf);

test('verify reads each MFT record once: one pass feeds every whole-volume check', async () => {
  assert.ok(records.files.length >= DIRECTORIES * FILES_PER_DIRECTORY, `${records.files.length} file records`);
  const { target, reads } = countingTarget(volume, mft);
  const report = await verifyDisk(target);
  assert.equal(report.findings.filter((f) => f.severity === 'error').map((f) => f.code), ['SUPERFLOPPY']);
  const again = records.files.filter((n) => reads[n] !== 1);
  assert.equal(again.map((n) => `${n}: ${reads[n]} reads`).slice(0, 5), [], 'every file record read exactly once');
  // The index walk decodes directory records from the copies the pass kept, without reading them again.
  for (const n of records.directories) assert.is(reads[n], 1, `directory record ${n}`);
  // Free records past the last in-use one are part of the pass too, read once.
  const last = Math.max(...records.files, ...records.directories);
  for (let n = last + 1; n < mft.recordCount; n++) assert.equal(reads[n], 1, `free record ${n}`);
});

test('inspect reads the structures only: no file record is read, and a wrong link count is left to verify', async () => {
  const damaged = Uint8Array.from(volume);
  const n = records.files[records.files.length >> 1];
  const at = offsetOf(n);
  // The record's link count (0x12, in the first 512-byte block, outside the fixup words) set to 7.
  const { header, record } = decodeMftRecord(damaged.subarray(at, at + mft.recordSize), mft.recordSize);
  const changed = Uint8Array.from(record);
  new DataView(changed.buffer).setUint16(MFT_RECORD_HEADER.fields.linkCount.offset, 7, true);
  damaged.set(applyFixups(changed, header.usaOfs, 5), at);

  const verifying = countingTarget(damaged, mft);
  const verified = await verifyDisk(verifying.target);
  assert.ok(verified.findings.some((f) => f.code === 'NTFS_LINK_COUNT'), JSON.stringify(verified.findings.map((f) => f.code)));

  const inspecting = countingTarget(damaged, mft);
  const inspected = await inspectDisk(inspecting.target);
  const codes = inspected.findings.map((f) => f.code);
  assert.not.ok(codes.includes('NTFS_LINK_COUNT'), JSON.stringify(codes));
  assert.equal(codes.filter((c) => c !== 'SUPERFLOPPY'), [], 'inspect finds nothing else either');
  const readUserRecords = [...records.files, ...records.directories].filter((r) => inspecting.reads[r] > 0);
  assert.equal(readUserRecords.length, 0, `inspect read user records ${readUserRecords.slice(0, 5).join(', ')}`);
});

test.run();
