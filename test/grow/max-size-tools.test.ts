// create --max-size end to end on image files, judged by tools we did not write: a 1 GiB exFAT or FAT32 disk made
// with its FAT sized for a much larger disk holds files written through exfat-fuse or mtools; it is grown to 2 GiB
// and then to 100 GiB (sparse) by the CLI; a 100 GiB disk made with --max-size 2T is grown to 2 TiB. After each grow the volume fills its partition (every cluster
// addressed), sgdisk -v is clean, fsck.exfat -n / fsck.fat -n are clean, the conformance judge has no FAIL (at
// 2 GiB), every file reads back identical through exfat-fuse / mtools, and a file bigger than the old volume is
// written into the new space (at 2 GiB); at 100 GiB a new file is written and the volume checked again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { GiB, MiB } from './disks.js';
import { gptVerdict } from './judge.js';
import { exfatVerdict } from './exfat-judge.js';
import { fatPayload, fsckFat, mtoolsDrive, partitionsOfImage, sha, type Part } from './fat32-disks.js';

interface MaxToolCase {
  readonly fs: 'exfat' | 'fat32';
  readonly table: 'gpt' | 'mbr';
  readonly sectorSize: 512 | 4096;
  readonly maxSize: string;
  readonly oldBytes: number;
  readonly clusterSize?: number;
  /** The sizes grown to, in turn (sparse). */
  readonly sizes: readonly number[];
  /** Write a file bigger than the old volume after the grow to 2 GiB. */
  readonly fill: boolean;
}

const TIB = 1024 * GiB;
const CASES: MaxToolCase[] = [
  { fs: 'exfat', table: 'gpt', sectorSize: 512, maxSize: '2T', oldBytes: GiB, sizes: [2 * GiB, 100 * GiB], fill: true },
  { fs: 'exfat', table: 'mbr', sectorSize: 4096, maxSize: '2T', oldBytes: GiB, sizes: [2 * GiB, 100 * GiB], fill: false },
  { fs: 'fat32', table: 'mbr', sectorSize: 4096, maxSize: '256G', oldBytes: GiB, sizes: [2 * GiB, 100 * GiB], fill: true },
  { fs: 'fat32', table: 'gpt', sectorSize: 512, maxSize: '100G', oldBytes: GiB, sizes: [2 * GiB, 100 * GiB], fill: false },
  // Cluster sizes other than the defaults.
  { fs: 'exfat', table: 'mbr', sectorSize: 512, maxSize: '4G', oldBytes: GiB, clusterSize: 4096, sizes: [2 * GiB, 4 * GiB], fill: false },
  { fs: 'fat32', table: 'gpt', sectorSize: 512, maxSize: '8G', oldBytes: GiB, clusterSize: 1024, sizes: [2 * GiB, 8 * GiB], fill: false },
  // 100 GiB → 2 TiB, sparse: the FAT sized for 2 TiB at create.
  { fs: 'exfat', table: 'gpt', sectorSize: 4096, maxSize: '2T', oldBytes: 100 * GiB, sizes: [2 * TIB], fill: false },
  { fs: 'fat32', table: 'gpt', sectorSize: 512, maxSize: '2T', oldBytes: 100 * GiB, sizes: [2 * TIB], fill: false },
];

type GrowRun = { plan: { partition: { after: { sizeLba: number } }; filesystem: { kind: string; clusterSize: number; before: { clusterCount: number }; after: { clusterCount: number; volumeLength?: number; totalSectors?: number }; clustersBeyondFat?: number; unusableBytes?: number; maxClusterCount?: number }; notes: string[] } };

/** Runs `fn` with the exFAT volume at `part` mounted by exfat-fuse; waits until the loop device is released. */
function withExfatMount<T>(image: string, c: MaxToolCase, part: Part, mnt: string, fn: () => T): T {
  requireTool('mount.exfat-fuse');
  const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, readOnly: false, sectorSize: c.sectorSize });
  try {
    mustRun('mount.exfat-fuse', [loop.device, mnt]);
    try {
      return fn();
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
    const backing = `/sys/block/${loop.device.slice('/dev/'.length)}/loop/backing_file`;
    const until = Date.now() + 60_000;
    while (existsSync(backing) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    assert.not.ok(existsSync(backing), `${loop.device} still held 60 s after umount`);
  }
}

function writeFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(8 * MiB).fill(0xa5);
  try {
    for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk.subarray(0, Math.min(chunk.length, bytes - done)));
  } finally {
    closeSync(fd);
  }
}

function conformanceFails(image: string, c: MaxToolCase): string[] {
  const r = runTool('bash', [join(CONFORMANCE_DIR, 'check-image.sh'), image, '--fs', c.fs, '--table', c.table, '--sector', String(c.sectorSize), '--label', 'GROWN', '--no-write-test'], { timeoutMs: 300_000 });
  const fails = [...r.stdout.matchAll(/^FAIL ([\w.-]+):/gm)].map((m) => m[1]);
  assert.ok(r.status === (fails.length > 0 ? 1 : 0) && /\d+ passed, \d+ failed/.test(r.stdout), `check-image.sh: ${r.status}\n${r.stdout.slice(-1500)}${r.stderr.slice(-500)}`);
  return fails;
}

function tableClean(image: string, c: MaxToolCase): void {
  if (c.table !== 'gpt') return;
  const loop = c.sectorSize === 4096 ? attachLoop(image, { sectorSize: 4096 }) : null;
  try {
    const v = gptVerdict(loop?.device ?? image, false);
    assert.ok(v.ok, v.evidence);
  } finally {
    loop?.detach();
  }
}

function volumeClean(image: string, c: MaxToolCase, part: Part, clusters: number, when: string): void {
  if (c.fs === 'exfat') {
    const v = exfatVerdict(image, part.offsetBytes, part.sizeBytes, c.sectorSize);
    assert.ok(v.ok, `${when}: ${v.evidence}`);
    assert.is(v.clusters, clusters, `${when}: dump.exfat reads the planned cluster count`);
  } else {
    const v = fsckFat(image, part, c.sectorSize);
    assert.ok(v.ok, `${when}: ${v.output}`);
    assert.match(v.output, new RegExp(`/${clusters} clusters`), `${when}: fsck.fat counts the clusters`);
  }
}

function putFiles(image: string, c: MaxToolCase, part: Part, dir: string, mnt: string, files: Map<string, Uint8Array>): void {
  if (c.fs === 'exfat') {
    withExfatMount(image, c, part, mnt, () => {
      for (const [path, bytes] of files) {
        mkdirSync(join(mnt, path, '..'), { recursive: true });
        writeFileSync(join(mnt, path), bytes);
      }
    });
    return;
  }
  const drive = mtoolsDrive(image, part);
  for (const d of new Set([...files.keys()].filter((p) => p.includes('/')).map((p) => p.split('/')[0]))) mustRun('mmd', ['-i', drive, `::${d}`]);
  for (const [path, bytes] of files) {
    writeFileSync(join(dir, 'put.bin'), bytes);
    mustRun('mcopy', ['-i', drive, join(dir, 'put.bin'), `::${path}`]);
  }
}

/** Every file reads back identical; then a file of `newFileBytes` is written into the volume and read back. */
function readBackAndWrite(image: string, c: MaxToolCase, part: Part, dir: string, mnt: string, files: Map<string, Uint8Array>, newFileBytes: number): void {
  if (c.fs === 'exfat') {
    withExfatMount(image, c, part, mnt, () => {
      for (const [path, bytes] of files) assert.is(sha(readFileSync(join(mnt, path))), sha(bytes), `${path} reads back identical through exfat-fuse`);
      writeFile(join(mnt, `new-${part.sizeBytes}.bin`), newFileBytes);
      assert.is(statSync(join(mnt, `new-${part.sizeBytes}.bin`)).size, newFileBytes);
    });
    return;
  }
  const drive = mtoolsDrive(image, part);
  for (const [path, bytes] of files) {
    const out = join(dir, 'get.bin');
    mustRun('mcopy', ['-n', '-i', drive, `::${path}`, out]);
    assert.is(sha(readFileSync(out)), sha(bytes), `${path} reads back identical through mtools`);
  }
  const local = join(dir, 'new.bin');
  writeFile(local, newFileBytes);
  mustRun('mcopy', ['-i', drive, local, `::NEW${part.sizeBytes % 1000}.BIN`]);
  mustRun('mcopy', ['-n', '-i', drive, `::NEW${part.sizeBytes % 1000}.BIN`, join(dir, 'back.bin')]);
  assert.is(sha(readFileSync(join(dir, 'back.bin'))), sha(readFileSync(local)), 'the new file reads back through mtools');
}

for (const c of CASES) {
  test(`create --fs ${c.fs} --max-size ${c.maxSize} at ${c.oldBytes / GiB} GiB (${c.table}/${c.sectorSize}${c.clusterSize ? `, ${c.clusterSize}-byte clusters` : ''}), files from ${c.fs === 'exfat' ? 'exfat-fuse' : 'mtools'}; grown to ${c.sizes.map((b) => `${b / GiB} GiB`).join(', ')} it fills each disk, judged by fsck, sgdisk, the judge`, async () => {
    requireTool(c.fs === 'exfat' ? 'fsck.exfat' : 'fsck.fat');
    requireTool('mcopy');
    const dir = makeTempDir('guestdisk-grow-max-');
    try {
      const image = join(dir.path, 'disk.img');
      const mnt = join(dir.path, 'mnt');
      mkdirSync(mnt);
      await mustCli(['create', image, '--size', String(c.oldBytes), '--table', c.table, '--fs', c.fs, '--sector-size', String(c.sectorSize), '--max-size', c.maxSize, ...(c.clusterSize ? ['--cluster-size', String(c.clusterSize)] : []), '--seed', 'grow-max', '--timestamp', '1700000000', '--label', 'GROWN']);
      const files = fatPayload();
      const first = partitionsOfImage(image, c.sectorSize)[0];
      putFiles(image, c, first, dir.path, mnt, files);
      let oldBytes = c.oldBytes;
      for (const size of c.sizes) {
        const run = JSON.parse((await mustCli(['grow', image, '--size', String(size), '--json'])).stdout) as GrowRun;
        const fs = run.plan.filesystem;
        if (c.clusterSize) assert.is(fs.clusterSize, c.clusterSize);
        assert.is(statSync(image).size, size);
        const part = partitionsOfImage(image, c.sectorSize)[0];
        assert.is(part.sizeBytes, run.plan.partition.after.sizeLba * c.sectorSize);
        assert.ok(size - (part.offsetBytes + part.sizeBytes) < 2 * MiB, 'the partition fills the disk up to its last MiB');
        // Every cluster the partition holds is addressed: the FAT was sized for --max-size.
        const volumeSectors = c.fs === 'exfat' ? fs.after.volumeLength : fs.after.totalSectors;
        assert.is(volumeSectors! * c.sectorSize, part.sizeBytes, 'the volume fills its partition');
        if (c.fs === 'exfat') assert.is(fs.unusableBytes, 0, run.plan.notes.join('; '));
        else assert.ok(fs.after.clusterCount <= fs.maxClusterCount!);
        tableClean(image, c);
        volumeClean(image, c, part, fs.after.clusterCount, `grown to ${size}`);
        if (size === 2 * GiB) assert.equal(conformanceFails(image, c), []);
        // At 2 GiB, when asked: more than the old volume could ever hold, so only the new clusters make room.
        readBackAndWrite(image, c, part, dir.path, mnt, files, size === 2 * GiB && c.fill ? oldBytes + 64 * MiB : 8 * MiB);
        volumeClean(image, c, part, fs.after.clusterCount, `after writing into the volume grown to ${size}`);
        oldBytes = size;
      }
    } finally {
      runTool('umount', [join(dir.path, 'mnt')]);
      dir.remove();
    }
  });
}

test.run();
