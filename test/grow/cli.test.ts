// The grow command as users run it: `--lvm VG/LV --size +N` end to end on a loop device standing in for the LV
// (lvs and lvextend stand-ins grow its backing file and refresh the loop device), the device-in-use refusal, and
// --dry-run --json on an image, which writes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun } from '../helpers/tools.js';
import { MiB } from './disks.js';
import { gptVerdict, ntfsVerdict, partitionsOf } from './judge.js';

/** lvs and lvextend stand-ins over one LV "vg/data" whose device is `device` (a loop device over `backing`). */
function fakeLvm(dir: string, device: string, backing: string): { env: Record<string, string>; calls(): string[][] } {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.jsonl');
  const common = `const fs = require('node:fs'); const { execFileSync } = require('node:child_process');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(1).map((a, i) => i === 0 ? require('node:path').basename(a) : a)) + '\\n');
const size = () => fs.statSync(${JSON.stringify(backing)}).size;`;
  writeFileSync(join(bin, 'lvs'), `#!/usr/bin/env node
${common}
process.stdout.write(JSON.stringify({ report: [{ lv: [{ lv_name: 'data', vg_name: 'vg', lv_path: ${JSON.stringify(device)}, lv_size: String(size()) }] }] }));
`);
  writeFileSync(join(bin, 'lvextend'), `#!/usr/bin/env node
${common}
const [flag, value, name] = process.argv.slice(2);
if (flag !== '-L' || name !== 'vg/data' || !/^\\+?\\d+b$/.test(value)) { process.stderr.write('bad arguments'); process.exit(3); }
const n = Number(value.replace(/[+b]/g, ''));
const next = value.startsWith('+') ? size() + n : n;
execFileSync('truncate', ['-s', String(next), ${JSON.stringify(backing)}]);
execFileSync('losetup', ['-c', ${JSON.stringify(device)}]);
`);
  chmodSync(join(bin, 'lvs'), 0o755);
  chmodSync(join(bin, 'lvextend'), 0o755);
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]),
  };
}

test('grow --lvm vg/data --size +64M: lvextend (argv, no shell), then the partition and NTFS fill the grown LV', async () => {
  const dir = makeTempDir('guestdisk-grow-lvm-');
  const backing = join(dir.path, 'lv.img');
  await mustCli(['create', backing, '--size', '64M', '--fs', 'ntfs', '--seed', 'lvm', '--timestamp', '0']);
  const loop = attachLoop(backing, { readOnly: false });
  try {
    const lvm = fakeLvm(dir.path, loop.device, backing);
    const r = await runCli(['grow', '--lvm', 'vg/data', '--size', '+64M', '--json'], lvm.env);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.ok(lvm.calls().some((c) => c.join(' ') === `lvextend -L +${64 * MiB}b vg/data`), JSON.stringify(lvm.calls()));
    assert.is(statSync(backing).size, 128 * MiB);
    const t = gptVerdict(loop.device, false);
    assert.ok(t.ok, t.evidence);
    const [p] = partitionsOf(loop.device, 512);
    assert.ok(p.offsetBytes + p.sizeBytes > 126 * MiB, `partition ends at ${p.offsetBytes + p.sizeBytes}`);
    const v = ntfsVerdict(loop.device, p.offsetBytes, p.sizeBytes);
    assert.ok(v.ok, v.evidence);
  } finally {
    loop.detach();
    dir.remove();
  }
});

test('a device another process holds exclusively is refused (TARGET_BUSY), before lvextend, and left untouched', async () => {
  const dir = makeTempDir('guestdisk-grow-busy-');
  const backing = join(dir.path, 'disk.img');
  await mustCli(['create', backing, '--size', '64M', '--fs', 'ntfs', '--seed', 'busy', '--timestamp', '0']);
  mustRun('truncate', ['-s', String(128 * MiB), backing]);
  const loop = attachLoop(backing, { readOnly: false });
  // What a mounted filesystem or a VM's disk does to the device: an exclusive open (O_EXCL), held until killed.
  const holder = spawn(process.execPath, ['-e', `require('node:fs').openSync(${JSON.stringify(loop.device)}, require('node:fs').constants.O_RDONLY | require('node:fs').constants.O_EXCL); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const before = await sha256File(backing);
    const r = await runCli(['grow', loop.device]);
    assert.is(r.status, EXIT_CODE.TARGET_BUSY, r.stdout + r.stderr);
    assert.match(r.stderr, /exclusively/);
    const lvm = fakeLvm(dir.path, loop.device, backing);
    const viaLvm = await runCli(['grow', '--lvm', 'vg/data', '--size', '+64M'], lvm.env);
    assert.is(viaLvm.status, EXIT_CODE.TARGET_BUSY, viaLvm.stdout + viaLvm.stderr);
    assert.not.ok(lvm.calls().some((c) => c[0] === 'lvextend'), 'lvextend never ran');
    assert.is(await sha256File(backing), before, 'untouched');
    assert.is(statSync(backing).size, 128 * MiB);
  } finally {
    holder.kill();
    loop.detach();
    dir.remove();
  }
});

test('grow --dry-run --json on an image: the plan, and nothing written (the image keeps its size and bytes)', async () => {
  const dir = makeTempDir('guestdisk-grow-dry-');
  const image = join(dir.path, 'disk.img');
  await mustCli(['create', image, '--size', '64M', '--table', 'mbr', '--fs', 'ntfs', '--seed', 'dry', '--timestamp', '0']);
  const before = await sha256File(image);
  const r = await mustCli(['grow', image, '--size', '+64M', '--dry-run', '--json']);
  const out = JSON.parse(r.stdout) as { dryRun: boolean; plan: { tableKind: string; disk: { afterBytes: number }; partition: { after: { endLba: number } }; filesystem: { after: { clusterCount: number } }; steps: { kind: string }[] } };
  assert.is(out.dryRun, true);
  assert.is(out.plan.tableKind, 'mbr');
  assert.is(out.plan.disk.afterBytes, 128 * MiB);
  assert.is(out.plan.partition.after.endLba, 128 * 2048 - 1);
  assert.equal(out.plan.steps.map((s) => s.kind), ['ntfs-old-boot-copy', 'ntfs-bitmap', 'flush', 'mbr', 'flush', 'ntfs-backup-boot', 'ntfs-commit', 'flush']);
  assert.is(await sha256File(image), before);
  assert.is(statSync(image).size, 64 * MiB);
  const text = (await mustCli(['grow', image, '--size', '128M', '--dry-run'])).stdout;
  assert.match(text, /partition  1: LBA 2048–131071 \(63 MiB\) → LBA 2048–262143/);
  assert.match(text, /dry run: nothing written/);
  const shrink = await runCli(['grow', image, '--size', '32M']);
  assert.is(shrink.status, EXIT_CODE.INVALID_SPEC);
  assert.match(shrink.stderr, /never shrinks/);
  dir.remove();
});

test('exFAT grown past what its FAT addresses: text and --json say how much is usable and why; --max-size at create avoids it', async () => {
  const dir = makeTempDir('guestdisk-grow-usable-');
  try {
    const image = join(dir.path, 'disk.img');
    // 64 MiB, 4 KiB clusters: the FAT's room before the heap (1 MiB alignment) addresses about 1 GiB.
    await mustCli(['create', image, '--size', '64M', '--fs', 'exfat', '--seed', 'usable', '--timestamp', '1700000000']);
    const json = JSON.parse((await mustCli(['grow', image, '--size', '100G', '--dry-run', '--json'])).stdout) as { plan: { filesystem: { usableBytes: number; unusableBytes: number; clusterSize: number; after: { clusterCount: number } }; notes: string[] } };
    const fs = json.plan.filesystem;
    assert.ok(fs.usableBytes > 500 * MiB && fs.usableBytes < 2048 * MiB, `usable ${fs.usableBytes}`);
    assert.ok(fs.unusableBytes > 90 * 1024 * MiB, `unusable ${fs.unusableBytes}`);
    assert.is(fs.usableBytes, fs.after.clusterCount * fs.clusterSize);
    assert.ok(json.plan.notes.some((n) => n.includes(`only ${fs.usableBytes} bytes`) && /no room left before the cluster heap/.test(n) && n.includes('--max-size')), json.plan.notes.join('\n'));
    const text = (await mustCli(['grow', image, '--size', '100G', '--dry-run'])).stdout;
    assert.match(text, new RegExp(`usable     .*\\(${fs.usableBytes} bytes\\); .*\\(${fs.unusableBytes} bytes\\) past what its FAT addresses stay unused`));
    const ready = join(dir.path, 'ready.img');
    await mustCli(['create', ready, '--size', '64M', '--fs', 'exfat', '--max-size', '100G', '--seed', 'usable', '--timestamp', '1700000000']);
    const grown = JSON.parse((await mustCli(['grow', ready, '--size', '100G', '--dry-run', '--json'])).stdout) as typeof json;
    assert.is(grown.plan.filesystem.unusableBytes, 0);
    assert.not.match((await mustCli(['grow', ready, '--size', '100G', '--dry-run'])).stdout, /usable /);
  } finally {
    dir.remove();
  }
});

test.run();
