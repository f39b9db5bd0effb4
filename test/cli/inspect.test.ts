// `guestdisk inspect` through main() (in-process): never writes, detects the sector size, prints a table or the
// documented JSON; an unreadable target exits with its error code.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, type CliResult } from '../helpers/cli.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { attachLoop, makeTempDir } from '../helpers/tools.js';
import { makeImageFile } from '../inspect/disks.js';

const dir = makeTempDir('guestdisk-cli-inspect-');
const img = join(dir.path, 'disk4k.img');
await makeImageFile(img, { table: 'gpt', fs: 'ntfs', sectorSize: 4096, label: 'Four K', seed: 'cli' });

const cli = (...args: string[]): Promise<CliResult> => runCli(args);

test('inspect --json: detected 4096-byte sectors, GPT, NTFS with its label; the image is untouched', async () => {
  const before = readFileSync(img);
  const mtime = statSync(img).mtimeMs;
  const r = await cli('inspect', img, '--json');
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.is(report.schema, 'guestdisk-inspect/1');
  assert.is(report.logicalSectorSize, 4096);
  assert.is(report.sectorSizeSource, 'detected');
  assert.is(report.table.kind, 'gpt');
  assert.is(report.partitions[0].filesystem.type, 'ntfs');
  assert.is(report.partitions[0].filesystem.label, 'Four K');
  assert.ok(Buffer.compare(before, readFileSync(img)) === 0 && statSync(img).mtimeMs === mtime);
});

test('inspect prints a human table', async () => {
  const r = await cli('inspect', img);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /table\s+GPT \(read from the primary\)/);
  assert.match(r.stdout, /Microsoft basic data/);
  assert.match(r.stdout, /ntfs, label "Four K"/);
  assert.match(r.stdout, /findings\s+none/);
});

test('a 4Kn loop device: the kernel\'s sector size is used; a disagreeing --sector-size is a usage error', async () => {
  const loop = attachLoop(img, { sectorSize: 4096 });
  try {
    const r = await cli('inspect', loop.device, '--json');
    assert.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.is(report.sectorSizeSource, 'device');
    assert.is(report.logicalSectorSize, 4096);
    assert.is(report.partitions[0].filesystem.label, 'Four K');
    assert.is((await cli('verify', loop.device, '--expect-fs', 'ntfs')).status, 0);
    assert.is((await cli('inspect', loop.device, '--sector-size', '512')).status, EXIT_CODE.INVALID_SPEC);
    assert.is((await cli('verify', loop.device, '--sector-size', '512')).status, 2);
  } finally {
    loop.detach();
  }
});

test('a missing target exits with IO_FAILED\'s code', async () => {
  const r = await cli('inspect', join(dir.path, 'nope.img'));
  assert.is(r.status, EXIT_CODE.IO_FAILED);
});

test.after(() => dir.remove());
test.run();
