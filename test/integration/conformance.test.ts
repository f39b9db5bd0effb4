// The independent judge (../shared/conformance/check-image.sh: util-linux, gdisk, parted, ntfs-3g, libfsntfs,
// sleuthkit, exfatprogs, exfat-fuse, dosfstools, mtools, 7-Zip) on a representative matrix of our disks:
// every filesystem × table × sector size, with the mount-and-write test on one disk per filesystem and sector size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';
import { makeTempDir, runTool } from '../helpers/tools.js';

const CHECK = join(CONFORMANCE_DIR, 'check-image.sh');
const dir = makeTempDir('guestdisk-conformance-');

const LABELS = { ntfs: 'Données Win', exfat: 'WinExFAT', fat32: 'WINFAT32', none: '' } as const;

function judge(image: string, args: string[]): { passed: number; failed: number; lines: string[] } {
  assert.ok(existsSync(CHECK), `the conformance judge is missing: ${CHECK} (shared/ must sit beside the project root)`);
  const r = runTool('bash', [CHECK, image, ...args], { timeoutMs: 10 * 60 * 1000 });
  const lines = r.stdout.split('\n');
  const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
  assert.ok(summary, `no summary from check-image.sh:\n${r.stdout}\n${r.stderr}`);
  return { passed: Number(summary![1]), failed: Number(summary![2]), lines };
}

const cases: { fs: 'ntfs' | 'exfat' | 'fat32'; table: 'gpt' | 'mbr'; sector: 512 | 4096; write: boolean }[] = [];
for (const fs of ['ntfs', 'exfat', 'fat32'] as const) {
  for (const table of ['gpt', 'mbr'] as const) {
    for (const sector of [512, 4096] as const) {
      cases.push({ fs, table, sector, write: (table === 'gpt') === (sector === 512) });
    }
  }
}

for (const c of cases) {
  test(`check-image.sh: ${c.fs} ${c.table} ${c.sector}${c.write ? ' (with write test)' : ''} — 0 FAIL`, async () => {
    const image = join(dir.path, `${c.fs}-${c.table}-${c.sector}.img`);
    // FAT32 needs 65,525 clusters: with 4096-byte sectors (4 KiB clusters at least) that is just over 256 MiB.
    const size = c.fs === 'fat32' && c.sector === 4096 ? '300M' : '256M';
    await mustCli(['create', image, '--size', size, '--fs', c.fs, '--table', c.table, '--sector-size', String(c.sector), '--label', LABELS[c.fs], '--seed', 'conformance', '--timestamp', '1700000000']);
    const args = ['--label', LABELS[c.fs], '--fs', c.fs, '--table', c.table, '--sector', String(c.sector)];
    if (!c.write) args.push('--no-write-test');
    const result = judge(image, args);
    const bad = result.lines.filter((l) => l.startsWith('FAIL') || /^WARN ntfs\.bpb-hidden-sectors/.test(l));
    assert.equal(bad, [], bad.join('\n'));
    assert.is(result.failed, 0);
    assert.ok(result.passed >= 10, `only ${result.passed} checks passed`);
  });
}

test('check-image.sh: partition-only disks (fs none) pass every table check', async () => {
  for (const [table, sector] of [['gpt', 512], ['mbr', 4096]] as const) {
    const image = join(dir.path, `none-${table}-${sector}.img`);
    await mustCli(['create', image, '--size', '64M', '--fs', 'none', '--table', table, '--sector-size', String(sector), '--seed', 'conformance', '--timestamp', '0']);
    const result = judge(image, ['--no-write-test', '--table', table, '--sector', String(sector)]);
    const bad = result.lines.filter((l) => /^FAIL (table|gpt|image)\./.test(l));
    assert.equal(bad, [], bad.join('\n'));
    assert.ok(result.lines.some((l) => l.startsWith('PASS table.sfdisk-json')));
  }
});

test.after(() => dir.remove());
test.run();
