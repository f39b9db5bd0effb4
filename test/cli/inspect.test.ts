// `guestdisk inspect` through the real CLI process: never writes, detects the sector size, prints a table or the
// documented JSON; an unreadable target exits with its error code.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { attachLoop, makeTempDir } from '../helpers/tools.js';
import { makeImageFile } from '../inspect/disks.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = makeTempDir('guestdisk-cli-inspect-');
const img = join(dir.path, 'disk4k.img');
await makeImageFile(img, { table: 'gpt', fs: 'ntfs', sectorSize: 4096, label: 'Four K', seed: 'cli' });

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('inspect --json: detected 4096-byte sectors, GPT, NTFS with its label; the image is untouched', () => {
  const before = readFileSync(img);
  const mtime = statSync(img).mtimeMs;
  const r = cli('inspect', img, '--json');
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

test('inspect prints a human table', () => {
  const r = cli('inspect', img);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /table\s+GPT \(read from the primary\)/);
  assert.match(r.stdout, /Microsoft basic data/);
  assert.match(r.stdout, /ntfs, label "Four K"/);
  assert.match(r.stdout, /findings\s+none/);
});

test('a 4Kn loop device: the kernel\'s sector size is used; a disagreeing --sector-size is a usage error', () => {
  const loop = attachLoop(img, { sectorSize: 4096 });
  try {
    const r = cli('inspect', loop.device, '--json');
    assert.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.is(report.sectorSizeSource, 'device');
    assert.is(report.logicalSectorSize, 4096);
    assert.is(report.partitions[0].filesystem.label, 'Four K');
    assert.is(cli('verify', loop.device, '--expect-fs', 'ntfs').status, 0);
    assert.is(cli('inspect', loop.device, '--sector-size', '512').status, EXIT_CODE.INVALID_SPEC);
    assert.is(cli('verify', loop.device, '--sector-size', '512').status, 2);
  } finally {
    loop.detach();
  }
});

test('a missing target exits with IO_FAILED\'s code', () => {
  const r = cli('inspect', join(dir.path, 'nope.img'));
  assert.is(r.status, EXIT_CODE.IO_FAILED);
});

test.after(() => dir.remove());
test.run();
