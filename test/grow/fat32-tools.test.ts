// `guestdisk grow` on FAT32 image files, judged by tools we did not write. Each disk (made by sgdisk/sfdisk +
// mkfs.fat, or by guestdisk create) holds files written through mtools. Growing 1 GiB → 2 GiB is refused, target
// untouched, naming the largest size the FAT can address; growing to that size then succeeds: sgdisk -v clean,
// fsck.fat -n clean, the conformance judge adds no FAIL, every file reads back identical through mtools and
// `guestdisk cat`, and mtools writes a file into the new space.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { spawnSync } from 'node:child_process';
import { CLI_SOURCE, CONFORMANCE_DIR, REPO_ROOT } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { GiB, MiB } from './disks.js';
import { gptVerdict } from './judge.js';
import { fatPayload, fsckFat, makeFatDisk, mtoolsDrive, partitionsOfImage, sha, type FatDiskCase, type Part } from './fat32-disks.js';

const CASES: FatDiskCase[] = [
  { maker: 'mkfs.fat', table: 'gpt', sectorSize: 512, oldBytes: 1 * GiB },
  { maker: 'guestdisk', table: 'mbr', sectorSize: 4096, oldBytes: 1 * GiB },
  { maker: 'mkfs.fat', table: 'gpt', sectorSize: 4096, oldBytes: 1 * GiB },
  { maker: 'mkfs.fat', table: 'mbr', sectorSize: 4096, oldBytes: 1 * GiB },
];
const NEW_BYTES = 2 * GiB;

function conformanceFails(image: string, c: FatDiskCase): string[] {
  const r = runTool('bash', [join(CONFORMANCE_DIR, 'check-image.sh'), image, '--fs', 'fat32', '--table', c.table, '--sector', String(c.sectorSize), '--label', 'GROWN', '--no-write-test'], { timeoutMs: 300_000 });
  const fails = [...r.stdout.matchAll(/^FAIL ([\w.-]+):/gm)].map((m) => m[1]);
  assert.ok(r.status === (fails.length > 0 ? 1 : 0) && /\d+ passed, \d+ failed/.test(r.stdout), `check-image.sh: ${r.status}\n${r.stdout.slice(-1500)}${r.stderr.slice(-500)}`);
  return fails;
}

function putFiles(image: string, part: Part, dir: string, files: Map<string, Uint8Array>): void {
  const drive = mtoolsDrive(image, part);
  for (const d of new Set([...files.keys()].filter((p) => p.includes('/')).map((p) => p.split('/')[0]))) mustRun('mmd', ['-i', drive, `::${d}`]);
  for (const [path, bytes] of files) {
    const local = join(dir, 'put.bin');
    writeFileSync(local, bytes);
    mustRun('mcopy', ['-i', drive, local, `::${path}`]);
  }
}

function tableClean(image: string, c: FatDiskCase): void {
  if (c.table !== 'gpt') return;
  const loop = c.sectorSize === 4096 ? attachLoop(image, { sectorSize: 4096 }) : null;
  try {
    const v = gptVerdict(loop?.device ?? image, false);
    assert.ok(v.ok, v.evidence);
  } finally {
    loop?.detach();
  }
}

for (const c of CASES) {
  test(`grow FAT32 made by ${c.maker}, ${c.table}/${c.sectorSize}: 1 GiB → 2 GiB refused naming the largest size; grown to it, judged by sgdisk, fsck.fat, the judge, mtools and guestdisk cat`, async () => {
    requireTool('mcopy');
    requireTool('fsck.fat');
    const dir = makeTempDir('guestdisk-grow-fat32-');
    try {
      const image = join(dir.path, 'disk.img');
      await makeFatDisk(image, c);
      const before = partitionsOfImage(image, c.sectorSize)[0];
      const files = fatPayload();
      putFiles(image, before, dir.path, files);
      assert.ok(fsckFat(image, before, c.sectorSize).ok, 'fsck.fat -n clean before the grow');
      const failsBefore = conformanceFails(image, c);

      // 1 GiB → 2 GiB: more clusters than the FAT has entries for. Refused, nothing written, image not extended.
      const digest = await sha256File(image);
      const refused = await runCli(['grow', image, '--size', String(NEW_BYTES), '--json']);
      assert.is.not(refused.status, 0);
      const { error } = JSON.parse(refused.stdout) as { error: { code: string; message: string; details: { largestDiskBytes: number | null } } };
      assert.is(error.code, 'UNSUPPORTED_GEOMETRY');
      const largest = error.details.largestDiskBytes;
      assert.ok(largest !== null && largest > c.oldBytes && largest < NEW_BYTES, `the largest size that works: ${String(largest)}`);
      assert.ok(error.message.includes(`--size ${largest}`), error.message);
      assert.is(statSync(image).size, c.oldBytes, 'the image was not extended');
      assert.is(await sha256File(image), digest, 'the image is untouched');
      // One MiB more than the largest is refused too; the largest itself is planned.
      assert.is.not((await runCli(['grow', image, '--size', String(largest + MiB), '--dry-run', '--json'])).status, 0);

      const run = JSON.parse((await mustCli(['grow', image, '--size', String(largest), '--json'])).stdout) as { plan: { partition: { after: { sizeLba: number } }; filesystem: { kind: string; clusterSize: number; maxClusterCount: number; before: { clusterCount: number }; after: { clusterCount: number; totalSectors: number } } } };
      const fs = run.plan.filesystem;
      assert.is(fs.kind, 'fat32');
      assert.ok(fs.after.clusterCount > fs.before.clusterCount && fs.after.clusterCount <= fs.maxClusterCount);
      const after = partitionsOfImage(image, c.sectorSize)[0];
      assert.is(after.offsetBytes, before.offsetBytes);
      assert.is(after.sizeBytes, run.plan.partition.after.sizeLba * c.sectorSize);
      assert.is(fs.after.totalSectors * c.sectorSize, after.sizeBytes, 'BPB_TotSec32 is the partition');
      if (c.table === 'mbr') assert.match(mustRun('sfdisk', ['-d', image]), /type=c\b/, 'the MBR type stays 0x0C');
      tableClean(image, c);
      const fsck = fsckFat(image, after, c.sectorSize);
      assert.ok(fsck.ok, fsck.output);
      assert.match(fsck.output, new RegExp(`/${fs.after.clusterCount} clusters`), `fsck.fat counts the new clusters: ${fsck.output}`);
      assert.equal(conformanceFails(image, c).filter((f) => !failsBefore.includes(f)), [], 'the grow adds no FAIL');

      const drive = mtoolsDrive(image, after);
      for (const [path, bytes] of files) {
        const out = join(dir.path, 'get.bin');
        mustRun('mcopy', ['-n', '-i', drive, `::${path}`, out]);
        assert.is(sha(readFileSync(out)), sha(bytes), `${path} reads back identical through mtools`);
      }
      // guestdisk get copies the whole tree out; guestdisk cat streams the big file and the long name to stdout.
      const got = join(dir.path, 'got');
      await mustCli(['get', `${image}:/`, got]);
      for (const [path, bytes] of files) assert.is(sha(readFileSync(join(got, path))), sha(bytes), `${path} reads back identical through guestdisk get`);
      for (const path of ['DATA/BIG.BIN', 'Long file name.txt']) {
        const cat = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'cat', `${image}:/${path}`], { cwd: REPO_ROOT, maxBuffer: 1 << 28 });
        assert.is(cat.status, 0, cat.stderr.toString());
        assert.is(sha(new Uint8Array(cat.stdout)), sha(files.get(path)!), `${path} reads back identical through guestdisk cat`);
      }
      // A file bigger than the old volume's free space plus a little: it needs the new clusters (free count from
      // minfo). Writing it fills the volume into the clusters past the old end.
      const free = Number(/free clusters=(\d+)/.exec(mustRun('minfo', ['-i', drive, '::']))?.[1]);
      const added = fs.after.clusterCount - fs.before.clusterCount;
      assert.ok(free >= added, `mtools counts the new clusters free (${free})`);
      const fill = new Uint8Array(free * fs.clusterSize).fill(0x5a);
      writeFileSync(join(dir.path, 'fill.bin'), fill);
      mustRun('mcopy', ['-i', drive, join(dir.path, 'fill.bin'), '::FILL.BIN']);
      const post = fsckFat(image, after, c.sectorSize);
      assert.ok(post.ok, `after mtools filled the new space: ${post.output}`);
      const back = join(dir.path, 'fill-back.bin');
      mustRun('mcopy', ['-n', '-i', drive, '::FILL.BIN', back]);
      assert.is(sha(readFileSync(back)), sha(fill), 'the file written into the new space reads back');
    } finally {
      dir.remove();
    }
  });
}

test('grow FAT32 whose FAT has no room for 1 MiB more (guestdisk create sizes it to its clusters; mkfs.fat on MBR 512): refused, saying it cannot grow, image untouched', async () => {
  const dir = makeTempDir('guestdisk-grow-fat32-');
  try {
    for (const c of [{ maker: 'guestdisk', table: 'gpt', sectorSize: 512, oldBytes: GiB }, { maker: 'guestdisk', table: 'mbr', sectorSize: 512, oldBytes: GiB }, { maker: 'mkfs.fat', table: 'mbr', sectorSize: 512, oldBytes: GiB }] as FatDiskCase[]) {
      const image = join(dir.path, `disk-${c.table}.img`);
      await makeFatDisk(image, c);
      const part = partitionsOfImage(image, c.sectorSize)[0];
      putFiles(image, part, dir.path, fatPayload());
      const digest = await sha256File(image);
      const refused = await runCli(['grow', image, '--size', String(NEW_BYTES), '--json']);
      const { error } = JSON.parse(refused.stdout) as { error: { code: string; message: string; details: { largestDiskBytes: number | null } } };
      assert.is(error.code, 'UNSUPPORTED_GEOMETRY');
      assert.is(error.details.largestDiskBytes, null);
      assert.match(error.message, /cannot grow/);
      assert.is(statSync(image).size, c.oldBytes);
      assert.is(await sha256File(image), digest);
    }
  } finally {
    dir.remove();
  }
});

test.run();
