// create --lvm VG/LV --size +HEADROOM --copy-from SRC: the LV is sized from its content (the smallest size, in whole
// MiB and whole extents of the VG, whose volume holds the tree with HEADROOM free) and lvcreate gets exactly that
// size. Stand-in vgs/lvs/lvcreate on PATH (device-mapper does not work in CI); the LV's device node is a real loop
// device, so the format is real and fsck.exfat judges it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { createFakeHost } from '../helpers/fake-bin/fake-host.js';
import { attachLoop, attachLoopDevice, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

const MiB = 1024 * 1024;
const EXTENT = 8 * MiB; // not 4 MiB (LVM's default): so rounding to whole MiB alone would show
const HEADROOM = 5 * MiB;
const dir = makeTempDir('guestdisk-lvm-content-');
const SPEC = ['--fs', 'exfat', '--seed', 'lvm-content', '--timestamp', '1700000000'];

function sourceTree(): string {
  const src = join(dir.path, 'src');
  mkdirSync(join(src, 'tools'), { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(join(src, `part${i}.bin`), new Uint8Array(3 * MiB + i * 1000).fill(0x41 + i));
  writeFileSync(join(src, 'tools', 'setup.cmd'), 'echo hi\r\n');
  return src;
}

function loopDevice(sizeBytes: number): { image: string; device: string; detach(): void } {
  const image = join(dir.path, `lv-${Math.random().toString(36).slice(2)}.img`);
  mustRun('truncate', ['-s', String(sizeBytes), image]);
  const device = attachLoopDevice([image]);
  return { image, device, detach: () => { runTool('losetup', ['-d', device]); } };
}

/** freeBytes of the copy on an image of `sizeBytes` (dry run), or null when the tree does not fit at all. */
async function freeOnImage(src: string, sizeBytes: number): Promise<number | null> {
  const r = await runCli(['create', join(dir.path, 'probe.img'), '--size', String(sizeBytes), '--copy-from', src, ...SPEC, '--dry-run', '--json']);
  if (r.status === 3) return null;
  assert.is(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { copy: { freeBytes: number } }).copy.freeBytes;
}

test('--lvm with --size +HEADROOM: vgs, then lvcreate -L with the content-sized size in whole extents', async () => {
  requireTool('fsck.exfat');
  const src = sourceTree();
  const loop = loopDevice(64 * MiB);
  const host = createFakeHost({ vgs: { vg0: { freeBytes: 1024 * MiB, extentBytes: EXTENT, lvs: {} } }, newLvPaths: { 'vg0/data': loop.device } });
  try {
    const r = await runCli(['create', '--lvm', 'vg0/data', '--size', `+${HEADROOM / MiB}M`, '--copy-from', src, ...SPEC], host.env);
    assert.is(r.status, 0, r.stderr);
    const calls = host.calls();
    assert.equal(calls[0], ['vgs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_extent_size,vg_free', 'vg0']);
    const lvcreate = calls.find((c) => c[0] === 'lvcreate');
    assert.ok(lvcreate, JSON.stringify(calls));
    assert.equal(lvcreate!.slice(0, 2), ['lvcreate', '--yes']);
    assert.is(lvcreate![2], '-L');
    const m = /^(\d+)b$/.exec(lvcreate![3]);
    assert.ok(m, lvcreate![3]);
    const size = Number(m![1]);
    assert.is(size % EXTENT, 0, `${size} is whole extents`);
    assert.equal(lvcreate!.slice(4), ['-n', 'data', 'vg0']);
    // The smallest such size: the headroom fits at it and not one extent below (planned as an image, independently).
    assert.ok((await freeOnImage(src, size))! >= HEADROOM, 'headroom left at the chosen size');
    const below = await freeOnImage(src, size - EXTENT);
    assert.ok(below === null || below < HEADROOM, `one extent less would do: ${below} bytes free`);
    // What lvcreate made is what was asked for: no rounding by LVM.
    assert.is(host.world().vgs.vg0.lvs.data.sizeBytes, size);
    // The volume (from 1 MiB, GPT's first partition) is a clean exFAT.
    const part = attachLoop(loop.image, { offsetBytes: MiB });
    try {
      const fsck = runTool('fsck.exfat', ['-n', part.device], { timeoutMs: 120_000 });
      assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
    } finally {
      part.detach();
    }
  } finally {
    host.remove();
    loop.detach();
  }
});

test('--size +HEADROOM without --copy-from is refused before any host program runs', async () => {
  const host = createFakeHost({ vgs: { vg0: { freeBytes: 1024 * MiB, lvs: {} } } });
  try {
    const r = await runCli(['create', '--lvm', 'vg0/data', '--size', '+8M', ...SPEC], host.env);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, '--size +HEADROOM');
    assert.equal(host.calls(), []);
  } finally {
    host.remove();
  }
});

test('--size +HEADROOM with a VG that does not exist: HOST_COMMAND_FAILED from vgs, nothing created', async () => {
  const src = sourceTree();
  const host = createFakeHost({ vgs: { vg0: { freeBytes: 1024 * MiB, lvs: {} } } });
  try {
    const r = await runCli(['create', '--lvm', 'nope/data', '--size', '+8M', '--copy-from', src, ...SPEC], host.env);
    assert.is(r.status, 10, r.stderr);
    assert.match(r.stderr, 'there is no volume group nope');
    assert.equal(host.calls().map((c) => c[0]), ['vgs']);
  } finally {
    host.remove();
  }
});

test.after(() => dir.remove());
test.run();
