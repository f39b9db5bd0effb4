// ls, cat and get from the command line, on disks guestdisk itself made (GPT + NTFS, MBR + exFAT, GPT + FAT32):
// fresh volumes list as empty with their labels; an NTFS volume filled through ntfs-3g lists, reads and copies out
// as ntfs-3g shows it; errors carry their codes and exit statuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unstorableName } from '../../src/cli/get.js';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { hostTree, type Tree } from './judges.js';

for (const t of ['ntfs-3g', 'losetup', 'bash']) requireTool(t);
const dir = makeTempDir('guestdisk-read-cli-');
test.after(() => dir.remove());

const disk = join(dir.path, 'ntfs-gpt.img');
await mustCli(['create', disk, '--size', '256M', '--fs', 'ntfs', '--label', 'CliNtfs', '--seed', 'read-cli', '--timestamp', '2024-01-01T00:00:00Z']);

interface LsJson { schema: string; partition: number | null; filesystem: string; label: string | null; path: string; entries: { path: string; kind: string; sizeBytes: number; modified: string; attributes: { readOnly: boolean }; streams: { name: string; sizeBytes: number }[]; linkTarget: string | null }[]; warnings: unknown[] }

async function lsJson(args: string[]): Promise<LsJson> {
  return JSON.parse((await mustCli(['ls', '--json', ...args])).stdout) as LsJson;
}

/** `guestdisk cat ARGS` in-process: the bytes come through the io's byte output. */
async function catBytes(args: string[]): Promise<{ status: number; stdout: Buffer; stderr: string }> {
  const r = await runCli(['cat', ...args]);
  return { status: r.status, stdout: Buffer.from(r.stdoutBytes), stderr: r.stderr };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test('fresh guestdisk volumes list as empty, with their label and partition', async () => {
  for (const [table, fs, label] of [['gpt', 'ntfs', 'EmptyNtfs'], ['mbr', 'exfat', 'EmptyExfat'], ['gpt', 'fat32', 'EMPTYFAT']] as const) {
    const image = join(dir.path, `empty-${fs}.img`);
    await mustCli(['create', image, '--size', '128M', '--table', table, '--fs', fs, '--label', label, '--seed', 'x', '--timestamp', '2024-01-01T00:00:00Z']);
    const out = await lsJson([image]);
    assert.equal({ ...out, disk: undefined }, { schema: 'guestdisk.ls/1', disk: undefined, partition: 1, filesystem: fs, label, path: '/', entries: [], warnings: [] }, fs);
    assert.is((await mustCli(['ls', '-l', '-R', image])).stdout, '', fs);
  }
});

const POPULATE = String.raw`
set -e
cd "$1"
mkdir -p docs/sub empty-dir
printf 'hello\n' > docs/hello.txt
printf 'meta data' > 'docs/hello.txt:meta'
head -c 3000000 /dev/urandom > docs/sub/big.bin
printf 'ro' > readonly.txt
setfattr -n system.ntfs_attrib_be -v 0x00000021 readonly.txt
touch -d '2020-02-02 02:02:02.5' docs/hello.txt
ln -s docs/hello.txt link
`;

let bigSha256FromNtfs3g = '';
{
  requireTool('setfattr');
  const ls = await lsJson([disk]);
  assert.is(ls.entries.length, 0);
  const layout = JSON.parse((await mustCli(['inspect', '--json', disk])).stdout) as { partitions: { offsetBytes: number; sizeBytes: number }[] };
  const p = layout.partitions[0];
  const loop = attachLoop(disk, { readOnly: false, offsetBytes: p.offsetBytes, sizeBytes: p.sizeBytes });
  const mnt = join(dir.path, 'mnt');
  mustRun('mkdir', [mnt]);
  try {
    mustRun('ntfs-3g', ['-o', 'streams_interface=windows', loop.device, mnt]);
    try {
      mustRun('bash', ['-c', POPULATE, 'populate', mnt]);
    } finally {
      mustRun('umount', [mnt]);
    }
    // What ntfs-3g reads back from the volume, mounted afresh: the judge of cat's bytes.
    mustRun('ntfs-3g', ['-o', 'ro', loop.device, mnt]);
    try {
      bigSha256FromNtfs3g = sha256(readFileSync(join(mnt, 'docs/sub/big.bin')));
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
  }
}

test('ls --json -R: depth-first, each directory sorted by name, the same bytes on every run', async () => {
  const first = (await mustCli(['ls', '--json', '-R', disk])).stdout;
  assert.is((await mustCli(['ls', '--json', '-R', disk])).stdout, first);
  const out = JSON.parse(first) as LsJson;
  assert.is(out.label, 'CliNtfs');
  assert.equal(out.entries.map((e) => `${e.kind} ${e.path}`), [
    'directory /docs', 'directory /empty-dir', 'symlink /link', 'file /readonly.txt',
    'file /docs/hello.txt', 'directory /docs/sub', 'file /docs/sub/big.bin',
  ]);
  const hello = out.entries.find((e) => e.path === '/docs/hello.txt')!;
  assert.is(hello.modified, '2020-02-02T02:02:02.500Z');
  assert.equal(hello.streams, [{ name: 'meta', sizeBytes: 9 }]);
  assert.ok(out.entries.find((e) => e.path === '/readonly.txt')!.attributes.readOnly);
  assert.is(out.entries.find((e) => e.path === '/link')!.linkTarget, 'docs/hello.txt');
});

test('ls of a subdirectory, of a file, and -l', async () => {
  assert.is((await mustCli(['ls', `${disk}:/docs`])).stdout, 'hello.txt\nsub\n');
  assert.is((await mustCli(['ls', `${disk}:/docs/hello.txt`])).stdout, 'hello.txt\n');
  const long = (await mustCli(['ls', '-l', `${disk}:/`])).stdout;
  assert.match(long, /^l.*  link -> docs\/hello.txt$/m);
  assert.match(long, /^-ar---  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d +2  readonly.txt$/m);
});

test('cat: a file, a stream as PATH:STREAM and with --stream, binary data unchanged', async () => {
  assert.is((await catBytes([`${disk}:/docs/hello.txt`])).stdout.toString(), 'hello\n');
  assert.is((await catBytes([`${disk}:/docs/hello.txt:meta`])).stdout.toString(), 'meta data');
  assert.is((await catBytes([`${disk}:/docs/hello.txt:meta:$DATA`])).stdout.toString(), 'meta data');
  assert.is((await catBytes([`${disk}:/docs/hello.txt`, '--stream', 'meta'])).stdout.toString(), 'meta data');
  const big = await catBytes([`${disk}:/docs/sub/big.bin`]);
  assert.is(big.status, 0, big.stderr);
  assert.is(big.stdout.length, 3000000);
  assert.is(sha256(big.stdout), bigSha256FromNtfs3g, 'the bytes ntfs-3g reads');
});

test('get: the whole tree as the reader shows it, times and read-only kept, streams and links reported', async () => {
  const dest = join(dir.path, 'copy');
  const r = await mustCli(['get', '--json', `${disk}:/`, dest]);
  const report = JSON.parse(r.stdout) as { files: number; directories: number; links: { path: string }[]; streams: { path: string; stream: string }[]; skipped: unknown[] };
  assert.is(report.files, 3);
  assert.is(report.directories, 4);
  assert.equal(report.links.map((l) => l.path), ['/link']);
  assert.equal(report.streams, [{ path: '/docs/hello.txt', stream: 'meta', sizeBytes: 9 }]);
  assert.equal(report.skipped, []);
  const copied: Tree = hostTree(dest);
  assert.equal([...copied.keys()], ['/docs', '/docs/hello.txt', '/docs/sub', '/docs/sub/big.bin', '/empty-dir', '/readonly.txt']);
  assert.is(copied.get('/docs/hello.txt')!.modifiedMs, Date.UTC(2020, 1, 2, 2, 2, 2, 500));
  assert.is(statSync(join(dest, 'readonly.txt')).mode & 0o777, 0o444);
  const cat = (await catBytes([`${disk}:/docs/sub/big.bin`])).stdout;
  assert.is(sha256(cat), sha256(readFileSync(join(dest, 'docs/sub/big.bin'))));
});

test('get of one file into an existing directory; an existing file needs --force', async () => {
  const dest = join(dir.path, 'one');
  mustRun('mkdir', [dest]);
  await mustCli(['get', `${disk}:/docs/hello.txt`, dest]);
  assert.is(readFileSync(join(dest, 'hello.txt'), 'utf8'), 'hello\n');
  writeFileSync(join(dest, 'other.txt'), 'keep');
  const refused = await runCli(['get', '--json', `${disk}:/docs/hello.txt`, join(dest, 'other.txt')]);
  assert.is(refused.status, 5, refused.stdout + refused.stderr);
  assert.is(JSON.parse(refused.stdout).error.code, 'TARGET_HAS_DATA');
  assert.is(readFileSync(join(dest, 'other.txt'), 'utf8'), 'keep');
  await mustCli(['get', '--force', `${disk}:/docs/hello.txt`, join(dest, 'other.txt')]);
  assert.is(readFileSync(join(dest, 'other.txt'), 'utf8'), 'hello\n');
});

test('errors: a missing path or partition is PATH_NOT_FOUND (exit 11); cat needs a path; a link is not followed', async () => {
  const missing = await runCli(['ls', '--json', `${disk}:/nope`]);
  assert.is(missing.status, 11);
  assert.is(JSON.parse(missing.stdout).error.code, 'PATH_NOT_FOUND');
  assert.is((await runCli(['ls', '--partition', '2', disk])).status, 11);
  assert.is((await runCli(['cat', disk])).status, 2);
  const link = await catBytes([`${disk}:/link`]);
  assert.is(link.status, 11);
  assert.match(link.stderr, /links are not followed/);
  assert.is((await runCli(['cat', `${disk}:/docs`])).status, 11);
});

test('names the host cannot store are named, not mangled', async () => {
  assert.is(unstorableName('ok name.txt'), null);
  assert.match(unstorableName('a/b')!, /"\/"/);
  assert.match(unstorableName('..')!, /reserved/);
  assert.match(unstorableName('bad\ud800')!, /surrogate/);
  assert.match(unstorableName('x'.repeat(200) + 'é'.repeat(30))!, /255 bytes/);
  assert.match(unstorableName('nul\0')!, /NUL/);
});

test.run();
