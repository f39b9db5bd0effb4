// Every row of the bad-input table (bad-input-rows.ts, docs/reliability.md) through the CLI's main(): the documented
// error code and exit code, and nothing written: every file in the directory keeps its sha256 and mtime, and no
// new file (image or lock) is left behind.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { makeTempDir, mustRun } from '../helpers/tools.js';
import { CLI_ROWS, type CliRow } from './bad-input-rows.js';

const dir = makeTempDir('guestdisk-bad-input-');
const paths = { new: join(dir.path, 'new.img'), existing: join(dir.path, 'existing.img'), blank: join(dir.path, 'blank.img'), empty: join(dir.path, 'empty.img'), random: join(dir.path, 'random.img'), dir: dir.path };
await mustCli(['create', paths.existing, '--size', '64M', '--seed', 'bad-input', '--timestamp', '1700000000']);
mustRun('truncate', ['-s', '64M', paths.blank]);
writeFileSync(paths.empty, '');
writeFileSync(paths.random, Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24 || 1));
mustRun('truncate', ['-s', '64M', paths.random]);

/**
 * The CLI in-process; a row holding bytes that are not UTF-8 runs the built bin through bash instead, so that
 * those bytes reach node's own argv decoding (a string in this process could not carry them).
 */
export async function runCliBytes(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const rowEnv = { SOURCE_DATE_EPOCH: '', ...env };
  if (!argv.some((a) => a.includes('@CESU-D800@'))) return runCli(argv, rowEnv);
  const script = 'bad=$(printf "\\355\\240\\200"); set -- "${@//@CESU-D800@/$bad}"; exec "$NODE" "$BIN" "$@"';
  const r = spawnSync('/bin/bash', ['-c', script, 'bash', ...argv], {
    cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...rowEnv, NODE: process.execPath, BIN },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function snapshot(): Promise<string> {
  const rows: string[] = [];
  for (const name of readdirSync(dir.path).sort()) {
    const p = join(dir.path, name);
    const st = statSync(p);
    rows.push(`${name} ${st.size} ${st.mtimeMs} ${st.isFile() ? await sha256File(p) : 'dir'}`);
  }
  return rows.join('\n');
}

function argvFor(row: CliRow): string[] {
  const argv = row.argv.map((a) => a.replace(/\{(new|existing|blank|empty|random|dir)\}/g, (_, k: keyof typeof paths) => paths[k]).replace('\xed\xa0\x80', '@CESU-D800@'));
  return row.id === 'command-unknown' ? argv : [...argv, '--json'];
}

/** The directory as the last row left it: the next row's "before", so each state is hashed once. */
let lastSnapshot: string | undefined;

for (const row of CLI_ROWS) {
  test(`bad input ${row.id}: ${row.code ?? 'usage error'}, exit ${row.exit}, nothing written`, async () => {
    // Per row, against what the row before left (not the first state): one row's bug must not fail the rows after it.
    const before = lastSnapshot ?? (await snapshot());
    lastSnapshot = undefined; // a row that throws before the end leaves the next one to take its own
    const r = await runCliBytes(argvFor(row), row.env);
    const out = `exit ${r.status}\nstdout: ${r.stdout.slice(0, 600)}\nstderr: ${r.stderr.slice(0, 600)}`;
    assert.is(r.status, row.exit, out);
    if (row.code) {
      const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.is(error.code, row.code, out);
      assert.match(error.message, row.message, out);
      assert.is(EXIT_CODE[row.code], row.exit, 'the row agrees with cli/exit-codes.ts');
    } else {
      assert.match(r.stderr, row.message, out);
    }
    lastSnapshot = await snapshot();
    assert.is(lastSnapshot, before, 'every file keeps its bytes and mtime; no new file is left');
  });
}

test('docs/reliability.md lists every row with its code and exit code', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'reliability.md'), 'utf8');
  for (const row of CLI_ROWS) {
    const line = doc.split('\n').find((l) => l.startsWith(`| \`${row.id}\` |`));
    assert.ok(line, `docs/reliability.md has no row for ${row.id}`);
    const cells = line!.split(' | ');
    assert.ok(cells.some((c) => c.trim() === (row.code ? `\`${row.code}\`` : 'usage error')), `${row.id}: code cell`);
    assert.ok(cells.some((c) => c.trim() === String(row.exit)), `${row.id}: exit cell`);
  }
});

// Writes the doc's table from the rows: `GUESTDISK_WRITE_DOC_TABLE=1 node --import tsx test/reliability/bad-input-cli.test.ts`.
if (process.env.GUESTDISK_WRITE_DOC_TABLE) {
  const table = [
    '| id | bad input | error code | exit | message (excerpt) |',
    '|---|---|---|---|---|',
    ...CLI_ROWS.map((r) => `| \`${r.id}\` | ${r.input} | ${r.code ? `\`${r.code}\`` : 'usage error'} | ${r.exit} | ${r.message.source.replace(/\\/g, '').replace(/\|/g, '\\|')} |`),
  ].join('\n');
  writeFileSync(join(dir.path, 'table.md'), table);
  console.log(table);
}

test.after(() => dir.remove());
test.run();
