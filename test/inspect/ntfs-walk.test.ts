// The whole-volume NTFS checks (src/inspect/ntfs-walk-checks.ts) on a volume mkntfs made and ntfs-3g filled: no
// error on the clean volume (a multi-level index, deletions, renames, hard links, a DOS alias, compressed, sparse
// and stream-heavy files with an attribute list, a symlink), then one damage at a time, each reported with its
// own code; wherever `ntfsck -n` finds errors, verify reports an error too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linkSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ATTR_TYPE } from '../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes, NON_RESIDENT_ATTRIBUTE_HEADER } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { MFT_RECORD_HEADER } from '../../src/fs/ntfs/mft-record.js';
import { decodeMftRef, encodeMftRef } from '../../src/fs/ntfs/ntfs-time.js';
import { inspectNtfsVolume } from '../../src/inspect/fs-ntfs.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { SHARED_DIR } from '../helpers/paths.js';
import { findFile, firstLcn, geometryOf, INDEX_HEADER_AT, readRecord, residentValue, withClusterFree, withFirstLcn, withRecord, type FoundRecord, type Geometry } from './ntfs-edit.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

const NTFSCK = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');

const POPULATE_COMPRESSED = String.raw`
set -e
cd "$1"
mkdir compressed
setfattr -n system.ntfs_attrib_be -v 0x00000800 compressed
yes 'compressible line of text' | head -c 300000 > compressed/text.txt
mkdir small
printf 'one' > small/one.txt
printf 'two' > small/two.txt
printf 'long' > 'Long File Name.txt'
setfattr -n system.ntfs_dos_name -v 'LONGFI~1.TXT' 'Long File Name.txt'
touch attrlist.txt
i=0; while [ $i -lt 60 ]; do head -c 150 /dev/zero | tr '\0' "$((i % 10))" > "attrlist.txt:stream$i"; i=$((i+1)); done
`;

/** Damage to directory indexes and names: an entry removed, an entry with a stale sequence number, a used index block marked free, a parent reference to a free record. */
function indexCases(clean: Uint8Array, g: Geometry, b: FoundRecord): [string, Uint8Array][] {
  const small = findFile(clean, g, 'small');
  const many = findFile(clean, g, 'many');
  const withoutFirstEntry = withRecord(clean, small, (record) => {
    const root = residentValue(small, record, ATTR_TYPE.INDEX_ROOT, '$I30');
    const view = new DataView(root.buffer, root.byteOffset, root.length);
    const entriesAt = INDEX_HEADER_AT + view.getUint32(INDEX_HEADER_AT, true);
    const indexLength = view.getUint32(INDEX_HEADER_AT + 4, true);
    const first = view.getUint16(entriesAt + 8, true);
    root.copyWithin(entriesAt, entriesAt + first, INDEX_HEADER_AT + indexLength);
    view.setUint32(INDEX_HEADER_AT + 4, indexLength - first, true);
  });
  const staleEntry = withRecord(clean, small, (record) => {
    const root = residentValue(small, record, ATTR_TYPE.INDEX_ROOT, '$I30');
    const entriesAt = INDEX_HEADER_AT + new DataView(root.buffer, root.byteOffset).getUint32(INDEX_HEADER_AT, true);
    const ref = decodeMftRef(root.subarray(entriesAt, entriesAt + 8));
    root.set(encodeMftRef(ref.recordNumber, ref.sequenceNumber + 1), entriesAt);
  });
  const blockMarkedFree = withRecord(clean, many, (record) => {
    residentValue(many, record, ATTR_TYPE.BITMAP, '$I30')[0] &= ~1;
  });
  let free = g.recordCount - 1;
  while (readRecord(clean, g, free) && (readRecord(clean, g, free)!.header.flags & 1) !== 0) free--;
  const parentFree = withRecord(clean, b, (record) => {
    residentValue(b, record, ATTR_TYPE.FILE_NAME).set(encodeMftRef(free, 1), 0);
  });
  return [
    ['NTFS_FILE_NOT_INDEXED', withoutFirstEntry],
    ['NTFS_INDEX_ENTRY_ORPHAN', staleEntry],
    ['NTFS_INDEX_BITMAP', blockMarkedFree],
    ['NTFS_PARENT_REFERENCE_BAD', parentFree],
  ];
}

test('whole-volume NTFS checks: clean after ntfs-3g wrote many kinds of files; each damage has its code; ntfsck -n agrees', async () => {
  for (const tool of ['mkntfs', 'ntfs-3g', 'fusermount3', 'setfattr', 'truncate']) requireTool(tool);
  const dir = makeTempDir('guestdisk-ntfs-walk-');
  try {
    const path = join(dir.path, 'volume.img');
    const mnt = join(dir.path, 'mnt');
    mkdirSync(mnt);
    writeFileSync(path, new Uint8Array(0));
    mustRun('truncate', ['-s', '32M', path]);
    mustRun('mkntfs', ['-F', '-q', '-Q', '-L', 'Walk', path]);
    mustRun('ntfs-3g', ['-o', 'streams_interface=windows', path, mnt]);
    try {
      mkdirSync(join(mnt, 'many'));
      for (let i = 0; i < 800; i++) writeFileSync(join(mnt, 'many', `a longer entry name ${i}.txt`), `entry ${i}\n`);
      for (let i = 0; i < 800; i += 5) unlinkSync(join(mnt, 'many', `a longer entry name ${i}.txt`));
      for (let i = 2; i < 60; i += 10) renameSync(join(mnt, 'many', `a longer entry name ${i}.txt`), join(mnt, `moved ${i}.txt`));
      writeFileSync(join(mnt, 'a.bin'), new Uint8Array(65536).fill(0x61));
      writeFileSync(join(mnt, 'b.bin'), new Uint8Array(65536).fill(0x62));
      linkSync(join(mnt, 'a.bin'), join(mnt, 'a hard link.bin'));
      symlinkSync('a.bin', join(mnt, 'symlink'));
      writeFileSync(join(mnt, 'b.bin:stream'), 'alternate data stream\n');
      mustRun('truncate', ['-s', '5M', join(mnt, 'sparse.bin')]);
      mustRun('bash', ['-c', POPULATE_COMPRESSED, 'populate', mnt]);
    } finally {
      mustRun('fusermount3', ['-u', mnt]);
    }
    const clean = new Uint8Array(readFileSync(path));
    const errorsOf = async (bytes: Uint8Array): Promise<string[]> => {
      const { findings } = await inspectNtfsVolume(openMemoryTarget({ sizeBytes: bytes.length, initial: bytes }), { partitionStartLba: null, partitionSizeBytes: bytes.length });
      return findings.filter((f) => f.severity === 'error').map((f) => f.code).sort();
    };
    const ntfsck = (bytes: Uint8Array): number => {
      writeFileSync(path, bytes);
      return runTool(NTFSCK, ['-n', '-q', path]).status;
    };
    assert.equal(await errorsOf(clean), []);
    assert.is(ntfsck(clean), 0, 'ntfsck -n finds the clean volume clean');

    const g = geometryOf(clean);
    const a = findFile(clean, g, 'a.bin');
    const b = findFile(clean, g, 'b.bin');
    const aRun = firstLcn(a);
    const extension = (() => {
      for (let n = 24; n < g.recordCount; n++) {
        const r = readRecord(clean, g, n);
        if (r && (r.header.flags & 1) !== 0 && decodeMftRef(r.header.baseMftRecord).recordNumber !== 0) return r;
      }
      throw new Error('ntfs-3g made no extension record');
    })();
    const cases: [string, Uint8Array][] = [
      ['NTFS_LINK_COUNT', withRecord(clean, b, (_, view) => view.setUint16(MFT_RECORD_HEADER.fields.linkCount.offset, 3, true))],
      ['NTFS_BITMAP_FILE_CLUSTERS_FREE', withClusterFree(clean, g, firstLcn(b).lcn + 3)],
      ['NTFS_CLUSTER_CROSS_LINKED', withFirstLcn(clean, b, aRun.lcn)],
      ['NTFS_RUN_BEYOND_VOLUME', withFirstLcn(clean, b, g.clusterCount - 2)],
      ['NTFS_RECORD_DAMAGED', (() => {
        const out = Uint8Array.from(clean);
        out[b.at + 510] ^= 0xff; // the update sequence number at the end of the record's first sector
        return out;
      })()],
      ['NTFS_EXTENSION_RECORD_ORPHAN', withRecord(clean, extension, (record) => {
        const base = decodeMftRef(extension.header.baseMftRecord);
        record.set(encodeMftRef(base.recordNumber, base.sequenceNumber + 1), MFT_RECORD_HEADER.fields.baseMftRecord.offset);
      })],
      ['NTFS_ATTRIBUTE_SIZES', withRecord(clean, b, (record) => {
        const data = decodeAttributes(record, b.header.attrsOffset, b.header.bytesInUse).find((x) => x.type === ATTR_TYPE.DATA && x.name === '')!;
        const view = new DataView(record.buffer);
        const allocated = data.nonResident!.header.allocatedSize;
        view.setUint32(data.offsetBytes + NON_RESIDENT_ATTRIBUTE_HEADER.fields.dataSize.offset, allocated + g.clusterSize, true);
      })],
      ...indexCases(clean, g, b),
    ];
    for (const [code, damaged] of cases) {
      const errors = await errorsOf(damaged);
      assert.ok(errors.includes(code), `${code}: verify reports ${JSON.stringify(errors)}`);
      const status = ntfsck(damaged);
      if (status !== 0) assert.ok(errors.length > 0, `${code}: ntfsck -n exits ${status}, verify finds no error`);
    }
  } finally {
    runTool('fusermount3', ['-u', join(dir.path, 'mnt')]);
    dir.remove();
  }
});

test.run();
