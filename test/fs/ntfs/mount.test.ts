// ntfs-3g mounts our bare volumes read-write, takes files (many small, one of 5 MiB, Unicode names, nested
// directories), unmounts clean; ntfsfix -n stays clean and a fresh read-only mount reads every file back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { attachLoop, makeTempDir, mustRun, runTool } from '../../helpers/tools.js';
import { MIB, ntfsInput, planNtfs, writeVolumeFile } from './volume-helpers.js';

function payload(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const big = new Uint8Array(5 * MIB);
  for (let i = 0; i < big.length; i += 4096) big.set(createHash('sha256').update(String(i)).digest(), i);
  files.set('sub/big-5M.bin', big);
  files.set('Ünïcødé – 日本語 😀.txt', new TextEncoder().encode('unicode\n'));
  files.set('sub/deeper/empty', new Uint8Array(0));
  files.set('sub/odd-4097.bin', new Uint8Array(4097).fill(0x5a));
  for (let i = 0; i < 150; i++) files.set(`many/file-${i}.txt`, new TextEncoder().encode(`file ${i}\n`.repeat(i)));
  return files;
}

function mountNtfs(device: string, mountpoint: string, readOnly: boolean): string {
  const r = runTool('ntfs-3g', readOnly ? ['-o', 'ro', device, mountpoint] : [device, mountpoint]);
  assert.is(r.status, 0, `ntfs-3g: ${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

function unmount(mountpoint: string): void {
  mustRun('umount', [mountpoint]);
}

for (const [name, overrides] of [
  ['512-byte sectors, 4 KiB clusters', {}],
  ['512-byte sectors, 64 KiB clusters', { partitionSizeBytes: 256 * MIB, clusterSize: 65536 }],
  ['4Kn', { logicalSectorSize: 4096, physicalSectorSize: 4096, partitionStartLba: 256 }],
] as const) {
  test(`ntfs-3g read-write round trip: ${name}`, async () => {
    const dir = makeTempDir('guestdisk-ntfs-mount-');
    const plan = planNtfs(ntfsInput(overrides));
    const file = join(dir.path, 'vol.img');
    const mnt = join(dir.path, 'mnt');
    mkdirSync(mnt);
    await writeVolumeFile(plan, file);
    const loop = attachLoop(file, { sectorSize: plan.bytesPerSector, readOnly: false });
    let mounted = false;
    try {
      const files = payload();
      const probe = runTool('ntfs-3g.probe', ['--readwrite', loop.device]);
      assert.is(probe.status, 0, `ntfs-3g.probe: ${probe.stderr}`);
      mountNtfs(loop.device, mnt, false);
      mounted = true;
      for (const [path, bytes] of files) {
        mkdirSync(join(mnt, path, '..'), { recursive: true });
        writeFileSync(join(mnt, path), bytes);
      }
      unmount(mnt);
      mounted = false;
      const fix = mustRun('ntfsfix', ['-n', loop.device]);
      assert.match(fix, /processed successfully/);
      assert.not.match(fix, /FAILED|corrupt/i, fix);
      const resize = runTool('ntfsresize', ['--info', '--force', '--no-progress-bar', loop.device]);
      assert.is(resize.status, 0, resize.stdout + resize.stderr);
      mountNtfs(loop.device, mnt, true);
      mounted = true;
      for (const [path, bytes] of files) {
        assert.ok(Buffer.from(readFileSync(join(mnt, path))).equals(Buffer.from(bytes)), `${path} reads back`);
      }
      assert.is(readdirSync(join(mnt, 'many')).length, 150);
      unmount(mnt);
      mounted = false;
      const fsntfs = runTool('fsntfsinfo', ['-E', 'all', loop.device]);
      assert.is(fsntfs.status, 0, fsntfs.stderr);
    } finally {
      if (mounted) runTool('umount', [mnt]);
      loop.detach();
      dir.remove();
    }
  });
}

test.run();
