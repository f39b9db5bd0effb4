import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutVolume } from '../../../src/fs/ntfs/system-files.js';
import { decodeMftRecord } from '../../../src/fs/ntfs/mft-record.js';
import { decodeNtfsBootSector } from '../../../src/fs/ntfs/boot-sector.js';
import { formatNtfs } from '../../../src/fs/ntfs/format.js';
import { ATTR_TYPE } from '../../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes } from '../../../src/fs/ntfs/attributes/attribute-header.js';
import { decodeFileName } from '../../../src/fs/ntfs/attributes/file-name.js';
import { decodeIndexBlock, decodeIndexRoot } from '../../../src/fs/ntfs/index-node.js';
import { splitIndexEntries } from '../../../src/fs/ntfs/index-entry.js';
import { decodeRunlist } from '../../../src/fs/ntfs/runlist.js';
import { FIXTURES_DIR } from '../../helpers/paths.js';
import { GIB, MIB, TIB, allChunks, chunkLength, ntfsInput, planNtfs, sha256Target, writeVolumeMemory } from './volume-helpers.js';

test('chunks: sector aligned, inside the partition, never overlapping, byte chunks small', () => {
  for (const [size, sector, cluster] of [
    [64 * MIB, 512, undefined],
    [64 * MIB, 4096, undefined],
    [1 * GIB, 512, 512],
    [1 * GIB, 512, 65536],
    [1 * GIB, 4096, 2 * MIB],
    [3 * MIB, 512, undefined],
  ] as const) {
    const plan = planNtfs(ntfsInput({ partitionSizeBytes: size, logicalSectorSize: sector, physicalSectorSize: sector, clusterSize: cluster }));
    const ranges: [number, number][] = [];
    for (const c of allChunks(plan)) {
      const what = `${size}/${sector}/${plan.clusterSize} chunk at ${c.offsetBytes}`;
      assert.is(c.offsetBytes % sector, 0, what);
      assert.is(chunkLength(c) % sector, 0, `${what} length ${chunkLength(c)}`);
      assert.ok(c.offsetBytes + chunkLength(c) <= plan.partitionSizeBytes, what);
      if ('bytes' in c) assert.ok(c.bytes.length <= 4 * MIB, `${what}: ${c.bytes.length} bytes in one chunk`);
      ranges.push([c.offsetBytes, c.offsetBytes + chunkLength(c)]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] >= ranges[i - 1][1], `overlap at ${ranges[i][0]}`);
  }
});

test('memory stays flat: an 8 TiB and a 256 TiB volume emit only a few MiB of bytes, the rest as zero ranges', () => {
  for (const [size, cluster] of [[8 * TIB, undefined], [256 * TIB - 1 * MIB, 65536]] as const) {
    const plan = planNtfs(ntfsInput({ partitionSizeBytes: size, clusterSize: cluster }));
    let bytes = 0;
    let largest = 0;
    for (const c of allChunks(plan)) {
      if ('bytes' in c) {
        bytes += c.bytes.length;
        largest = Math.max(largest, c.bytes.length);
      }
    }
    // 64 MiB $LogFile (one shared buffer) + $Bitmap pieces + system files.
    assert.ok(bytes < 72 * MIB, `${size}: ${bytes} bytes`);
    assert.ok(largest <= 4 * MIB, `${size}: largest chunk ${largest}`);
  }
});

test('boot sector and backup: identical first sector, total sectors = partition sectors - 1', async () => {
  for (const sector of [512, 4096] as const) {
    const plan = planNtfs(ntfsInput({ logicalSectorSize: sector, physicalSectorSize: sector }));
    const t = await writeVolumeMemory(plan);
    const main = await t.read(0, sector);
    const backup = await t.read(plan.partitionSizeBytes - sector, sector);
    assert.equal(Array.from(backup), Array.from(main));
    const bs = decodeNtfsBootSector(main);
    assert.is(bs.numberOfSectors, plan.partitionSizeBytes / sector - 1);
    assert.is(bs.hiddenSectors, 2048);
  }
});

test('$MFTMirr equals the first records of $MFT, every record decodes with its fixups', async () => {
  for (const [sector, cluster] of [[512, undefined], [4096, undefined], [512, 65536]] as const) {
    const plan = planNtfs(ntfsInput({ partitionSizeBytes: 256 * MIB, logicalSectorSize: sector, physicalSectorSize: sector, clusterSize: cluster }));
    const t = await writeVolumeMemory(plan);
    const files = layoutVolume(plan);
    const mirrorBytes = files.mftMirrClusters * plan.clusterSize;
    const mft = await t.read(plan.mftLcn * plan.clusterSize, files.mft.length);
    const mirr = await t.read(plan.mftMirrLcn * plan.clusterSize, mirrorBytes);
    assert.equal(Array.from(mirr), Array.from(mft.subarray(0, mirrorBytes)));
    for (let i = 0; i < files.mft.length / plan.mftRecordSize; i++) {
      const { header } = decodeMftRecord(mft.subarray(i * plan.mftRecordSize), plan.mftRecordSize);
      assert.is(header.mftRecordNumber, i);
    }
  }
});

test('formatting over old data: every allocated cluster reads the same as on a blank disk', async () => {
  const plan = planNtfs(ntfsInput({ partitionSizeBytes: 48 * MIB }));
  const garbage = new Uint8Array(plan.partitionSizeBytes);
  for (let i = 0; i < garbage.length; i += 4) garbage[i] = (i * 2654435761) >>> 24 || 1;
  const fresh = await writeVolumeMemory(plan);
  const reused = await writeVolumeMemory(plan, garbage);
  for (const e of layoutVolume(plan).allocated) {
    if (e.lcn >= plan.clusterCount) continue; // $Bitmap's padding bits: past the volume
    const a = await fresh.read(e.lcn * plan.clusterSize, e.length * plan.clusterSize);
    const b = await reused.read(e.lcn * plan.clusterSize, e.length * plan.clusterSize);
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), `clusters [${e.lcn}, +${e.length}) keep old bytes`);
  }
});

test('determinism and golden: a seeded 64 MiB volume has the committed sha256', async () => {
  const plan = planNtfs(ntfsInput());
  const a = await sha256Target(await writeVolumeMemory(plan));
  const b = await sha256Target(await writeVolumeMemory(planNtfs(ntfsInput())));
  assert.is(a, b);
  const golden = readFileSync(join(FIXTURES_DIR, 'ntfs', 'volume-64m.sha256'), 'utf8').split(/\s+/)[0];
  assert.is(a, golden, 'fixtures/ntfs/README.md has the recipe; regenerate only for an intended change');
  const other = await sha256Target(await writeVolumeMemory(planNtfs(ntfsInput({ seed: 'x' }))));
  assert.is.not(other, a);
});

test('directories: root $I30 (INDX) and $Extend $I30 list their files in $UpCase order', async () => {
  for (const sector of [512, 4096] as const) {
    const plan = planNtfs(ntfsInput({ logicalSectorSize: sector, physicalSectorSize: sector }));
    const t = await writeVolumeMemory(plan);
    const record = async (n: number) => {
      const { header, record: r } = decodeMftRecord(await t.read(plan.mftLcn * plan.clusterSize + n * plan.mftRecordSize, plan.mftRecordSize), plan.mftRecordSize);
      return decodeAttributes(r, header.attrsOffset, header.bytesInUse);
    };
    const names = (entries: Uint8Array): string[] =>
      splitIndexEntries(entries).filter((e) => e.header.keyLength > 0).map((e) => decodeFileName(e.bytes.subarray(16, 16 + e.header.keyLength)).fileName);
    const root = await record(5);
    const alloc = root.find((a) => a.type === ATTR_TYPE.INDEX_ALLOCATION)!;
    const [run] = decodeRunlist(alloc.nonResident!.mappingPairs);
    const indx = decodeIndexBlock(await t.read(run.lcn! * plan.clusterSize, plan.indexRecordSize), plan.indexRecordSize);
    assert.equal(names(indx.entries), ['$AttrDef', '$BadClus', '$Bitmap', '$Boot', '$Extend', '$LogFile', '$MFT', '$MFTMirr', '$Secure', '$UpCase', '$Volume', '.']);
    const rootIndex = decodeIndexRoot(root.find((a) => a.type === ATTR_TYPE.INDEX_ROOT)!.resident!.value);
    assert.is(rootIndex.header.ihFlags, 1, 'root is a large index');
    const extend = decodeIndexRoot((await record(11)).find((a) => a.type === ATTR_TYPE.INDEX_ROOT)!.resident!.value);
    assert.equal(names(extend.entries), ['$ObjId', '$Quota', '$Reparse']);
  }
});

test('formatNtfs is lazy and repeatable: two body() walks give the same chunks', () => {
  const f = formatNtfs(planNtfs(ntfsInput()));
  const walk = (): string[] => [...f.body()].map((c) => `${c.offsetBytes}:${chunkLength(c)}:${'bytes' in c ? 'b' : 'z'}`);
  assert.equal(walk(), walk());
});

test.run();
