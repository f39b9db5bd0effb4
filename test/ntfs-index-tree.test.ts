// The index tree builder, checked by walking its output back through the INDX and $INDEX_ROOT decoders:
// in-order traversal returns the input, every leaf sits at one depth, blocks and bitmap agree, VCNs are dense,
// every node keeps room for one more entry of the largest size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isGuestdiskError } from '../src/errors.js';
import { readIntN } from '../src/binary/fields.js';
import { ATTR_TYPE, COLLATION, FILE_NAME_NAMESPACE, INDEX_ENTRY_FLAG, INDEX_HEADER_FLAG, INDEX_NAME, SYSTEM_FILE } from '../src/fs/ntfs/attribute-types.js';
import { encodeFileName } from '../src/fs/ntfs/attributes/file-name.js';
import { collateFileNames } from '../src/fs/ntfs/collation.js';
import { FILE_INDEX_ENTRY_HEADER, encodeFileIndexEntry, encodeViewIndexEntry, splitIndexEntries } from '../src/fs/ntfs/index-entry.js';
import { clustersPerIndexBlock, decodeIndexBlock, decodeIndexRoot, INDEX_BLOCK_HEADER } from '../src/fs/ntfs/index-node.js';
import {
  buildIndexTree,
  INDEX_ENTRY_VCN_BYTES,
  INDEX_NODE_RESERVE_BYTES,
  MAX_FILE_INDEX_ENTRY_BYTES,
  measureIndexTree,
  type IndexTree,
  type IndexTreeInput,
} from '../src/fs/ntfs/index-tree.js';
import { encodeMftRef } from '../src/fs/ntfs/ntfs-time.js';
import { buildUpcaseTable } from '../src/fs/ntfs/upcase.js';
import { readAttributeBytes } from '../src/read/ntfs-data.js';
import { findAttribute, openNtfsMft } from '../src/read/ntfs-mft.js';
import { MIB, ntfsInput, planNtfs, writeVolumeMemory } from './fs/ntfs/volume-helpers.js';

const upcase = buildUpcaseTable();
const TIME = new Uint8Array(8);

function fileEntry(name: string, recordNumber: number): Uint8Array {
  const value = encodeFileName({
    parentDirectory: encodeMftRef(5, 5),
    creationTime: TIME,
    lastDataChangeTime: TIME,
    lastMftChangeTime: TIME,
    lastAccessTime: TIME,
    allocatedSize: 0,
    dataSize: 0,
    fileAttributes: 0x20,
    reparsePointTag: 0,
    fileNameType: FILE_NAME_NAMESPACE.WIN32,
    fileName: name,
  });
  return encodeFileIndexEntry(encodeMftRef(recordNumber, 1), value);
}

/** Directory entries for `names`, in $I30 collation order. */
function directoryEntries(names: readonly string[]): Uint8Array[] {
  return [...names].sort((a, b) => collateFileNames(upcase, a, b)).map((name, i) => fileEntry(name, 64 + i));
}

function i30(entries: Uint8Array[], overrides: Partial<IndexTreeInput> = {}): IndexTreeInput {
  return { entries, type: ATTR_TYPE.FILE_NAME, collationRule: COLLATION.FILE_NAME, indexBlockSize: 4096, clusterSize: 4096, indexRootMaxBytes: 600, ...overrides };
}

/** A node entry back in leaf form: the VCN dropped, length and flags as encodeFileIndexEntry writes them. */
function leafForm(entry: Uint8Array): Uint8Array {
  const header = FILE_INDEX_ENTRY_HEADER.decode(entry);
  if (!(header.ieFlags & INDEX_ENTRY_FLAG.NODE)) return entry;
  const out = entry.slice(0, entry.length - INDEX_ENTRY_VCN_BYTES);
  FILE_INDEX_ENTRY_HEADER.encodeInto({ ...header, length: out.length, ieFlags: header.ieFlags & ~INDEX_ENTRY_FLAG.NODE }, out);
  return out;
}

interface Walk {
  readonly entries: Uint8Array[];
  readonly leafDepths: Set<number>;
  readonly blocksSeen: number;
}

/** Walks the tree in order from its bytes, checking each node on the way. */
function walkTree(input: IndexTreeInput, tree: IndexTree): Walk {
  const vcnsPerBlock = clustersPerIndexBlock(input.indexBlockSize, input.clusterSize);
  const out: Uint8Array[] = [];
  const leafDepths = new Set<number>();
  const seen = new Set<number>();
  const walkNode = (entries: Uint8Array, depth: number, isRoot: boolean): void => {
    const list = splitIndexEntries(entries, 1 << 20);
    const last = list[list.length - 1];
    assert.ok(last && last.header.ieFlags & INDEX_ENTRY_FLAG.END, 'node ends in an END entry');
    assert.is(list.reduce((n, e) => n + e.bytes.length, 0), entries.length, 'END entry is the last byte of the node');
    const hasChildren = (last.header.ieFlags & INDEX_ENTRY_FLAG.NODE) !== 0;
    if (!isRoot) assert.ok(list.length >= 2, `block at depth ${depth} holds a real entry`);
    if (!hasChildren) leafDepths.add(depth);
    for (const entry of list) {
      assert.is((entry.header.ieFlags & INDEX_ENTRY_FLAG.NODE) !== 0, hasChildren, 'all entries of a node agree on NODE');
      if (hasChildren) {
        const vcn = readIntN(entry.bytes, entry.bytes.length - 8, 8, false);
        assert.is(vcn % vcnsPerBlock, 0, `child VCN ${vcn} is a block boundary`);
        const index = vcn / vcnsPerBlock;
        assert.ok(index < tree.indexBlocks.length, `child VCN ${vcn} inside the allocation`);
        assert.not.ok(seen.has(index), `block ${index} reached once`);
        seen.add(index);
        const block = decodeIndexBlock(tree.indexBlocks[index], input.indexBlockSize);
        assert.is(block.block.indexBlockVcn, vcn, 'INDX header names its own VCN');
        assert.is(tree.indexBlocks[index].length, input.indexBlockSize);
        const free = block.header.allocatedSize - block.header.indexLength;
        assert.is(block.header.allocatedSize, input.indexBlockSize - INDEX_BLOCK_HEADER.sizeBytes);
        assert.ok(free >= Math.min(INDEX_NODE_RESERVE_BYTES, block.header.allocatedSize / 2), `block ${index} keeps ${free} ≥ reserve bytes free`);
        walkNode(block.entries, depth + 1, false);
        const childLeaf = (splitIndexEntries(block.entries, 1 << 20).at(-1)!.header.ieFlags & INDEX_ENTRY_FLAG.NODE) === 0;
        assert.is(block.header.ihFlags, childLeaf ? INDEX_HEADER_FLAG.LEAF_NODE : INDEX_HEADER_FLAG.INDEX_NODE, 'ih_flags: leaf or index node');
      }
      if (!(entry.header.ieFlags & INDEX_ENTRY_FLAG.END)) out.push(leafForm(entry.bytes));
    }
  };
  const root = decodeIndexRoot(tree.indexRoot);
  assert.is(root.root.type, input.type);
  assert.is(root.root.collationRule, input.collationRule);
  assert.is(root.root.indexBlockSize, input.indexBlockSize);
  assert.is(root.root.clustersPerIndexBlock, vcnsPerBlock);
  assert.ok(tree.indexRoot.length <= input.indexRootMaxBytes, `root of ${tree.indexRoot.length} bytes within ${input.indexRootMaxBytes}`);
  assert.is(root.header.ihFlags, tree.depth > 0 ? INDEX_HEADER_FLAG.LARGE_INDEX : INDEX_HEADER_FLAG.SMALL_INDEX);
  walkNode(root.entries, 0, true);
  return { entries: out, leafDepths, blocksSeen: seen.size };
}

function checkTree(input: IndexTreeInput): IndexTree {
  const tree = buildIndexTree(input);
  const walk = walkTree(input, tree);
  assert.is(walk.entries.length, input.entries.length, 'entry count');
  walk.entries.forEach((e, i) => assert.ok(Buffer.from(e).equals(Buffer.from(input.entries[i])), `entry ${i} in order, byte for byte`));
  assert.equal([...walk.leafDepths], [tree.depth], 'every leaf at the tree depth');
  assert.is(walk.blocksSeen, tree.indexBlocks.length, 'every block is reached');
  if (tree.depth === 0) {
    assert.is(tree.bitmap, null);
    assert.is(tree.indexBlocks.length, 0);
  } else {
    const bitmap = tree.bitmap!;
    assert.ok(bitmap.length >= 8 && bitmap.length % 8 === 0, `bitmap of ${bitmap.length} bytes is whole 8-byte words`);
    for (let bit = 0; bit < bitmap.length * 8; bit++) assert.is((bitmap[bit >> 3] >> (bit & 7)) & 1, bit < tree.indexBlocks.length ? 1 : 0, `bitmap bit ${bit}`);
  }
  const shape = measureIndexTree(input);
  assert.equal(shape, { blockCount: tree.indexBlocks.length, depth: tree.depth, indexRootBytes: tree.indexRoot.length }, 'measureIndexTree agrees');
  return tree;
}

const nameArb = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.stringMatching(/^[a-z0-9]{1,12}$/),
    fc.string({ unit: fc.constantFrom('a', 'B', 'é', 'Ω', '漢', '_', '.', '1'), minLength: 1, maxLength }),
  );

test('property: any directory (0..1500 names of 1..255 units) walks back in order, balanced, within its sizes', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(nameArb(255), { maxLength: 1500, selector: (s) => s.toUpperCase() }),
      fc.constantFrom(512, 4096, 65536),
      fc.integer({ min: 0x38, max: 900 }),
      (names, clusterSize, indexRootMaxBytes) => {
        checkTree(i30(directoryEntries(names), { clusterSize, indexRootMaxBytes }));
      },
    ),
    { numRuns: 60 },
  );
});

test('property: long names only (every entry 0x250 bytes) give deep trees that stay balanced', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0x38, max: 700 }), (count, indexRootMaxBytes) => {
      const names = Array.from({ length: count }, (_, i) => `${String(i).padStart(6, '0')}${'x'.repeat(249)}`);
      const entries = directoryEntries(names);
      entries.forEach((e) => assert.is(e.length, MAX_FILE_INDEX_ENTRY_BYTES));
      const tree = checkTree(i30(entries, { indexRootMaxBytes }));
      if (count > 2000) assert.ok(tree.depth >= 3, `depth ${tree.depth}`);
    }),
    { numRuns: 25 },
  );
});

test('property: view index entries ($SII-like) in small and large blocks', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4000 }), fc.constantFrom(512, 1024, 4096, 8192), (count, indexBlockSize) => {
      const entries = Array.from({ length: count }, (_, i) => encodeViewIndexEntry(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, 0, 0), new Uint8Array(20)));
      checkTree({ entries, type: 0, collationRule: COLLATION.NTOFS_ULONG, indexBlockSize, clusterSize: 4096, indexRootMaxBytes: 0x38 + 64 });
    }),
    { numRuns: 30 },
  );
});

test('small index: entries that fit the root stay there, no blocks and no bitmap', () => {
  const entries = directoryEntries(['a', 'b', 'c']);
  const tree = checkTree(i30(entries, { indexRootMaxBytes: 1000 }));
  assert.is(tree.depth, 0);
  const empty = checkTree(i30([], { indexRootMaxBytes: 0x38 }));
  assert.is(empty.indexRoot.length, 0x30, 'an empty index is the two headers and an END entry');
});

test('one leaf: root holds only an END entry pointing to VCN 0 (the layout mkntfs gives the root directory)', () => {
  const entries = directoryEntries(['$MFT', '$MFTMirr', '$LogFile', '$Volume', '$AttrDef', '.', '$Bitmap', '$Boot', '$BadClus', '$Secure', '$UpCase', '$Extend']);
  const tree = checkTree(i30(entries, { indexRootMaxBytes: 0x100 }));
  assert.is(tree.depth, 1);
  assert.is(tree.indexBlocks.length, 1);
  assert.is(tree.indexRoot.length, 0x38);
  assert.equal([...tree.bitmap!], [1, 0, 0, 0, 0, 0, 0, 0]);
});

test("the root directory of a fresh guestdisk volume: the builder gives system-files' $I30 byte for byte", async () => {
  for (const clusterSize of [512, 4096, 65536]) {
    const plan = planNtfs(ntfsInput({ clusterSize, partitionSizeBytes: 256 * MIB }));
    const mft = await openNtfsMft(await writeVolumeMemory(plan));
    const root = (await mft.loadFile(SYSTEM_FILE.ROOT))!;
    const indexRoot = findAttribute(root, ATTR_TYPE.INDEX_ROOT, INDEX_NAME.I30)!.resident!;
    const bitmap = findAttribute(root, ATTR_TYPE.BITMAP, INDEX_NAME.I30)!.resident!;
    const allocation = findAttribute(root, ATTR_TYPE.INDEX_ALLOCATION, INDEX_NAME.I30)!;
    const block = await readAttributeBytes(mft.volume, clusterSize, allocation, plan.indexRecordSize, 0, plan.indexRecordSize);
    const entries = splitIndexEntries(decodeIndexBlock(block, plan.indexRecordSize).entries).filter((e) => !(e.header.ieFlags & INDEX_ENTRY_FLAG.END)).map((e) => e.bytes.slice());
    assert.ok(entries.length >= 12, `${entries.length} system files in the root`);
    for (const indexRootMaxBytes of [0x38, 0x200, 0x300]) {
      const tree = checkTree(i30(entries, { clusterSize, indexRootMaxBytes }));
      assert.ok(Buffer.from(tree.indexRoot).equals(Buffer.from(indexRoot)), `cluster ${clusterSize}, root room ${indexRootMaxBytes}: $INDEX_ROOT`);
      assert.is(tree.indexBlocks.length, 1);
      assert.ok(Buffer.from(tree.indexBlocks[0]).equals(Buffer.from(block)), `cluster ${clusterSize}: INDX block`);
      assert.ok(Buffer.from(tree.bitmap!).equals(Buffer.from(bitmap)), `cluster ${clusterSize}: $BITMAP`);
    }
  }
});

test('100,000 names in one directory: three levels, leaves ≥ 80 % full, built in a few seconds', () => {
  const names = Array.from({ length: 100_000 }, (_, i) => `file-${i.toString(36)}.dat`);
  const entries = directoryEntries(names);
  const started = performance.now();
  const tree = checkTree(i30(entries));
  const ms = performance.now() - started;
  assert.ok(tree.depth >= 2 && tree.depth <= 3, `depth ${tree.depth}`);
  const entryBytes = entries.reduce((n, e) => n + e.length, 0);
  const leafSpace = tree.indexBlocks.length * (4096 - 0x40);
  assert.ok(entryBytes / leafSpace > 0.8, `fill ${(entryBytes / leafSpace).toFixed(3)}`);
  assert.ok(ms < 20_000, `built and walked in ${ms.toFixed(0)} ms`);
});

test('bad input: not a leaf entry, a root too small, entries too big for the block', () => {
  const isInvalid = (e: unknown): boolean => isGuestdiskError(e) && e.code === 'INVALID_SPEC';
  const node = fileEntry('x', 70).slice();
  FILE_INDEX_ENTRY_HEADER.encodeInto({ ...FILE_INDEX_ENTRY_HEADER.decode(node), ieFlags: INDEX_ENTRY_FLAG.NODE }, node);
  assert.throws(() => buildIndexTree(i30([node])), isInvalid);
  assert.throws(() => buildIndexTree(i30([], { indexRootMaxBytes: 0x37 })), isInvalid);
  assert.throws(() => buildIndexTree(i30(directoryEntries(['y'.repeat(255)]), { indexBlockSize: 1024 })), isInvalid);
  assert.throws(() => buildIndexTree(i30([], { indexBlockSize: 3000 })), isInvalid);
});

test.run();
