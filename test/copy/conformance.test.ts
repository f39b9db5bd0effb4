// The independent judge (../shared/conformance/check-image.sh) on populated volumes: FAT32 and exFAT with the
// judges' tree copied in, its mount-and-write test included (tools write more files next to ours, then check).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { makeTempDir, runTool } from '../helpers/tools.js';
import { TIMESTAMP, makeJudgeTree } from './trees.js';

const CHECK = join(CONFORMANCE_DIR, 'check-image.sh');

const cases = [
  { fs: 'fat32', table: 'gpt', sector: 512, clusterSize: 1024, size: '96M' },
  { fs: 'exfat', table: 'mbr', sector: 4096, clusterSize: 4096, size: '64M' },
  { fs: 'exfat', table: 'gpt', sector: 512, clusterSize: 32768, size: '96M' },
] as const;

for (const c of cases) {
  test(`check-image.sh: ${c.fs} ${c.table} ${c.sector}, ${c.clusterSize}-byte clusters, populated — 0 FAIL`, async () => {
    assert.ok(existsSync(CHECK), `the conformance judge is missing: ${CHECK}`);
    const tmp = makeTempDir('guestdisk-copy-conf-');
    try {
      const src = join(tmp.path, 'src');
      makeJudgeTree(src, c.clusterSize);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', c.size, '--fs', c.fs, '--table', c.table, '--sector-size', String(c.sector), '--cluster-size', String(c.clusterSize),
        '--label', 'COPIED', '--copy-from', src, '--seed', 'conformance', '--timestamp', String(TIMESTAMP)]);
      const r = runTool('bash', [CHECK, image, '--label', 'COPIED', '--fs', c.fs, '--table', c.table, '--sector', String(c.sector)], { timeoutMs: 10 * 60 * 1000 });
      const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
      assert.ok(summary, `no summary from check-image.sh:\n${r.stdout}\n${r.stderr}`);
      const bad = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      assert.equal(bad, [], bad.join('\n'));
      assert.ok(Number(summary![1]) >= 10);
    } finally {
      tmp.remove();
    }
  });
}

test.run();
