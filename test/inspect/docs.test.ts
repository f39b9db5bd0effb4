// docs/inspect.md stays true: its code table is FINDING_CODES, every code the filesystem inspectors emit is in it,
// every report field of the goldens is documented, and its examples give what they show.
import { readdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runInspect } from '../../src/cli/inspect.js';
import { runVerify } from '../../src/cli/verify.js';
import type { CliIo } from '../../src/cli/create.js';
import { FINDING_CODES } from '../../src/inspect/finding-codes.js';
import { withFindingTable } from '../../scripts/render-finding-table.js';
import { makeTempDir } from '../helpers/tools.js';
import { makeImageFile, MIB } from './disks.js';

const DOC = readFileSync(new URL('../../docs/inspect.md', import.meta.url), 'utf8');
const SRC = new URL('../../src/inspect/', import.meta.url);

test('the code table in docs/inspect.md is rendered from FINDING_CODES, cell by cell', () => {
  assert.is(withFindingTable(DOC), DOC, 'docs/inspect.md is stale: run node --import tsx scripts/render-finding-table.ts');
  const rows = [...DOC.matchAll(/^\| `([A-Z0-9_]+)` \| (error|warning|info) \| (.*) \|$/gm)].map((m) => [m[1], m[2], m[3].replace(/\\\|/g, '|')]);
  const table = Object.entries(FINDING_CODES).map(([code, { severity, windows }]) => [code, severity, windows]);
  assert.equal(rows, table);
});

test('every code the filesystem inspectors name is a row of FINDING_CODES', () => {
  for (const file of readdirSync(SRC).filter((f) => /^(fs-(ntfs|exfat|fat32)|(ntfs|exfat|fat)-[a-z-]+)\.ts$/.test(f))) {
    const text = readFileSync(join(SRC.pathname, file), 'utf8');
    for (const [, code] of text.matchAll(/'((?:NTFS|EXFAT|FAT)_[A-Z0-9_]+)'/g)) {
      assert.ok(code in FINDING_CODES, `${file}: ${code} is not in FINDING_CODES / docs/inspect.md`);
    }
  }
});

test('every field of the golden reports is named in docs/inspect.md', () => {
  const names = new Set<string>();
  const walk = (value: unknown, inDetails: boolean): void => {
    if (Array.isArray(value)) value.forEach((v) => walk(v, inDetails));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) { names.add(k); walk(v, inDetails || k === 'details'); }
    }
  };
  const dir = new URL('../../fixtures/inspect/', import.meta.url);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) walk(JSON.parse(readFileSync(new URL(f, dir), 'utf8')), false);
  for (const name of names) assert.ok(new RegExp(`[\`, ]${name}[\`,:( ]`).test(DOC), `field ${name} is not documented`);
});

function captureIo(): CliIo & { out: string[] } {
  const out: string[] = [];
  return { out, stdout: (t) => out.push(t), stderr: () => {}, env: {}, now: () => 0, interrupted: () => null };
}

test('the examples in docs/inspect.md', async () => {
  const dir = makeTempDir('guestdisk-inspect-docs-');
  try {
    const disk = join(dir.path, 'disk.img');
    await makeImageFile(disk, { table: 'gpt', fs: 'ntfs', sectorSize: 512, label: 'Data' });
    assert.is(await runVerify(disk, { expectTable: 'gpt', expectFs: 'ntfs', expectLabel: 'Data' }, captureIo()), 0);
    const io = captureIo();
    await runInspect(disk, { json: true }, io);
    assert.is(JSON.parse(io.out.join('')).partitions[0].filesystem.label, 'Data');
    assert.match(DOC, /guestdisk verify grown\.img --json \| jq -r '\.findings\[\] \| "\\\(\.severity\) \\\(\.code\)"'\nwarning GPT_PMBR_SIZE\nwarning GPT_BACKUP_NOT_AT_END\n/);
    const grown = join(dir.path, 'grown.img');
    await makeImageFile(grown, { table: 'gpt', fs: 'ntfs', sectorSize: 512, sizeBytes: 64 * MIB });
    truncateSync(grown, 65 * MIB);
    const g = captureIo();
    assert.is(await runVerify(grown, { json: true }, g), 0);
    assert.equal(JSON.parse(g.out.join('')).findings.map((f: { severity: string; code: string }) => `${f.severity} ${f.code}`), ['warning GPT_PMBR_SIZE', 'warning GPT_BACKUP_NOT_AT_END']);
  } finally {
    dir.remove();
  }
});

test.run();
