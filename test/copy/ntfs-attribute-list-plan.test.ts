// The attribute-list plan and records without a volume (populate-extension.ts, populate-extension-record.ts):
// random trees of hard-linked files (up to 400 names of 1–255 units) and sparse ones (up to 3,000 data ranges, up to
// 60 names), at 1 KiB and 4 KiB records, shaped, allocated (in fragmented free space) and encoded; every record decodes with our
// decoders, and each list names exactly the attributes its records hold, in type then VCN order, whose $DATA
// extents join into the file's runlist. The volume-level judges are in ntfs-attribute-list.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ATTR_TYPE } from '../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { decodeAttributeList } from '../../src/fs/ntfs/attributes/attribute-list.js';
import { createClusterAllocator } from '../../src/fs/ntfs/cluster-allocator.js';
import { decodeMftRecord } from '../../src/fs/ntfs/mft-record.js';
import { decodeMftRef } from '../../src/fs/ntfs/ntfs-time.js';
import { attributeListValue } from '../../src/fs/ntfs/populate-extension-record.js';
import { placeOf, runsIn } from '../../src/fs/ntfs/populate-extension.js';
import { FIRST_USER_RECORD, allocatePopulation, dataRuns, namesOf, populatedRecordCount, shapePopulation, type PlacedFile } from '../../src/fs/ntfs/populate-plan.js';
import { encodeExtensionRecord, encodePopulatedRecord, type RecordContext } from '../../src/fs/ntfs/populate-record.js';
import { decodeRunlist, type Run } from '../../src/fs/ntfs/runlist.js';
import { buildUpcaseTable } from '../../src/fs/ntfs/upcase.js';
import type { ByteRange, TreeDir, TreeFile } from '../../src/disk-types.js';

const UPCASE = buildUpcaseTable();
const UNIT = 64 * 1024;

function file(name: string, sizeBytes: number, linkGroup: string | null, dataRanges?: ByteRange[]): TreeFile {
  return { kind: 'file', name, sizeBytes, mtime: 0, readOnly: false, linkGroup, source: 0, order: 0, dir: '/', ...(dataRanges ? { dataRanges } : {}) };
}

interface Shape {
  readonly rs: 1024 | 4096;
  readonly clusterCount: number;
  readonly nameLengths: number[];
  readonly dirs: number;
  readonly linkedSize: number;
  /** data units (of UNIT) of the sparse file: a run of units holding data, then a run of holes, repeated */
  readonly sparse: [number, number][];
  readonly sparseNames: number;
  /** clusters taken before the tree's, to fragment the free space */
  readonly taken: number[];
}

/** A tree: `dirs` directories, a file with one name per `nameLengths` spread over them, and a sparse file. */
function treeOf(s: Shape): TreeDir {
  const byDir: TreeFile[][] = Array.from({ length: s.dirs }, () => []);
  s.nameLengths.forEach((n, i) => byDir[i % s.dirs].push(file(`${i}`.padEnd(n, 'é'), s.linkedSize, 'group')));
  const ranges: ByteRange[] = [];
  let at = 0;
  for (const [data, hole] of s.sparse) {
    ranges.push({ offsetBytes: at * UNIT, lengthBytes: data * UNIT });
    at += data + hole;
  }
  const dirs: TreeDir[] = byDir.map((files, k) => ({ kind: 'dir', name: `d${k}`, mtime: 0, entries: files.sort((a, b) => (a.name < b.name ? -1 : 1)) }));
  // The sparse file has names of its own too (one for sparseNames 1: no link group).
  const sparse = Array.from({ length: s.sparseNames }, (_, k) => file(`sparse ${k}`.padEnd(k * 7 % 200 + 8, 'ü'), at * UNIT, s.sparseNames > 1 ? 'sparse' : null, ranges));
  return { kind: 'dir', name: '', mtime: 0, entries: [...dirs, ...sparse].sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

/** Arrays of any length from 1 to `max` alike (fast-check's own lengths stay small). */
const sized = <T>(item: fc.Arbitrary<T>, max: number): fc.Arbitrary<T[]> => fc.integer({ min: 1, max }).chain((n) => fc.array(item, { minLength: n, maxLength: n }));

const shapes = fc.record({
  rs: fc.constantFrom(1024 as const, 4096 as const),
  clusterCount: fc.integer({ min: 1 << 20, max: 2 ** 36 }),
  nameLengths: sized(fc.integer({ min: 1, max: 255 }), 400),
  dirs: fc.integer({ min: 1, max: 4 }),
  linkedSize: fc.constantFrom(0, 20, 5000, 300_000),
  sparse: sized(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 })), 3000),
  sparseNames: fc.integer({ min: 1, max: 60 }),
  taken: fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 2 }),
});

/** The records of `record`'s file, decoded: [record number, its attributes] (base first). */
function recordsOf(ctx: RecordContext, item: PlacedFile): { record: number; base: number | null; linkCount: number; attrs: DecodedAttribute[] }[] {
  const listed = ctx.population.extensions.byBase.get(item.record);
  const numbers = [item.record, ...Array.from({ length: listed?.extensionCount ?? 0 }, (_, j) => listed!.firstExtension + j)];
  return numbers.map((n) => {
    const bytes = n === item.record ? encodePopulatedRecord(item, ctx, null, null) : encodeExtensionRecord(n, ctx)!;
    const { header, record } = decodeMftRecord(bytes, ctx.mftRecordSize);
    assert.is(header.mftRecordNumber, n);
    const base = decodeMftRef(header.baseMftRecord);
    return { record: n, base: n === item.record ? null : base.recordNumber, linkCount: header.linkCount, attrs: decodeAttributes(record, header.attrsOffset, header.bytesInUse) };
  });
}

/** The runs of a file's $DATA extents, joined (each extent's LCN deltas start again from 0). */
function joinedRuns(extents: DecodedAttribute[]): Run[] {
  const runs: Run[] = [];
  let vcn = 0;
  for (const a of [...extents].sort((x, y) => x.nonResident!.header.lowestVcn - y.nonResident!.header.lowestVcn)) {
    const h = a.nonResident!.header;
    assert.is(h.lowestVcn, vcn, 'extents follow each other');
    const piece = decodeRunlist(a.nonResident!.mappingPairs);
    runs.push(...piece);
    vcn += piece.reduce((n, r) => n + r.length, 0);
    assert.is(h.highestVcn, vcn - 1);
  }
  return runs;
}

const merged = (runs: readonly Run[]): Run[] => runs.reduce<Run[]>((out, r) => {
  const last = out[out.length - 1];
  if (last && ((last.lcn === null && r.lcn === null) || (last.lcn !== null && r.lcn !== null && last.lcn + last.length === r.lcn))) out[out.length - 1] = { lcn: last.lcn, length: last.length + r.length };
  else out.push(r);
  return out;
}, []);

test('attribute lists: every record fits, every list names exactly its attributes, the $DATA extents join into the runlist', () => {
  const seen = { listed: 0, splitData: 0, nonResidentList: 0 };
  fc.assert(fc.property(shapes, (s) => {
    const geometry = { mftRecordSize: s.rs, indexRecordSize: 4096, clusterSize: 4096, clusterCount: s.clusterCount, upcase: UPCASE };
    const { population, problems } = shapePopulation(treeOf(s), geometry);
    assert.equal(problems, []);
    const alloc = createClusterAllocator(s.clusterCount, 1024);
    let lcn = 2048;
    for (const t of s.taken) {
      lcn += t + 1;
      alloc.allocateAt(lcn, 1); // a used cluster splits the free space
    }
    allocatePopulation(population, geometry, alloc);
    const ctx: RecordContext = { mftRecordSize: s.rs, clusterSize: 4096, indexRecordSize: 4096, timestamp: 0, upcase: UPCASE, population };
    let extensionRecords = 0;
    for (const item of population.items) {
      if (item.kind !== 'file') continue;
      const listed = population.extensions.byBase.get(item.record);
      const records = recordsOf(ctx, item);
      const all = records.flatMap((r) => r.attrs.map((a) => ({ record: r.record, a })));
      assert.is(all.filter(({ a }) => a.type === ATTR_TYPE.FILE_NAME).length, namesOf(item).length, 'one $FILE_NAME per name');
      assert.is(records[0].linkCount, namesOf(item).length);
      const data = all.filter(({ a }) => a.type === ATTR_TYPE.DATA).map(({ a }) => a);
      if (!item.resident) assert.equal(merged(joinedRuns(data)), merged(dataRuns(item)), 'the extents hold the runlist');
      if (!listed) {
        assert.is(records.length, 1);
        continue;
      }
      extensionRecords += listed.extensionCount;
      seen.listed++;
      if (listed.dataExtents.length > 1) seen.splitData++;
      if (!listed.listResident) seen.nonResidentList++;
      assert.ok(records.slice(1).every((r) => r.base === item.record && r.linkCount === 0 && r.attrs.length > 0), 'extension records name their base');
      const listAttr = records[0].attrs.find((a) => a.type === ATTR_TYPE.ATTRIBUTE_LIST)!;
      const value = listAttr.resident ? listAttr.resident.value : attributeListValue(listed);
      if (!listAttr.resident) assert.is(listAttr.nonResident!.header.dataSize, value.length);
      const entries = decodeAttributeList(value);
      const held = all.filter(({ a }) => a.type !== ATTR_TYPE.ATTRIBUTE_LIST).map(({ record, a }) => `${a.type}/${a.nonResident?.header.lowestVcn ?? 0}@${record}#${a.instance}`);
      assert.equal(entries.map((e) => `${e.type}/${e.lowestVcn}@${e.recordNumber}#${e.instance}`).sort(), held.sort(), 'the list names what the records hold');
      assert.ok(entries.every((e, i) => i === 0 || e.type > entries[i - 1].type || (e.type === entries[i - 1].type && e.lowestVcn >= entries[i - 1].lowestVcn)), 'sorted by type, then VCN');
      assert.ok(entries.every((e) => e.sequenceNumber === 1));
      assert.ok(entries.every((e, i) => i === 0 || e.instance > entries[i - 1].instance), 'instances rise along the list');
      assert.is(records[0].attrs.filter((a) => a.type === ATTR_TYPE.FILE_NAME).length > 0, true, 'the first name stays in the base record');
    }
    assert.is(extensionRecords, population.extensions.recordCount);
    assert.is(populatedRecordCount(population), population.items.length + extensionRecords);
    const extensions = population.extensions.inOrder;
    extensions.forEach((l, i) => assert.is(l.firstExtension, i === 0 ? FIRST_USER_RECORD + population.items.length : extensions[i - 1].firstExtension + extensions[i - 1].extensionCount, 'numbered in a row after the base records'));
  }), { numRuns: 40 });
  // The runs above did reach what they are for.
  assert.ok(seen.listed > 20 && seen.splitData > 5 && seen.nonResidentList > 0, JSON.stringify(seen));
});

test('runsIn cuts a runlist at VCNs; placeOf numbers instances across the file', () => {
  const runs: Run[] = [{ lcn: null, length: 16 }, { lcn: 100, length: 16 }, { lcn: null, length: 16 }, { lcn: 200, length: 5 }];
  assert.equal(runsIn(runs, { vcn: 8, length: 16 }), [{ lcn: null, length: 8 }, { lcn: 100, length: 8 }]);
  assert.equal(runsIn(runs, { vcn: 24, length: 29 }), [{ lcn: 108, length: 8 }, { lcn: null, length: 16 }, { lcn: 200, length: 5 }]);
  const listed = { base: 70, firstExtension: 90, extensionCount: 2, nameCount: 3, dataExtents: [{ vcn: 0, length: 1 }], cuts: [1, 3], listBytes: 160, listResident: true, listRuns: [] };
  assert.equal([0, 1, 2, 3].map((i) => placeOf(listed, i)), [{ record: 70, instance: 2 }, { record: 90, instance: 3 }, { record: 90, instance: 4 }, { record: 91, instance: 5 }]);
});

test('a tree needing no attribute list keeps its records and numbering', () => {
  const geometry = { mftRecordSize: 1024, indexRecordSize: 4096, clusterSize: 4096, clusterCount: 1 << 20, upcase: UPCASE };
  const tree: TreeDir = { kind: 'dir', name: '', mtime: 0, entries: [file('a', 10, 'g'), file('b', 10, 'g'), file('c', 100_000, null)] };
  const { population } = shapePopulation(tree, geometry);
  assert.is(population.extensions.recordCount, 0);
  assert.is(populatedRecordCount(population), 2);
});

test('files of 2 GiB and more are non-resident, with all their clusters (sizes past 2^31 and 2^32)', () => {
  const geometry = { mftRecordSize: 1024, indexRecordSize: 4096, clusterSize: 4096, clusterCount: 1 << 22, upcase: UPCASE };
  const sizes = [2 ** 31, 3 * 2 ** 30, 2 ** 32 + 1, 5 * 2 ** 30 + 7];
  const tree: TreeDir = { kind: 'dir', name: '', mtime: 0, entries: sizes.map((n, i) => file(`f${i}`, n, null)) };
  const { population } = shapePopulation(tree, geometry);
  population.items.forEach((item, i) => {
    assert.is(item.kind === 'file' && item.resident, false, `${sizes[i]} bytes`);
    assert.is(item.kind === 'file' && item.clusters, Math.ceil(sizes[i] / 4096));
  });
});

test.run();
