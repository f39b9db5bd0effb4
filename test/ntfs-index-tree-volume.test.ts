// The index tree builder on real volumes, judged by tools we did not write. A guestdisk NTFS volume gets
// directories of many files through ntfs-3g (which makes the MFT records); then each directory's $I30 is replaced
// by the one buildIndexTree makes from the same entries: the new $INDEX_ROOT goes into the directory's record, the
// new INDX blocks into the first blocks of its $INDEX_ALLOCATION (the rest zeroed), the new $BITMAP marks just
// those. ntfsck -n, ntfsfix -n, sleuthkit's fls and ntfs-3g must then see every name, and ntfs-3g must still add
// 2,000 names to and delete half of the names from each directory with ntfsck -n clean afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyFixups } from '../src/fs/ntfs/fixup.js';
import { ATTR_TYPE, COLLATION, INDEX_NAME } from '../src/fs/ntfs/attribute-types.js';
import { decodeAttributeList } from '../src/fs/ntfs/attributes/attribute-list.js';
import { decodeAttributes, encodeResidentAttribute, RESIDENT_ATTRIBUTE_HEADER, type DecodedAttribute, type EncodedAttribute } from '../src/fs/ntfs/attributes/attribute-header.js';
import { encodeFileName } from '../src/fs/ntfs/attributes/file-name.js';
import { collateFileNames } from '../src/fs/ntfs/collation.js';
import { encodeFileIndexEntry } from '../src/fs/ntfs/index-entry.js';
import { buildIndexTree, type IndexTree } from '../src/fs/ntfs/index-tree.js';
import { decodeMftRecord, layoutMftRecord, MFT_RECORD_HEADER, MFT_RECORD_USA_OFFSET, type MftRecordHeader } from '../src/fs/ntfs/mft-record.js';
import { encodeMftRef } from '../src/fs/ntfs/ntfs-time.js';
import type { Run } from '../src/fs/ntfs/runlist.js';
import { buildUpcaseTable } from '../src/fs/ntfs/upcase.js';
import { mapVcns, readAttributeBytes, runStarts } from '../src/read/ntfs-data.js';
import { findInDirectoryIndex, walkDirectoryIndex } from '../src/read/ntfs-index.js';
import { findAttribute, openNtfsMft, type NtfsMft } from '../src/read/ntfs-mft.js';
import type { BlockTarget } from '../src/target/block-target.js';
import { openFileTarget } from '../src/target/file-target.js';
import { MIB, ntfsInput, planNtfs, writeVolumeFile } from './fs/ntfs/volume-helpers.js';
import { SHARED_DIR } from './helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from './helpers/tools.js';

const upcase = buildUpcaseTable();
const tmp = makeTempDir('ntfs-index-tree-');
test.after(() => tmp.remove());

function ntfsckPath(): string {
  const path = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');
  if (!existsSync(path)) throw new Error(`test needs ${path} (shared/tools/ntfsck, see its README)`);
  return path;
}

const byCollation = (a: string, b: string): number => collateFileNames(upcase, a, b);

/** Names of every kind: short, 255 units, accents, CJK, a surrogate pair, pairs that differ only in case. */
function mixedNames(count: number, tag: string): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    const id = `${tag}${i.toString(36).padStart(5, '0')}`;
    switch (i % 10) {
      case 0: names.push(`${id}-${'L'.repeat(255 - id.length - 1)}`); break;
      case 1: names.push(`é漢-${id}.txt`); break;
      case 2: names.push(`😀${id}`); break;
      case 3: names.push(`Case-${id}`, `case-${id}`); break;
      default: names.push(`file-${id}.dat`);
    }
  }
  return names.slice(0, count);
}

/** Long names only: five to a block, so a few thousand make a deep tree. */
function longNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${String(i).padStart(6, '0')}${'ü'.repeat(249)}`);
}

/** Creates the files through an ntfs-3g mount: one python process, names from a file (one per line). */
function populate(image: string, dirs: Record<string, readonly string[]>): void {
  const mnt = join(tmp.path, 'mnt');
  mustRun('mkdir', ['-p', mnt]);
  mustRun('ntfs-3g', [image, mnt]);
  try {
    for (const [dir, names] of Object.entries(dirs)) {
      const list = join(tmp.path, `${dir}.names`);
      writeFileSync(list, names.join('\n'));
      const script = 'import os,sys\nd=sys.argv[1]\nos.mkdir(d)\nfor n in open(sys.argv[2],encoding="utf-8").read().split("\\n"):\n  open(os.path.join(d,n),"w").close()\n';
      mustRun('python3', ['-c', script, join(mnt, dir), list], { timeoutMs: 600_000 });
    }
  } finally {
    mustRun('umount', [mnt]);
  }
}

/** Writes `bytes` at byte `offsetBytes` of a non-resident attribute with these runs. */
async function writeThroughRuns(volume: BlockTarget, runs: readonly Run[], clusterSize: number, offsetBytes: number, bytes: Uint8Array): Promise<void> {
  const starts = runStarts(runs);
  let done = 0;
  while (done < bytes.length) {
    const at = offsetBytes + done;
    const vcn = Math.floor(at / clusterSize);
    const [piece] = mapVcns(runs, starts, vcn, 1);
    if (piece.lcn === null) throw new Error(`VCN ${vcn} is not allocated`);
    const within = at - vcn * clusterSize;
    const take = Math.min(clusterSize - within, bytes.length - done);
    await volume.write(piece.lcn * clusterSize + within, bytes.subarray(done, done + take));
    done += take;
  }
}

interface Replaced {
  readonly names: string[];
  readonly tree: IndexTree;
  readonly oldBlocks: number;
}

/** Replaces the $I30 of /`dir` by buildIndexTree's, from the entries ntfs-3g's index holds. */
async function replaceIndex(image: string, dir: string): Promise<Replaced> {
  const volume = await openFileTarget({ path: image, mode: 'write' });
  try {
    const mft = await openNtfsMft(volume);
    const g = mft.geometry;
    const root = (await mft.loadFile(5))!;
    const [hit] = await findInDirectoryIndex(mft, root, dir, upcase);
    const file = (await mft.loadFile(hit.recordNumber))!;
    const names: string[] = [];
    const entries: Uint8Array[] = [];
    for await (const e of walkDirectoryIndex(mft, file)) {
      names.push(e.fileName.fileName);
      entries.push(encodeFileIndexEntry(encodeMftRef(e.recordNumber, e.sequenceNumber), encodeFileName(e.fileName)));
    }
    for (let i = 1; i < names.length; i++) assert.ok(byCollation(names[i - 1], names[i]) < 0, `ntfs-3g's order is our collation order at ${i}`);
    const allocation = findAttribute(file, ATTR_TYPE.INDEX_ALLOCATION, INDEX_NAME.I30)!.nonResident!;
    const oldBlocks = allocation.dataSize / g.indexRecordSize;

    // The records holding $INDEX_ROOT and $BITMAP: the base record, or (ntfs-3g moves attributes out when long
    // names fill the base) the extension records the $ATTRIBUTE_LIST names. The list names types, names and
    // records, not sizes, so it stays right when the root changes size.
    const list = findAttribute(file, ATTR_TYPE.ATTRIBUTE_LIST);
    const listed = list ? decodeAttributeList(await readAttributeBytes(mft.metadata, g.clusterSize, list, 1 << 20)) : [];
    const recordOf = (type: number): number => listed.find((e) => e.type === type && e.name === INDEX_NAME.I30)?.recordNumber ?? hit.recordNumber;
    const mftData = findAttribute((await mft.loadFile(0))!, ATTR_TYPE.DATA)!.nonResident!;
    const rootRecord = await readRecord(mft, mftData.runs, recordOf(ATTR_TYPE.INDEX_ROOT));
    const oldRoot = rootRecord.attrs.find((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.name === INDEX_NAME.I30)!;
    const indexRootMaxBytes = oldRoot.resident!.value.length + (g.mftRecordSize - rootRecord.header.bytesInUse);

    const tree = buildIndexTree({ entries, type: ATTR_TYPE.FILE_NAME, collationRule: COLLATION.FILE_NAME, indexBlockSize: g.indexRecordSize, clusterSize: g.clusterSize, indexRootMaxBytes });
    assert.ok(tree.indexBlocks.length <= oldBlocks, `${tree.indexBlocks.length} blocks fit the ${oldBlocks} ntfs-3g allocated`);
    for (let i = 0; i < oldBlocks; i++) {
      const bytes = tree.indexBlocks[i] ?? new Uint8Array(g.indexRecordSize);
      await writeThroughRuns(volume, allocation.runs, g.clusterSize, i * g.indexRecordSize, bytes);
    }
    // The $BITMAP keeps its size (it covers the whole allocation); only the new blocks' bits are set.
    const oldBitmap = findAttribute(file, ATTR_TYPE.BITMAP, INDEX_NAME.I30)!;
    const bitmap = new Uint8Array(oldBitmap.resident ? oldBitmap.resident.length : oldBitmap.nonResident!.dataSize);
    bitmap.set(tree.bitmap!);
    const values = new Map<number, Uint8Array>([[ATTR_TYPE.INDEX_ROOT, tree.indexRoot]]);
    if (!oldBitmap.resident) await writeThroughRuns(volume, oldBitmap.nonResident!.runs, g.clusterSize, 0, bitmap);
    else if (recordOf(ATTR_TYPE.BITMAP) === rootRecord.recordNumber) values.set(ATTR_TYPE.BITMAP, bitmap);
    else await writeRecord(volume, mftData.runs, await readRecord(mft, mftData.runs, recordOf(ATTR_TYPE.BITMAP)), new Map([[ATTR_TYPE.BITMAP, bitmap]]));
    await writeRecord(volume, mftData.runs, rootRecord, values);
    await volume.flush();
    return { names, tree, oldBlocks };
  } finally {
    await volume.close();
  }
}

interface RawRecord {
  readonly recordNumber: number;
  readonly recordSize: number;
  readonly clusterSize: number;
  readonly header: MftRecordHeader;
  readonly record: Uint8Array;
  readonly attrs: DecodedAttribute[];
}

async function readRecord(mft: NtfsMft, mftRuns: readonly Run[], recordNumber: number): Promise<RawRecord> {
  const { mftRecordSize, clusterSize } = mft.geometry;
  const { header, record } = decodeMftRecord(await readThroughRuns(mft, mftRuns, recordNumber * mftRecordSize, mftRecordSize), mftRecordSize);
  return { recordNumber, recordSize: mftRecordSize, clusterSize, header, record, attrs: decodeAttributes(record, header.attrsOffset, header.bytesInUse) };
}

/** The record laid out again with new values for its resident $I30 attributes of the types in `values`. */
async function writeRecord(volume: BlockTarget, mftRuns: readonly Run[], raw: RawRecord, values: ReadonlyMap<number, Uint8Array>): Promise<void> {
  const { header, record } = raw;
  const rebuilt: EncodedAttribute[] = raw.attrs.map((a) => {
    const value = a.name === INDEX_NAME.I30 && a.resident ? values.get(a.type) : undefined;
    if (value) return encodeResidentAttribute({ type: a.type, name: a.name, instance: a.instance, value });
    return { type: a.type, name: a.name, bytes: record.slice(a.offsetBytes, a.offsetBytes + RESIDENT_ATTRIBUTE_HEADER.decode(record.subarray(a.offsetBytes)).length) };
  });
  assert.is(raw.attrs.filter((a) => a.name === INDEX_NAME.I30 && a.resident && values.has(a.type)).length, values.size, `record ${raw.recordNumber} holds every attribute to replace`);
  const laid = layoutMftRecord({
    recordSize: raw.recordSize,
    recordNumber: raw.recordNumber,
    sequenceNumber: header.sequenceNumber,
    linkCount: header.linkCount,
    flags: header.flags,
    nextAttrInstance: header.nextAttrInstance,
    attributes: rebuilt,
  });
  // layoutMftRecord writes base records; an extension record keeps its base reference.
  MFT_RECORD_HEADER.encodeInto({ ...MFT_RECORD_HEADER.decode(laid), baseMftRecord: header.baseMftRecord }, laid);
  await writeThroughRuns(volume, mftRuns, raw.clusterSize, raw.recordNumber * raw.recordSize, applyFixups(laid, MFT_RECORD_USA_OFFSET, 1));
}

async function readThroughRuns(mft: NtfsMft, runs: readonly Run[], offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
  const cs = mft.geometry.clusterSize;
  const out = new Uint8Array(lengthBytes);
  const starts = runStarts(runs);
  for (let done = 0; done < lengthBytes;) {
    const at = offsetBytes + done;
    const vcn = Math.floor(at / cs);
    const [piece] = mapVcns(runs, starts, vcn, 1);
    const within = at - vcn * cs;
    const take = Math.min(cs - within, lengthBytes - done);
    out.set(await mft.volume.read(piece.lcn! * cs + within, take), done);
    done += take;
  }
  return out;
}

/** Names of /`dir` through guestdisk's reader (the index walk, in order). */
async function readNames(image: string, dir: string): Promise<string[]> {
  const volume = await openFileTarget({ path: image, mode: 'read' });
  try {
    const mft = await openNtfsMft(volume);
    const [hit] = await findInDirectoryIndex(mft, (await mft.loadFile(5))!, dir, upcase);
    const names: string[] = [];
    for await (const e of walkDirectoryIndex(mft, (await mft.loadFile(hit.recordNumber))!)) names.push(e.fileName.fileName);
    return names;
  } finally {
    await volume.close();
  }
}

function ntfsChecks(image: string): void {
  const loop = attachLoop(image);
  try {
    const ck = runTool(ntfsckPath(), ['-n', loop.device], { timeoutMs: 600_000 });
    assert.is(ck.status, 0, `ntfsck -n: ${(ck.stdout + ck.stderr).trim().split('\n').slice(-6).join(' | ')}`);
    const fix = runTool('ntfsfix', ['-n', loop.device]);
    assert.is(fix.status, 0, `ntfsfix -n: ${fix.stdout}${fix.stderr}`);
  } finally {
    loop.detach();
  }
}

/** fls of one directory (by record number): allocated names only. */
function flsNames(image: string, recordNumber: number): string[] {
  const out = mustRun('fls', ['-f', 'ntfs', image, String(recordNumber)]);
  return out.split('\n').filter((l) => l && !/^\S+ \* /.test(l)).map((l) => l.slice(l.indexOf('\t') + 1));
}

async function recordOf(image: string, dir: string): Promise<number> {
  const volume = await openFileTarget({ path: image, mode: 'read' });
  try {
    const mft = await openNtfsMft(volume);
    return (await findInDirectoryIndex(mft, (await mft.loadFile(5))!, dir, upcase))[0].recordNumber;
  } finally {
    await volume.close();
  }
}

/** Through ntfs-3g: the listing, then 2,000 new names and every other old name deleted, per directory. */
function churn(image: string, dirs: Record<string, readonly string[]>): Record<string, string[]> {
  const mnt = join(tmp.path, 'mnt');
  mustRun('mkdir', ['-p', mnt]);
  mustRun('ntfs-3g', [image, mnt]);
  const expected: Record<string, string[]> = {};
  try {
    for (const [dir, names] of Object.entries(dirs)) {
      const listed = mustRun('python3', ['-c', 'import os,sys\nprint("\\n".join(os.listdir(sys.argv[1])))', join(mnt, dir)], { timeoutMs: 600_000 }).split('\n').filter(Boolean);
      assert.equal(listed.sort(), [...names].sort(), `ntfs-3g lists /${dir}`);
      const added = [...mixedNames(1500, 'n'), ...longNames(500).map((n) => `new${n.slice(3)}`)];
      const deleted = [...names].sort(byCollation).filter((_, i) => i % 2 === 0);
      const addList = join(tmp.path, `${dir}.add`);
      const delList = join(tmp.path, `${dir}.del`);
      writeFileSync(addList, added.join('\n'));
      writeFileSync(delList, deleted.join('\n'));
      // Interleaved, so inserts split nodes the deletes have thinned and deletes reach entries of upper nodes.
      const script = [
        'import os,sys', 'd=sys.argv[1]',
        'add=open(sys.argv[2],encoding="utf-8").read().split("\\n")', 'rm=open(sys.argv[3],encoding="utf-8").read().split("\\n")',
        'for i in range(max(len(add),len(rm))):',
        '  if i<len(add): open(os.path.join(d,add[i]),"w").close()',
        '  if i<len(rm): os.unlink(os.path.join(d,rm[i]))',
      ].join('\n');
      mustRun('python3', ['-c', script, join(mnt, dir), addList, delList], { timeoutMs: 600_000 });
      const gone = new Set(deleted);
      expected[dir] = [...names.filter((n) => !gone.has(n)), ...added].sort(byCollation);
    }
  } finally {
    mustRun('umount', [mnt]);
  }
  return expected;
}

async function judgeVolume(clusterSize: number, dirs: Record<string, readonly string[]>, minDepth: Record<string, number>): Promise<void> {
  for (const t of ['ntfs-3g', 'ntfsfix', 'fls', 'python3', 'losetup']) requireTool(t);
  const image = join(tmp.path, `volume-${clusterSize}.img`);
  const plan = planNtfs(ntfsInput({ partitionSizeBytes: 1024 * MIB, clusterSize }));
  await writeVolumeFile(plan, image);
  populate(image, dirs);
  for (const [dir, names] of Object.entries(dirs)) {
    const { names: indexed, tree, oldBlocks } = await replaceIndex(image, dir);
    assert.equal([...indexed].sort(), [...names].sort(), `ntfs-3g indexed every name of /${dir}`);
    assert.ok(tree.depth >= minDepth[dir], `/${dir}: ${tree.depth} levels (${tree.indexBlocks.length} blocks where ntfs-3g had ${oldBlocks})`);
    assert.equal(await readNames(image, dir), indexed, `/${dir}: guestdisk's reader walks the new tree in order`);
    assert.equal(flsNames(image, await recordOf(image, dir)).sort(), [...names].sort(), `/${dir}: fls lists every name`);
  }
  ntfsChecks(image);
  const expected = churn(image, dirs);
  ntfsChecks(image);
  for (const dir of Object.keys(dirs)) assert.equal(await readNames(image, dir), expected[dir], `/${dir} after ntfs-3g's inserts and deletes`);
}

test('4 KiB clusters: 100,000 mixed names and 1,500 names of 255 units, rebuilt, then changed by ntfs-3g', async () => {
  await judgeVolume(4096, { many: mixedNames(100_000, 'm'), deep: longNames(1500) }, { many: 3, deep: 4 });
});

test('64 KiB clusters (index VCNs count 512-byte units): 10,000 mixed names, rebuilt, then changed by ntfs-3g', async () => {
  await judgeVolume(65536, { many: mixedNames(10_000, 'k') }, { many: 2 });
});

test.run();
