// `guestdisk grow` of exFAT end to end on image files, judged by tools we did not write. Each disk is made (by
// guestdisk create, or by sgdisk/sfdisk + mkfs.exfat), holds files written through exfat-fuse, is extended and grown
// by the CLI; then sgdisk -v is clean, fsck.exfat -n is clean, dump.exfat reads the planned cluster count, the
// conformance judge has no FAIL, every file reads back identical through exfat-fuse, and exfat-fuse writes a file
// larger than the old volume into the new space.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { GiB, MiB } from './disks.js';
import { gptVerdict, partitionsOf } from './judge.js';
import { exfatVerdict } from './exfat-judge.js';

interface ToolCase {
  readonly name: string;
  readonly table: 'gpt' | 'mbr';
  readonly sectorSize: 512 | 4096;
  readonly maker: 'guestdisk' | 'mkfs.exfat';
  readonly oldBytes: number;
  readonly newBytes: number;
  /** Write a file bigger than the old volume after the grow (small cases only). */
  readonly fill: boolean;
  readonly judge: boolean;
}

/** ext4 (where the tests' images live) ends files at 16 TiB − 4 KiB: the large case stops 1 MiB short. */
const TIB16 = 16 * 1024 * GiB - MiB;

const CASES: ToolCase[] = [
  { name: 'guestdisk GPT 512', table: 'gpt', sectorSize: 512, maker: 'guestdisk', oldBytes: 1 * GiB, newBytes: 2 * GiB, fill: true, judge: true },
  { name: 'guestdisk MBR 4096', table: 'mbr', sectorSize: 4096, maker: 'guestdisk', oldBytes: 1 * GiB, newBytes: 2 * GiB, fill: false, judge: true },
  { name: 'mkfs.exfat GPT 4096', table: 'gpt', sectorSize: 4096, maker: 'mkfs.exfat', oldBytes: 1 * GiB, newBytes: 2 * GiB, fill: true, judge: true },
  { name: 'mkfs.exfat MBR 512', table: 'mbr', sectorSize: 512, maker: 'mkfs.exfat', oldBytes: 1 * GiB, newBytes: 2 * GiB, fill: false, judge: true },
  { name: 'guestdisk GPT 512, 64 GiB → 16 TiB (sparse)', table: 'gpt', sectorSize: 512, maker: 'guestdisk', oldBytes: 64 * GiB, newBytes: TIB16, fill: false, judge: false },
];

function payload(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const big = new Uint8Array(3 * MiB + 123);
  for (let i = 0; i < big.length; i += 32) big.set(createHash('sha256').update(String(i)).digest().subarray(0, Math.min(32, big.length - i)), i);
  files.set('data/big.bin', big);
  files.set('Ünïcødé 日本語.txt', new TextEncoder().encode('grown\n'));
  for (let i = 0; i < 40; i++) files.set(`many/f${i}.txt`, new TextEncoder().encode(`file ${i}\n`.repeat(i * 7)));
  return files;
}

/** Runs `fn` with the partition of `image` mounted by exfat-fuse at `mnt`; waits until the loop device is released
 *  after umount (the FUSE daemon writes its last metadata after umount returns). */
function withMount<T>(image: string, c: ToolCase, part: { offsetBytes: number; sizeBytes: number }, mnt: string, fn: () => T): T {
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

function partitionsOfImage(image: string, c: ToolCase): { offsetBytes: number; sizeBytes: number }[] {
  if (c.sectorSize === 512) return partitionsOf(image, 512);
  const loop = attachLoop(image, { sectorSize: 4096 });
  try {
    return partitionsOf(loop.device, 4096);
  } finally {
    loop.detach();
  }
}

async function makeDisk(image: string, c: ToolCase): Promise<void> {
  if (c.maker === 'guestdisk') {
    await mustCli(['create', image, '--size', String(c.oldBytes), '--table', c.table, '--fs', 'exfat', '--sector-size', String(c.sectorSize), '--seed', 'grow-tools', '--timestamp', '1700000000', '--label', 'GROWN']);
    return;
  }
  mustRun('truncate', ['-s', String(c.oldBytes), image]);
  const loop = attachLoop(image, { sectorSize: c.sectorSize, readOnly: false });
  try {
    if (c.table === 'gpt') mustRun('sgdisk', ['-n', '1:0:0', '-t', '1:0700', loop.device]);
    else mustRun('sfdisk', [loop.device], { input: `label: dos\nstart=${MiB / c.sectorSize}, type=7\n` });
  } finally {
    loop.detach();
  }
  const [part] = partitionsOfImage(image, c);
  const ploop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, readOnly: false, sectorSize: c.sectorSize });
  try {
    mustRun('mkfs.exfat', ['-L', 'GROWN', '-b', String(MiB), ploop.device]);
  } finally {
    ploop.detach();
  }
}

function conformanceFails(image: string, c: ToolCase): string[] {
  const r = runTool('bash', [join(CONFORMANCE_DIR, 'check-image.sh'), image, '--fs', 'exfat', '--table', c.table, '--sector', String(c.sectorSize), '--label', 'GROWN', '--no-write-test'], { timeoutMs: 300_000 });
  const fails = [...r.stdout.matchAll(/^FAIL ([\w.-]+):/gm)].map((m) => m[1]);
  assert.ok(r.status === (fails.length > 0 ? 1 : 0) && /\d+ passed, \d+ failed/.test(r.stdout), `check-image.sh: ${r.status}\n${r.stdout.slice(-1500)}${r.stderr.slice(-500)}`);
  return fails;
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

for (const c of CASES) {
  test(`grow exFAT ${c.name}: ${c.oldBytes / MiB} MiB → ${c.newBytes / MiB} MiB, judged by sgdisk, fsck.exfat, dump.exfat${c.judge ? ', the conformance judge' : ''} and exfat-fuse`, async () => {
    const dir = makeTempDir('guestdisk-grow-exfat-tools-');
    try {
      const image = join(dir.path, 'disk.img');
      const mnt = join(dir.path, 'mnt');
      mkdirSync(mnt);
      await makeDisk(image, c);
      const files = payload();
      const before = partitionsOfImage(image, c)[0];
      withMount(image, c, before, mnt, () => {
        for (const [path, bytes] of files) {
          mkdirSync(join(mnt, path, '..'), { recursive: true });
          writeFileSync(join(mnt, path), bytes);
        }
      });
      const clean = exfatVerdict(image, before.offsetBytes, before.sizeBytes, c.sectorSize);
      assert.ok(clean.ok, `before the grow: ${clean.evidence}`);

      const dry = JSON.parse((await mustCli(['grow', image, '--size', String(c.newBytes), '--dry-run', '--json'])).stdout) as { plan: unknown };
      assert.is(statSync(image).size, c.oldBytes, 'the dry run did not extend the image');
      type Run = { plan: { partition: { after: { sizeLba: number } }; filesystem: { kind: string; clusterSize: number; before: { clusterCount: number }; after: { clusterCount: number; volumeLength: number } }; notes: string[] } };
      const run = JSON.parse((await mustCli(['grow', image, '--size', String(c.newBytes), '--json'])).stdout) as Run;
      assert.equal(run.plan, dry.plan, 'the dry run planned what the run did');
      const fs = run.plan.filesystem;
      assert.is(fs.kind, 'exfat');

      const after = partitionsOfImage(image, c)[0];
      assert.is(after.offsetBytes, before.offsetBytes);
      assert.is(after.sizeBytes, run.plan.partition.after.sizeLba * c.sectorSize);
      assert.ok(c.newBytes - (after.offsetBytes + after.sizeBytes) < 2 * MiB, 'the partition fills the disk up to its last MiB');
      assert.is(fs.after.volumeLength * c.sectorSize, after.sizeBytes, 'the volume fills its partition');
      if (c.table === 'gpt') {
        const loop = c.sectorSize === 4096 ? attachLoop(image, { sectorSize: 4096 }) : null;
        try {
          const v = gptVerdict(loop?.device ?? image, false);
          assert.ok(v.ok, v.evidence);
        } finally {
          loop?.detach();
        }
      }
      const v = exfatVerdict(image, after.offsetBytes, after.sizeBytes, c.sectorSize);
      assert.ok(v.ok, v.evidence);
      assert.is(v.clusters, fs.after.clusterCount, 'dump.exfat reads the grown cluster count');
      assert.ok(fs.after.clusterCount > fs.before.clusterCount, 'the volume has more clusters');
      if (c.newBytes === 2 * c.oldBytes) assert.ok(fs.after.clusterCount >= 2 * fs.before.clusterCount - 64, `1 GiB → 2 GiB doubles the clusters: ${fs.before.clusterCount} → ${fs.after.clusterCount} (${run.plan.notes.join('; ')})`);
      if (c.judge) assert.equal(conformanceFails(image, c), []);

      withMount(image, c, after, mnt, () => {
        for (const [path, bytes] of files) assert.is(sha(readFileSync(join(mnt, path))), sha(bytes), `${path} reads back identical`);
        const df = mustRun('df', ['-B1', '--output=size', mnt]).trim().split('\n')[1].trim();
        assert.ok(Number(df) > c.oldBytes, `df sees the new size: ${df} bytes`);
        // More than the old volume could ever hold when `fill`: only the new clusters make room for it.
        const fillBytes = c.fill ? c.oldBytes + 64 * MiB : 8 * MiB;
        const fd = openSync(join(mnt, 'fill.bin'), 'w');
        const chunk = new Uint8Array(8 * MiB).fill(0xa5);
        try {
          for (let done = 0; done < fillBytes; done += chunk.length) writeSync(fd, chunk);
        } finally {
          closeSync(fd);
        }
      });
      const post = exfatVerdict(image, after.offsetBytes, after.sizeBytes, c.sectorSize);
      assert.ok(post.ok, `after exfat-fuse wrote into the grown volume: ${post.evidence}`);
    } finally {
      runTool('umount', [join(dir.path, 'mnt')]);
      dir.remove();
    }
  });
}

test.run();
