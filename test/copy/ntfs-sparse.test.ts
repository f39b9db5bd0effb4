// Sparse source files copied into NTFS: a file with holes of at least one 64 KiB unit gets a sparse $DATA (runs
// without clusters for its zero units), judged by tools we did not write: ntfsfix -n and ntfsck -n call the volume
// clean; ntfs-3g reads the same bytes, reports fewer allocated blocks than the size and the plan's free space, and
// can write into a hole and append (ntfsck still clean after); sleuthkit's istat shows the sparse $DATA and icat
// reads the same bytes; guestdisk verify finds nothing and get extracts the same tree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import {
  NTFS_TOOLS, firstPartition, guestdiskGet, guestdiskVerifyClean, ntfsckClean, ntfsfixClean, sleuthkitNtfsTree, withNtfs3g, withPartition, withoutSystemEntries,
} from './ntfs-judges.js';
import { TIMESTAMP, listTree, sorted, type Entry } from './trees.js';
import { scanDataRanges } from '../../src/source/sparse-scan.js';
import { sparseRuns } from '../../src/fs/ntfs/populate-plan.js';
import { writeChunks } from '../../src/write/write-chunks.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import type { ContentReader } from '../../src/disk-types.js';

for (const tool of [...NTFS_TOOLS, 'truncate', 'dd', 'istat']) requireTool(tool);

const KiB = 1024;
const MiB = 1024 * KiB;

/** Writes `count` KiB of non-zero bytes (seeded by `seed`) at `atKiB` into `path`, keeping the rest as it is. */
function ddData(path: string, atKiB: number, count: number, seed: number): void {
  const block = new Uint8Array(count * KiB).map((_, i) => ((i * 31 + seed) % 251) + 1);
  const tmp = `${path}.piece`;
  writeFileSync(tmp, block);
  mustRun('dd', [`if=${tmp}`, `of=${path}`, 'bs=1024', `seek=${atKiB}`, 'conv=notrunc', 'status=none']);
  mustRun('rm', [tmp]);
}

interface SparseCase {
  readonly name: string;
  readonly sizeBytes: number;
  /** data pieces: [KiB offset, KiB count] */
  readonly data: readonly [number, number][];
  /** whether the copy must be sparse on NTFS */
  readonly sparse: boolean;
}

const CASES: readonly SparseCase[] = [
  { name: 'hole-at-start.bin', sizeBytes: 1 * MiB, data: [[768, 256]], sparse: true },
  { name: 'hole-in-middle.bin', sizeBytes: 2 * MiB + 1000, data: [[0, 100], [1500, 548]], sparse: true },
  { name: 'hole-at-end.bin', sizeBytes: 3 * MiB, data: [[0, 130]], sparse: true },
  { name: 'all-hole.bin', sizeBytes: 5 * MiB + 17, data: [], sparse: true },
  // Data in every 64 KiB unit, holes of 32 KiB between: nothing to gain, stored whole.
  { name: 'small-holes.bin', sizeBytes: 1 * MiB, data: Array.from({ length: 16 }, (_, i) => [i * 64 + 16, 16] as [number, number]), sparse: false },
];
/** A file of zeros written out in full: it was not sparse in the source, so it is not sparse in the copy. */
const DENSE_ZEROS = { name: 'dense-zeros.bin', sizeBytes: 512 * KiB };

function makeSparseTree(src: string): void {
  mkdirSync(join(src, 'sub'), { recursive: true });
  for (const c of CASES) {
    const path = join(src, 'sub', c.name);
    mustRun('truncate', ['-s', String(c.sizeBytes), path]);
    c.data.forEach(([at, count], i) => ddData(path, at, count, i + c.name.length));
  }
  writeFileSync(join(src, DENSE_ZEROS.name), new Uint8Array(DENSE_ZEROS.sizeBytes));
  writeFileSync(join(src, 'small.txt'), 'not sparse\n');
  // The source must really be sparse (a filesystem without holes would make this test prove nothing).
  const probe = statSync(join(src, 'sub', 'all-hole.bin'));
  assert.ok(probe.blocks * 512 < probe.size, `the temp filesystem keeps no holes: ${probe.blocks} blocks for ${probe.size} bytes`);
}

function hashes(listing: Map<string, Entry>): [string, string][] {
  return sorted(listing).filter(([, e]) => e.kind === 'file').map(([p, e]) => [p, `${e.size}:${e.sha256}`]);
}

/** Bytes ntfs-3g says a file allocates (st_blocks, 512-byte units). */
function allocatedBytes(path: string): number {
  return statSync(path).blocks * 512;
}

/** The sparse flag and hole runs of a file as istat prints them. */
function istatOf(image: string, offsetSectors: number, sectorSize: number, inode: number): string {
  return mustRun('istat', ['-b', String(sectorSize), '-o', String(offsetSectors), image, String(inode)]);
}

for (const sector of [512, 4096] as const) {
  test(`NTFS ${sector}-byte sectors: sparse source files become sparse $DATA that ntfsck, ntfs-3g, sleuthkit and verify accept`, async () => {
    const tmp = makeTempDir('guestdisk-ntfs-sparse-');
    try {
      const src = join(tmp.path, 'src');
      makeSparseTree(src);
      const image = join(tmp.path, 'disk.img');
      const created = await mustCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--sector-size', String(sector), '--cluster-size', '4096',
        '--copy-from', src, '--seed', 'sparse-test', '--timestamp', String(TIMESTAMP), '--json']);
      let sparseFreeBytes = 0;
      const expected = hashes(listTree(src));
      const mnt = join(tmp.path, 'mnt');

      withPartition(image, sector, (device) => {
        ntfsfixClean(device);
        ntfsckClean(device);
        withNtfs3g(device, mnt, 'ro', (dir) => {
          assert.equal(hashes(withoutSystemEntries(listTree(dir))), expected, 'ntfs-3g reads the source bytes');
          for (const c of CASES) {
            const path = join(dir, 'sub', c.name);
            const dataKiB = c.data.reduce((n, [, k]) => n + k, 0);
            if (c.sparse) {
              // Data units allocated whole (64 KiB each), holes not at all.
              const units = new Set(c.data.flatMap(([at, k]) => Array.from({ length: Math.ceil((at + k) / 64) - Math.floor(at / 64) }, (_, i) => Math.floor(at / 64) + i)));
              const lastUnitBytes = Math.ceil(c.sizeBytes / 4096) * 4096 - Math.floor((c.sizeBytes - 1) / (64 * KiB)) * 64 * KiB;
              const lastIsData = units.has(Math.floor((c.sizeBytes - 1) / (64 * KiB)));
              const want = units.size * 64 * KiB - (lastIsData ? 64 * KiB - lastUnitBytes : 0);
              assert.is(allocatedBytes(path), want, `${c.name}: allocated bytes (${dataKiB} KiB of data)`);
              assert.ok(allocatedBytes(path) < c.sizeBytes, `${c.name}: fewer blocks than its size`);
            } else {
              assert.ok(allocatedBytes(path) >= c.sizeBytes, `${c.name}: stored whole`);
            }
          }
          assert.ok(allocatedBytes(join(dir, DENSE_ZEROS.name)) >= DENSE_ZEROS.sizeBytes, 'a dense file of zeros is stored whole');
          const fs = statfsSync(dir);
          sparseFreeBytes = fs.bfree * fs.bsize;
        });
      });
      // The free space ntfs-3g counts from $Bitmap: the holes' clusters are free. The same tree with its files
      // written out in full (cp --sparse=never) leaves exactly the holes' clusters fewer.
      const dense = join(tmp.path, 'dense');
      mustRun('cp', ['-a', '--sparse=never', src, dense]);
      const denseImage = join(tmp.path, 'dense.img');
      await mustCli(['create', denseImage, '--size', '64M', '--fs', 'ntfs', '--sector-size', String(sector), '--cluster-size', '4096',
        '--copy-from', dense, '--seed', 'sparse-test', '--timestamp', String(TIMESTAMP)]);
      const denseFreeBytes = withPartition(denseImage, sector, (device) => withNtfs3g(device, mnt, 'ro', (dir) => {
        const fs = statfsSync(dir);
        return fs.bfree * fs.bsize;
      }));
      assert.is(sparseFreeBytes - denseFreeBytes, plannedHoleBytes(JSON.parse(created.stdout) as unknown), 'free space: ntfs-3g statfs vs the plan');

      const part = firstPartition(image, sector);
      const sleuth = sleuthkitNtfsTree(image, part.offsetBytes / sector, sector);
      assert.equal(hashes(withoutSystemEntries(sleuth)), expected, 'sleuthkit icat');
      const fls = mustRun('fls', ['-r', '-p', '-b', String(sector), '-o', String(part.offsetBytes / sector), image]);
      const inode = (name: string): number => Number(new RegExp(`(\\d+)-128-\\d+:\\tsub/${name.replace('.', '\\.')}$`, 'm').exec(fls)![1]);
      for (const c of CASES) {
        const out = istatOf(image, part.offsetBytes / sector, sector, inode(c.name));
        if (c.sparse) assert.match(out, /\$DATA \(128-\d+\)\s+Name: N\/A\s+Non-Resident, Sparse/, `${c.name}:\n${out}`);
        else assert.not.match(out, /Sparse/, `${c.name}:\n${out}`);
      }
      await guestdiskVerifyClean(image);
      assert.equal(hashes(await guestdiskGet(image, join(tmp.path, 'get'))), expected, 'guestdisk get');

      // ntfs-3g writes into a hole and appends; the volume stays clean and reads back what was written.
      withPartition(image, sector, (device) => {
        withNtfs3g(device, mnt, 'rw', (dir) => {
          const path = join(dir, 'sub', 'hole-in-middle.bin');
          ddData(path, 700, 40, 7);
          ddData(path, Math.ceil((2 * MiB + 1000) / KiB) + 10, 100, 9);
        });
        ntfsckClean(device);
        ntfsfixClean(device);
        withNtfs3g(device, mnt, 'ro', (dir) => {
          const local = join(src, 'sub', 'hole-in-middle.bin');
          ddData(local, 700, 40, 7);
          ddData(local, Math.ceil((2 * MiB + 1000) / KiB) + 10, 100, 9);
          const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
          assert.is(sha(join(dir, 'sub', 'hole-in-middle.bin')), sha(local), 'after writing into the hole and appending');
        });
      }, false);
    } finally {
      tmp.remove();
    }
  });
}

/** Bytes of clusters the plan leaves free for holes: every file of the create report's layout with data ranges,
 *  its clusters less its data ranges widened to whole 64 KiB units (4 KiB clusters), cut at its last cluster. */
function plannedHoleBytes(report: unknown): number {
  let total = 0;
  const visit = (node: { kind: string; sizeBytes?: number; dataRanges?: { offsetBytes: number; lengthBytes: number }[]; entries?: unknown[] }): void => {
    if (node.kind === 'dir') for (const e of node.entries ?? []) visit(e as typeof node);
    else if (node.dataRanges) {
      const clusterBytes = Math.ceil(node.sizeBytes! / 4096) * 4096;
      const units = new Set(node.dataRanges.flatMap((r) => Array.from({ length: Math.ceil((r.offsetBytes + r.lengthBytes) / (64 * KiB)) - Math.floor(r.offsetBytes / (64 * KiB)) }, (_, i) => Math.floor(r.offsetBytes / (64 * KiB)) + i)));
      const allocated = [...units].reduce((n, u) => n + Math.min(64 * KiB, clusterBytes - u * 64 * KiB), 0);
      if (clusterBytes - allocated >= 64 * KiB) total += clusterBytes - allocated;
    }
  };
  visit((report as { layout: { filesystem: { files: { root: never } } } }).layout.filesystem.files.root);
  assert.ok(total > 0, 'the plan has sparse files');
  return total;
}

// Clusters smaller and larger than the 64 KiB unit: 128 clusters per unit, and one 64 KiB cluster per unit.
for (const { sector, clusterSize } of [{ sector: 512 as const, clusterSize: 512 }, { sector: 4096 as const, clusterSize: 65536 }]) {
  test(`NTFS ${sector}-byte sectors, ${clusterSize}-byte clusters: sparse copies are clean and read back`, async () => {
    const tmp = makeTempDir('guestdisk-ntfs-sparse-cs-');
    try {
      const src = join(tmp.path, 'src');
      makeSparseTree(src);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', '96M', '--fs', 'ntfs', '--sector-size', String(sector), '--cluster-size', String(clusterSize),
        '--copy-from', src, '--seed', 'sparse-test', '--timestamp', String(TIMESTAMP)]);
      const expected = hashes(listTree(src));
      withPartition(image, sector, (device) => {
        ntfsfixClean(device);
        ntfsckClean(device);
        withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (dir) => {
          assert.equal(hashes(withoutSystemEntries(listTree(dir))), expected, 'ntfs-3g');
          for (const c of CASES) {
            const allocated = allocatedBytes(join(dir, 'sub', c.name));
            if (c.sparse) assert.ok(allocated <= c.sizeBytes - 64 * KiB, `${c.name}: ${allocated} bytes allocated for ${c.sizeBytes}`);
            else assert.ok(allocated >= c.sizeBytes, `${c.name}: stored whole`);
          }
        });
      });
      await guestdiskVerifyClean(image);
      assert.equal(hashes(await guestdiskGet(image, join(tmp.path, 'get'))), expected, 'guestdisk get');
    } finally {
      tmp.remove();
    }
  });
}

test('sparse scan: data ranges in whole 64 KiB units from the file start; none when no unit is all zeros', async () => {
  const tmp = makeTempDir('guestdisk-sparse-scan-');
  try {
    const a = join(tmp.path, 'a');
    mustRun('truncate', ['-s', String(1 * MiB + 100), a]);
    ddData(a, 70, 1, 1); // inside unit 1
    ddData(a, 1024, 1, 2); // the 100-byte tail unit (dd extends the file to 1 MiB + 1 KiB)
    assert.equal(await scanDataRanges(a, statSync(a).size), [{ offsetBytes: 64 * KiB, lengthBytes: 64 * KiB }, { offsetBytes: 1 * MiB, lengthBytes: 1 * KiB }]);
    const b = join(tmp.path, 'b');
    writeFileSync(b, new Uint8Array(200 * KiB).fill(1));
    assert.is(await scanDataRanges(b, 200 * KiB), undefined);
  } finally {
    tmp.remove();
  }
});

test('sparse runs: holes between the data extents, the data laid over the allocated pieces in order', () => {
  assert.equal(sparseRuns([{ vcn: 16, length: 32 }, { vcn: 80, length: 5 }], 100, [{ lcn: 1000, length: 37 }]), [
    { lcn: null, length: 16 }, { lcn: 1000, length: 32 }, { lcn: null, length: 32 }, { lcn: 1032, length: 5 }, { lcn: null, length: 15 },
  ]);
  // Split allocation: the first extent straddles two pieces.
  assert.equal(sparseRuns([{ vcn: 0, length: 20 }], 20, [{ lcn: 50, length: 8 }, { lcn: 90, length: 12 }]), [{ lcn: 50, length: 8 }, { lcn: 90, length: 12 }]);
  assert.equal(sparseRuns([], 64, []), [{ lcn: null, length: 64 }]);
});

test('writer: a hole piece writes nothing, and data found in it (the source changed) is an IO_FAILED error', async () => {
  const reader = (bytes: Uint8Array): ContentReader => ({
    async *read() { yield bytes; },
    async close() {},
  });
  const content = new Uint8Array(128 * KiB);
  content.fill(7, 64 * KiB);
  const chunk = {
    offsetBytes: 0, content: { source: 0, order: 0, dir: '', name: 'f' }, contentBytes: content.length, lengthBytes: content.length,
    pieces: [{ offsetBytes: 0, lengthBytes: 64 * KiB, hole: true }, { offsetBytes: 256 * KiB, lengthBytes: 64 * KiB }],
  };
  const stats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  const target = openMemoryTarget({ sizeBytes: 1 * MiB });
  await writeChunks(target, [chunk], 0, { startBytes: 0, endBytes: 1 * MiB, what: 'test' }, stats, () => {}, reader(content));
  assert.equal(await target.read(256 * KiB, 64 * KiB), new Uint8Array(64 * KiB).fill(7));
  assert.equal(target.touchedChunks().length > 0, true);
  assert.is(stats.bytesWritten, 64 * KiB, 'only the data piece is written');
  const changed = new Uint8Array(content);
  changed[100] = 1;
  try {
    await writeChunks(openMemoryTarget({ sizeBytes: 1 * MiB }), [chunk], 0, { startBytes: 0, endBytes: 1 * MiB, what: 'test' }, { writes: 0, bytesWritten: 0, zeroBytes: 0 }, () => {}, reader(changed));
    assert.unreachable('data in a hole was accepted');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'IO_FAILED');
  }
});

test('NTFS: the same sparse source gives the same image twice', async () => {
  const tmp = makeTempDir('guestdisk-ntfs-sparse-det-');
  try {
    const src = join(tmp.path, 'src');
    makeSparseTree(src);
    const digests = [];
    for (const n of [1, 2]) {
      const image = join(tmp.path, `disk${n}.img`);
      await mustCli(['create', image, '--size', '48M', '--fs', 'ntfs', '--copy-from', src, '--seed', 'sparse-det', '--timestamp', String(TIMESTAMP)]);
      digests.push(createHash('sha256').update(readFileSync(image)).digest('hex'));
    }
    assert.is(digests[0], digests[1]);
  } finally {
    tmp.remove();
  }
});

test.run();
