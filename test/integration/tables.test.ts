// Partition tables written by the CLI, judged by tools we did not write: sgdisk, sfdisk, fdisk, parted, blkid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { BIN, FIXTURES_DIR } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, runTool } from '../helpers/tools.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';

const dir = makeTempDir('guestdisk-tables-');
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;
let counter = 0;
const img = (name: string) => join(dir.path, `${counter++}-${name}.img`);

/** Runs `fn` with a read-only loop device of the image at its sector size (tools read 4Kn only through one). */
function withDevice<T>(path: string, sector: 512 | 4096, fn: (dev: string) => T): T {
  if (sector === 512) return fn(path);
  const loop = attachLoop(path, { sectorSize: 4096 });
  try {
    return fn(loop.device);
  } finally {
    loop.detach();
  }
}

function judge(path: string, table: 'gpt' | 'mbr', sector: 512 | 4096, sizeBytes: number): void {
  withDevice(path, sector, (dev) => {
    const json = JSON.parse(mustRun('sfdisk', ['--json', dev])).partitiontable;
    assert.is(json.label, table === 'gpt' ? 'gpt' : 'dos');
    assert.is(json.sectorsize, sector);
    assert.is(json.partitions.length, 1);
    const p = json.partitions[0];
    assert.is(p.start, MiB / sector, 'starts at 1 MiB');
    assert.is((p.start + p.size) % (MiB / sector), 0, 'ends on a 1 MiB boundary');
    if (table === 'gpt') {
      assert.is(p.type, 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
      assert.is(p.name, 'Basic data partition');
      assert.is(p.attrs, undefined, 'no attributes');
      assert.is(json.lastlba, sizeBytes / sector - 1 - (sector === 512 ? 33 : 5));
      const sg = runTool('sgdisk', ['-v', dev]);
      assert.match(sg.stdout, /No problems found/, sg.stdout);
      assert.not.match(sg.stdout + sg.stderr, /Caution|Warning|Problem:/, sg.stdout);
    } else {
      assert.is(p.type, '7');
      assert.ok(Number.parseInt(json.id, 16) !== 0, 'non-zero disk signature');
    }
    const verify = runTool('sfdisk', ['--verify', dev]);
    assert.is(verify.status, 0, verify.stdout + verify.stderr);
    assert.is(verify.stderr.trim(), '', verify.stderr);
    const fdisk = mustRun('fdisk', ['-l', dev]);
    assert.match(fdisk, table === 'gpt' ? /Microsoft basic data/ : /HPFS\/NTFS\/exFAT/);
    assert.not.match(fdisk, /does not start on physical sector boundary|overlap|not aligned/i);
    const parted = mustRun('parted', ['-s', '-m', dev, 'unit', 's', 'print']);
    assert.match(parted, new RegExp(`:${sector}:${sector}:${table === 'gpt' ? 'gpt' : 'msdos'}:`));
    if (table === 'gpt') assert.match(parted, /msftdata/);
    const align = runTool('parted', ['-s', dev, 'align-check', 'optimal', '1']);
    assert.is(align.status, 0, align.stdout + align.stderr);
    const blkid = mustRun('blkid', ['-p', '-o', 'export', dev]);
    assert.match(blkid, new RegExp(`PTTYPE=${table === 'gpt' ? 'gpt' : 'dos'}`));
    assert.not.match(blkid, /\nTYPE=/, 'no filesystem on the whole disk');
  });
}

const matrix: [string, 'gpt' | 'mbr', 512 | 4096, number][] = [];
for (const sector of [512, 4096] as const) {
  for (const table of ['gpt', 'mbr'] as const) {
    const sizes = [table === 'gpt' ? 2 * MiB + 16 * 1024 + sector : 2 * MiB, 64 * MiB + 7 * sector * 8, GiB, 100 * GiB];
    if (table === 'gpt') sizes.push(2 * TiB + 5 * MiB, 8 * TiB);
    else sizes.push(sector === 512 ? 2 * TiB - MiB : 8 * TiB);
    for (const size of sizes) matrix.push([`${table} ${sector} ${size}`, table, sector, size - (size % sector)]);
  }
}

for (const [name, table, sector, size] of matrix) {
  test(`tools accept ${name}`, async () => {
    const path = img('m');
    await mustCli(['create', path, '--size', String(size), '--table', table, '--sector-size', String(sector), '--fs', 'none', '--seed', name, '--timestamp', '0']);
    assert.is(statSync(path).size, size);
    assert.ok(statSync(path).blocks * 512 <= 8 * MiB, 'sparse: only what was written is allocated');
    judge(path, table, sector, size);
  });
}

test('golden: sfdisk --dump and sha256 of seeded images equal the committed fixtures', async () => {
  const golden = JSON.parse(readFileSync(join(FIXTURES_DIR, 'partition', 'golden.json'), 'utf8')) as Record<string, { sha256: string; dump: string }>;
  for (const [key, want] of Object.entries(golden)) {
    const [table, sector] = key.split('-');
    const path = img(key);
    await mustCli(['create', path, '--size', '64M', '--table', table, '--sector-size', sector, '--fs', 'none', '--seed', 'golden', '--timestamp', '0']);
    const dump = withDevice(path, Number(sector) as 512 | 4096, (dev) => mustRun('sfdisk', ['--dump', dev])).replace(/^(device: |\S+ : ).*$/gm, (m) => m.replace(/\/\S+/, 'IMG'));
    assert.is(dump, want.dump, key);
    assert.is(await sha256File(path), want.sha256, key);
  }
});

test('formatting over another layout leaves only our signatures (blkid/wipefs never ambivalent)', async () => {
  const path = img('old');
  mustRun('truncate', ['-s', '256M', path]);
  // an old 4Kn GPT (other GUIDs, headers at byte 4096 and in the last 4 KiB), an old FAT32 in its partition and
  // an old NTFS boot sector at the start of the disk
  await mustCli(['create', path, '--size', '256M', '--sector-size', '4096', '--fs', 'none', '--seed', 'old', '--timestamp', '0']);
  mustRun('mkfs.fat', ['-F', '32', '--offset', '256', '-S', '4096', path, String(100 * 1024)]);
  mustRun('blkid', ['-p', '-O', String(MiB), path]);
  const refused = await runCli(['create', path, '--fs', 'none', '--seed', 'x', '--timestamp', '0']);
  assert.is(refused.status, EXIT_CODE.TARGET_HAS_DATA, refused.stderr);
  assert.match(refused.stderr, /GPT|vfat|fat32/);
  await mustCli(['create', path, '--fs', 'none', '--table', 'mbr', '--seed', 'x', '--timestamp', '0', '--force']);
  const wipefs = mustRun('wipefs', ['-n', '-O', 'TYPE', '--noheadings', path]).trim().split('\n');
  assert.equal([...new Set(wipefs)], ['dos'], wipefs.join(','));
  const probe = runTool('blkid', ['-p', '-O', String(MiB), path]);
  assert.is(probe.status, 2, `nothing left in the partition: ${probe.stdout}`);
  assert.is(runTool('sgdisk', ['-v', path]).stdout.includes('EFI PART'), false);
  await mustCli(['create', path, '--fs', 'none', '--table', 'gpt', '--seed', 'x', '--timestamp', '0', '--force']);
  const after = mustRun('wipefs', ['-n', '-O', 'TYPE', '--noheadings', path]).trim().split('\n');
  assert.equal([...new Set(after)].sort(), ['PMBR', 'gpt'], after.join(','));
  judge(path, 'gpt', 512, 256 * MiB);
});

test('bad input: a named error, the documented exit code, the target unchanged (or never created)', async () => {
  const existing = img('existing');
  await mustCli(['create', existing, '--size', '64M', '--fs', 'none', '--seed', 'e', '--timestamp', '0']);
  const before = await sha256File(existing);
  const mtime = statSync(existing).mtimeMs;
  const cases: [string[], keyof typeof EXIT_CODE][] = [
    [['create', existing, '--fs', 'none', '--seed', 'x'], 'TARGET_HAS_DATA'],
    [['create', existing, '--size', '32M', '--fs', 'none', '--force'], 'INVALID_SPEC'],
    [['create', img('new'), '--size', '2M', '--fs', 'none'], 'TARGET_TOO_SMALL'],
    [['create', img('new'), '--size', '1000000', '--fs', 'none'], 'INVALID_SPEC'],
    [['create', img('new'), '--size', '2M', '--sector-size', '4096', '--fs', 'none', '--seed', 'x'], 'TARGET_TOO_SMALL'],
    [['create', img('new'), '--size', '3T', '--table', 'mbr', '--fs', 'none'], 'INVALID_SPEC'],
    [['create', img('new'), '--size', '0', '--fs', 'none'], 'INVALID_SPEC'],
    [['create', img('new'), '--fs', 'none'], 'INVALID_SPEC'],
    [['create', img('new'), '--size', '64M', '--fs', 'none', '--seed', ''], 'INVALID_SPEC'],
    [['create', img('new'), '--size', '64M', '--fs', 'none', '--label', 'X'], 'INVALID_SPEC'],
    [['create', img('new'), '--size', '64M', '--fs', 'none', '--timestamp', 'yesterday'], 'INVALID_SPEC'],
    [['create', dir.path, '--size', '64M', '--fs', 'none'], 'INVALID_SPEC'],
    [['create', '/dev/null', '--fs', 'none'], 'INVALID_SPEC'],
    [['create', join(dir.path, 'no', 'such', 'dir.img'), '--size', '64M', '--fs', 'none'], 'IO_FAILED'],
  ];
  for (const [args, code] of cases) {
    const r = await runCli(args);
    assert.is(r.status, EXIT_CODE[code], `${args.join(' ')} → ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /^guestdisk: /, args.join(' '));
    const json = await runCli([...args, '--json']);
    assert.is(JSON.parse(json.stdout).error.code, code, args.join(' '));
  }
  for (const [usage] of [[['create', img('new'), '--table', 'apm']], [['create', img('new'), '--sector-size', '1024']], [['create', img('new'), '--fs', 'zfs']], [['create', img('new'), '--bogus']]]) {
    assert.is((await runCli(usage)).status, 2, usage.join(' '));
  }
  assert.is(await sha256File(existing), before);
  assert.is(statSync(existing).mtimeMs, mtime);
  for (let i = 0; i < counter; i++) assert.not.ok(existsSync(join(dir.path, `${i}-new.img`)), 'no new file left behind');
  // a file we may not write (the test runs as root in CI; drop to nobody for this one)
  const locked = join(dir.path, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  chmodSync(dir.path, 0o755);
  const asNobody = runTool('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'create', join(locked, 'x.img'), '--size', '64M', '--fs', 'none']);
  assert.is(asNobody.status, EXIT_CODE.IO_FAILED, asNobody.stderr);
  assert.match(asNobody.stderr, /permission denied/i);
});

test('dry run writes nothing and prints the plan; --json prints the Layout', async () => {
  const path = img('dry');
  const r = await mustCli(['create', path, '--size', '64G', '--dry-run', '--fs', 'none', '--seed', 'd', '--timestamp', '0']);
  assert.match(r.stdout, /Microsoft basic data/);
  assert.match(r.stdout, /2048\s+134215679/);
  assert.not.ok(existsSync(path));
  const j = JSON.parse((await mustCli(['create', path, '--size', '64G', '--dry-run', '--json', '--fs', 'none', '--seed', 'd', '--timestamp', '0'])).stdout);
  assert.is(j.layout.partitions[0].startLba, 2048);
  assert.is(j.layout.table.kind, 'gpt');
  assert.not.ok(existsSync(path));
});

test('SOURCE_DATE_EPOCH and --seed make runs byte-identical', async () => {
  const a = img('a');
  const b = img('b');
  await mustCli(['create', a, '--size', '64M', '--fs', 'none', '--seed', 'same'], { SOURCE_DATE_EPOCH: '1700000000' });
  await mustCli(['create', b, '--size', '64M', '--fs', 'none', '--seed', 'same'], { SOURCE_DATE_EPOCH: '1700000000' });
  assert.is(await sha256File(a), await sha256File(b));
  const c = img('c');
  const out = (await mustCli(['create', c, '--size', '64M', '--fs', 'none', '--json'])).stdout;
  const seed = JSON.parse(out).layout.seed as string;
  assert.ok(seed.length >= 16, 'a random seed is drawn and printed');
  const d = img('d');
  await mustCli(['create', d, '--size', '64M', '--fs', 'none', '--seed', seed, '--timestamp', String(JSON.parse(out).layout.timestamp)]);
  assert.is(await sha256File(c), await sha256File(d), 'the printed seed repeats the run');
});

test.after(() => dir.remove());
test.run();
