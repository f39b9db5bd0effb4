import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTiling } from '../../../src/binary/fields.js';
import {
  LOGFILE_MIN_SIZE_BYTES, RESTART_AREA, RESTART_PAGE_HEADER, decodeLogFileState, decodeRestartPageHeader, logFileChunks,
  logFileSizeBytes,
} from '../../../src/fs/ntfs/logfile.js';
import { CORPUS_DIR } from '../../helpers/paths.js';
import { makeTempDir, requireTool } from '../../helpers/tools.js';
import { run, text, pinned } from './reference.js';

const tmp = makeTempDir('ntfs-logfile-');
test.after(() => tmp.remove());


function mkntfs(sizeBytes: number, clusterSize: number, sectorSize = 512): string {
  const image = join(tmp.path, `v-${sizeBytes}-${clusterSize}-${sectorSize}.img`);
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, sizeBytes);
  run('mkntfs', ['-F', '-Q', '-T', '-s', String(sectorSize), '-c', String(clusterSize), image]);
  return image;
}

test('logFileSizeBytes follows mkntfs from 1.5 MiB to 13 GiB and 512 B to 2 MiB clusters (sizes read by ntfsinfo)', () => {
  const MiB = 1 << 20;
  const cases: [number, number, number?][] = [
    [1.5 * MiB, 512], [3 * MiB, 512], [3_993_600, 1024], [4_000_768, 512] /* 2 MiB halved to 1 MiB */, [10 * MiB, 4096], [64 * MiB, 4096], [300 * MiB, 4096],
    [1024 * MiB, 4096], [1024 * MiB, 65536], [5 * 1024 * MiB, 4096], [13 * 1024 * MiB, 4096], [13 * 1024 * MiB, 2 * MiB],
    [4_000_768, 4096, 4096] /* 4 KiB sectors: one sector less, under 4,000,000 */, [1024 * MiB, 65536, 4096],
  ];
  for (const [size, cluster, sector = 512] of cases) {
    const image = mkntfs(size, cluster, sector);
    // ntfsinfo lists $STANDARD_INFORMATION, $FILE_NAME, then $DATA: its "Data size" is the last one (sleuthkit
    // 4.11 cannot open volumes with 2 MiB clusters).
    const sizes = [...text(run('ntfsinfo', ['-i', '2', image])).matchAll(/Data size:\s+(\d+)/g)];
    const theirs = Number(sizes[sizes.length - 1]?.[1]);
    // mkntfs leaves the device's last sector to the backup boot sector: the volume is one sector shorter; with
    // 4 KiB sectors its MFT records are 4 KiB, which moves $MFTMirr's end and so the default $LogFile position.
    const mftRecordSize = Math.max(1024, sector);
    assert.is(logFileSizeBytes(size - sector, cluster, { mftRecordSize }), theirs, `${size} bytes, ${cluster}-byte clusters, ${sector}-byte sectors`);
    rmSync(image);
  }
});

test('where mkntfs refuses ("$LogFile would be created with invalid size"), logFileSizeBytes throws TARGET_TOO_SMALL', () => {
  // 300 MiB with 2 MiB clusters: volume/200 = 1.5 MiB rounds down to 0 clusters.
  const image = join(tmp.path, 'refused.img');
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, 300 << 20);
  requireTool('mkntfs');
  let stderr = '';
  try {
    execFileSync('mkntfs', ['-F', '-Q', '-T', '-c', String(2 << 20), image], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    stderr = String((e as { stderr?: Buffer }).stderr ?? '');
  }
  assert.match(stderr, /\$LogFile would be created with invalid size/);
  assert.throws(() => logFileSizeBytes((300 << 20) - 512, 2 << 20), (e: Error & { code?: string }) => e.code === 'TARGET_TOO_SMALL');
});

test('logFileSizeBytes: rule boundaries, cluster rounding, halving, TARGET_TOO_SMALL', () => {
  const MiB = 1 << 20;
  assert.is(logFileSizeBytes(2 * MiB - 512, 512), 256 * 1024);
  assert.is(logFileSizeBytes(2 * MiB, 512), 512 * 1024);
  assert.is(logFileSizeBytes(4_000_000, 512), 512 * 1024, 'mkntfs compares whole clusters: 3,999,744 bytes');
  assert.is(logFileSizeBytes(4_000_256, 512), 1 * MiB, '2 MiB from the middle would pass the last cluster: halved');
  assert.is(logFileSizeBytes(8 * MiB, 512), 2 * MiB);
  assert.is(logFileSizeBytes(200 * MiB, 4096), 2 * MiB);
  assert.is(logFileSizeBytes(12 * 1024 * MiB, 4096), 64 * MiB);
  assert.is(logFileSizeBytes(12 * 1024 * MiB - 4096, 4096), Math.floor((12 * 1024 * MiB - 4096) / 200 / 4096) * 4096);
  assert.is(logFileSizeBytes(16 * 1024 * 1024 * MiB, 65536), 64 * MiB, '16 TiB');
  assert.is(logFileSizeBytes(4 * MiB, MiB), MiB, 'halved to 512 KiB, then rounded up to a whole cluster');
  // a log placed near the end is halved until it fits
  assert.is(logFileSizeBytes(64 * MiB, 4096, { logFileLcn: 16383 - 200 }), 512 * 1024);
  assert.throws(() => logFileSizeBytes(64 * MiB, 4096, { logFileLcn: 16383 - 20 }), (e: Error & { code?: string }) => e.code === 'TARGET_TOO_SMALL');
  assert.throws(() => logFileSizeBytes(0, 4096), (e: Error & { code?: string }) => e.code === 'INVALID_SPEC');
  assert.ok(LOGFILE_MIN_SIZE_BYTES === 256 * 1024);
});

test('logFileChunks equals the $LogFile mkntfs writes (2 MiB of 0xff, pinned hash)', () => {
  const image = mkntfs(64 << 20, 4096);
  const theirs = run('ntfscat', [image, '$LogFile']);
  const hash = createHash('sha256');
  let end = 0;
  for (const chunk of logFileChunks(theirs.length)) {
    assert.ok('bytes' in chunk);
    if (!('bytes' in chunk)) continue;
    assert.is(chunk.offsetBytes, end, 'chunks are contiguous');
    hash.update(chunk.bytes);
    end += chunk.bytes.length;
  }
  assert.is(end, theirs.length);
  const ours = hash.digest('hex');
  assert.is(ours, createHash('sha256').update(theirs).digest('hex'));
  assert.is(ours, pinned('logfile-64mib-volume'));
  assert.equal(decodeLogFileState(theirs.subarray(0, 4096)), { kind: 'empty' });
});

test('logFileChunks: a 64 MiB log comes as 64 views of one 1 MiB buffer; odd sizes end with a shorter view', () => {
  const buffers = new Set<ArrayBufferLike>();
  let count = 0;
  let total = 0;
  for (const chunk of logFileChunks(64 << 20)) {
    if (!('bytes' in chunk)) throw new Error('expected bytes');
    assert.ok(chunk.bytes.length <= 1 << 20);
    buffers.add(chunk.bytes.buffer);
    total += chunk.bytes.length;
    count++;
  }
  assert.is(count, 64);
  assert.is(total, 64 << 20);
  assert.is(buffers.size, 1, 'one allocation');
  const odd = [...logFileChunks((1 << 20) + 4096)].map((c) => ('bytes' in c ? [c.offsetBytes, c.bytes.length] : []));
  assert.equal(odd, [[0, 1 << 20], [1 << 20, 4096]]);
  assert.equal([...logFileChunks(0)], []);
  assert.throws(() => [...logFileChunks(-1)], (e: Error & { code?: string }) => e.code === 'INVALID_SPEC');
});

test('restart page header and restart area tables tile 0x20 and 0x30 bytes', () => {
  assert.equal(checkTiling(RESTART_PAGE_HEADER), []);
  assert.is(RESTART_PAGE_HEADER.sizeBytes, 0x20);
  assert.equal(checkTiling(RESTART_AREA), []);
  assert.is(RESTART_AREA.sizeBytes, 0x30);
});

test('Windows restart pages decode: Windows 7 log v1.1 clean, Windows 10 v2.0, the corpus volume v1.1 clean', () => {
  const seven = decodeLogFileState(readFileSync(join(CORPUS_DIR, 'msuhanov-dfir_ntfs', 'LogFile_7.bin')));
  assert.is(seven.kind, 'restart');
  if (seven.kind !== 'restart') return;
  assert.equal([seven.header.majorVer, seven.header.minorVer], [1, 1]);
  assert.is(seven.header.systemPageSize, 4096);
  assert.is(seven.header.logPageSize, 4096);
  assert.is(seven.header.restartAreaOffset, 0x30);
  assert.ok(seven.clean);
  const ten = decodeLogFileState(readFileSync(join(CORPUS_DIR, 'msuhanov-dfir_ntfs', 'LogFile_10.bin')));
  assert.ok(ten.kind === 'restart' && ten.header.majorVer === 2 && ten.header.minorVer === 0 && !ten.clean);
  const image = join(tmp.path, 'win10.raw');
  writeFileSync(image, run('gunzip', ['-c', join(CORPUS_DIR, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz')]));
  const log = run('icat', ['-o', '128', image, '2']);
  const state = decodeLogFileState(log.subarray(0, 4096));
  assert.ok(state.kind === 'restart' && state.header.majorVer === 1 && state.header.minorVer === 1 && state.clean);
  if (state.kind === 'restart') assert.is(state.area.fileSize <= log.length, true);
});

test('restart page header corruption: magic, page sizes, restart area alignment', () => {
  const page = readFileSync(join(CORPUS_DIR, 'msuhanov-dfir_ntfs', 'LogFile_7.bin')).subarray(0, 4096);
  const alter = (field: keyof typeof RESTART_PAGE_HEADER.fields, value: number): Uint8Array => {
    const b = new Uint8Array(page);
    b[RESTART_PAGE_HEADER.fieldRange(field).offsetBytes] = value;
    return b;
  };
  const names = (bytes: Uint8Array, field: string): boolean => {
    try { decodeRestartPageHeader(bytes); return false; } catch (e) { return (e as { code?: string }).code === 'CORRUPT_STRUCTURE' && (e as { details?: { field?: string } }).details?.field === field; }
  };
  assert.ok(names(alter('magic', 0x41), 'magic'));
  assert.ok(names(alter('systemPageSize', 0x01), 'systemPageSize'));
  assert.ok(names(alter('logPageSize', 0x01), 'logPageSize'));
  assert.ok(names(alter('restartAreaOffset', 0x31), 'restartAreaOffset'));
});

test.run();
