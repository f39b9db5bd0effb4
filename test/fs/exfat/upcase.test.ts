import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../../../src/errors.js';
import { compressUpcaseTable, expandUpcaseTable, upcaseMapping, upcaseTableChecksum, windowsUpcaseTable } from '../../../src/fs/exfat/upcase.js';
import { decodeExfatBootSector } from '../../../src/fs/exfat/boot-sector.js';
import { decodeUpcaseTableEntry } from '../../../src/fs/exfat/dir-entry.js';
import { makeTempDir, mustRun } from '../../helpers/tools.js';
import { EXFAT_CORPUS, loadCorpusVolume } from './corpus.js';

/** The up-case table of a volume image: found through its root directory's 0x82 entry. */
function upcaseTableOf(volume: Uint8Array, bootSectorIndex = 0): { bytes: Uint8Array; checksum: number } {
  const bps = 2 ** volume[bootSectorIndex * 512 + 0x6c];
  const bs = decodeExfatBootSector(volume.subarray(bootSectorIndex * bps, (bootSectorIndex + 1) * bps));
  const cluster = bps * 2 ** bs.sectorsPerClusterShift;
  const at = (c: number): number => bs.clusterHeapOffset * bps + (c - 2) * cluster;
  const root = volume.subarray(at(bs.firstClusterOfRootDirectory), at(bs.firstClusterOfRootDirectory) + cluster);
  for (let i = 0; i < cluster; i += 32) {
    if (root[i] === 0x82) {
      const e = decodeUpcaseTableEntry(root.subarray(i, i + 32));
      return { bytes: volume.slice(at(e.firstCluster), at(e.firstCluster) + e.dataLength), checksum: e.tableChecksum };
    }
  }
  throw new Error('no up-case table entry');
}

test('our table: 5836 bytes, TableChecksum 0xe619d30d', () => {
  const t = windowsUpcaseTable();
  assert.is(t.bytes.length, 5836);
  assert.is(t.checksum, 0xe619d30d);
  assert.is(upcaseTableChecksum(t.bytes), t.checksum);
});

test('the compressed table expands to the full mapping, and compresses back to the same bytes', () => {
  const t = windowsUpcaseTable();
  const expanded = expandUpcaseTable(t.bytes);
  assert.equal(expanded, upcaseMapping());
  assert.equal(compressUpcaseTable(expanded), t.bytes);
  // spot checks of the mapping itself
  const up = (c: string): string => String.fromCharCode(expanded[c.charCodeAt(0)]);
  assert.is(up('a'), 'A');
  assert.is(up('z'), 'Z');
  assert.is(up('é'), 'É');
  assert.is(up('ж'), 'Ж');
  assert.is(up('ａ'), 'Ａ');
  assert.is(up('A'), 'A');
  assert.is(up('1'), '1');
  assert.is(expanded[0xffff], 0xffff);
});

test('byte for byte equal to the tables Windows wrote (corpus), each with its stored checksum', () => {
  const ours = windowsUpcaseTable();
  for (const name of [EXFAT_CORPUS.exfatWin, EXFAT_CORPUS.exfatEncrypted, EXFAT_CORPUS.dissect]) {
    const theirs = upcaseTableOf(loadCorpusVolume(name));
    assert.is(theirs.checksum, ours.checksum, name);
    assert.equal(theirs.bytes, ours.bytes, name);
  }
  // win_exfat_7's main boot sector is damaged: go through the backup
  const w7 = upcaseTableOf(loadCorpusVolume(EXFAT_CORPUS.winExfat7), 12);
  assert.equal(w7.bytes, ours.bytes);
});

test('equal to the table mkfs.exfat writes, and its checksum', () => {
  const dir = makeTempDir('guestdisk-exfat-');
  try {
    const img = join(dir.path, 'mkfs.img');
    mustRun('truncate', ['-s', '8M', img]);
    mustRun('mkfs.exfat', [img]);
    const theirs = upcaseTableOf(new Uint8Array(readFileSync(img)));
    assert.is(theirs.checksum, 0xe619d30d);
    assert.is(upcaseTableChecksum(theirs.bytes), theirs.checksum);
    assert.equal(theirs.bytes, windowsUpcaseTable().bytes);
  } finally {
    dir.remove();
  }
});

test('expanding garbage is bounded and fails only with GuestdiskError', () => {
  const overrun = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  assert.throws(() => expandUpcaseTable(overrun), (e: unknown) => e instanceof GuestdiskError && e.code === 'CORRUPT_STRUCTURE');
  const tooMany = new Uint8Array(70000 * 2).fill(0x41);
  assert.throws(() => expandUpcaseTable(tooMany), (e: unknown) => e instanceof GuestdiskError);
  assert.is(expandUpcaseTable(new Uint8Array(3))[0x41], 0x41);
});

test.run();
