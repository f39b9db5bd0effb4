// `guestdisk verify` through main() (in-process): exit 0 (no error), 1 (error findings), 2 (cannot open/read or bad
// usage), JSON on stdout with --json, the error object alone when the disk cannot be read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, type CliResult } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tools.js';
import { makeImageFile } from '../inspect/disks.js';
import { openFileTarget } from '../../src/target/file-target.js';

const dir = makeTempDir('guestdisk-cli-verify-');
const good = join(dir.path, 'good.img');
const bad = join(dir.path, 'bad.img');
await makeImageFile(good, { table: 'gpt', fs: 'ntfs', sectorSize: 512, label: 'CLI' });
await makeImageFile(bad, { table: 'mbr', fs: 'none', sectorSize: 512 });
const t = await openFileTarget({ path: bad, mode: 'write' });
await t.write(0x1be + 4, Uint8Array.of(0x83)); // partition type -> Linux
await t.close();

const cli = (...args: string[]): Promise<CliResult> => runCli(args);

test('a good disk: exit 0, JSON says ok', async () => {
  const r = await cli('verify', good, '--json', '--expect-table', 'gpt', '--expect-fs', 'ntfs', '--expect-label', 'CLI');
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.is(report.schema, 'guestdisk-verify/1');
  assert.is(report.ok, true);
  assert.equal(report.findings, []);
});

test('error findings: exit 1, each with code, severity, where and a Windows sentence', async () => {
  const r = await cli('verify', bad);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /ERROR\s+PARTITION_TYPE_NOT_DATA \[partition 1/);
  assert.match(r.stdout, /Windows: .*drive letter/);
  assert.match(r.stdout, /FAILED: 1 error/);
});

test('expectations that do not hold are errors', async () => {
  const r = await cli('verify', good, '--json', '--expect-table', 'mbr', '--expect-fs', 'exfat', '--expect-label', 'OTHER');
  assert.is(r.status, 1);
  assert.equal(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code), ['EXPECT_TABLE_MISMATCH', 'EXPECT_FS_MISMATCH', 'EXPECT_LABEL_MISMATCH']);
});

test('a missing target: exit 2, the error object alone on stdout with --json', async () => {
  const r = await cli('verify', join(dir.path, 'nope.img'), '--json');
  assert.is(r.status, 2);
  assert.is(JSON.parse(r.stdout).error.code, 'IO_FAILED');
  const plain = await cli('verify', join(dir.path, 'nope.img'));
  assert.is(plain.status, 2);
  assert.match(plain.stderr, /does not exist/);
});

test('an empty file is not a disk Windows can use: exit 1', async () => {
  const empty = join(dir.path, 'empty.img');
  writeFileSync(empty, '');
  const r = await cli('verify', empty, '--json');
  assert.is(r.status, 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code), ['NO_PARTITION_TABLE']);
});

test('a bad option value: exit 2', async () => {
  assert.is((await cli('verify', good, '--sector-size', '1024')).status, 2);
});

test.after(() => dir.remove());
test.run();
