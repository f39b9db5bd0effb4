// The initramfs's cpio writer, judged by GNU cpio: it lists and extracts what we wrote, byte for byte.
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCpio } from './cpio.js';
import { makeTempDir } from '../helpers/tools.js';
import { requireVmTool } from './vm-tools.js';

test('GNU cpio lists and extracts directories, files (odd sizes, modes) and symlinks as written', () => {
  const cpio = requireVmTool('cpio');
  const data = new Uint8Array(4099).map((_, i) => (i * 7) & 0xff);
  const archive = encodeCpio([
    { kind: 'dir', name: 'bin' },
    { kind: 'file', name: 'bin/tool', data, mode: 0o755 },
    { kind: 'symlink', name: 'bin/sh', target: 'tool' },
    { kind: 'file', name: 'empty', data: new Uint8Array(0) },
    { kind: 'file', name: 'x', data: new TextEncoder().encode('a') },
  ]);
  const list = spawnSync(cpio, ['-it', '--quiet'], { input: archive, encoding: 'utf8' });
  assert.is(list.status, 0, list.stderr);
  assert.equal(list.stdout.trim().split('\n'), ['bin', 'bin/tool', 'bin/sh', 'empty', 'x']);
  const dir = makeTempDir('guestdisk-cpio-');
  try {
    const extract = spawnSync(cpio, ['-id', '--quiet', '--no-absolute-filenames'], { input: archive, cwd: dir.path, encoding: 'utf8' });
    assert.is(extract.status, 0, extract.stderr);
    assert.equal(new Uint8Array(readFileSync(join(dir.path, 'bin/tool'))), data);
    assert.is(statSync(join(dir.path, 'bin/tool')).mode & 0o777, 0o755);
    assert.is(readlinkSync(join(dir.path, 'bin/sh')), 'tool');
    assert.is(readFileSync(join(dir.path, 'empty')).length, 0);
    assert.is(readFileSync(join(dir.path, 'x'), 'utf8'), 'a');
  } finally {
    dir.remove();
  }
});

test.run();
