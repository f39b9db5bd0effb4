// Our own disks read back as written, verify clean, and `inspect --json` of seeded disks matches the goldens.
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GPT_TYPE_BASIC_DATA, MBR_TYPE } from '../../src/partition/gpt-types.js';
import { FS_INSPECTORS } from '../../src/inspect/fs-dispatch.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import { detectSectorSize } from '../../src/inspect/sector-size.js';
import { verifyDisk } from '../../src/inspect/verify.js';
import type { LogicalSectorSize, TableKind } from '../../src/plan/layout.js';
import { makeMemoryDisk, MIB, reinterpret, WRITABLE_FS } from './disks.js';

const TABLES: readonly TableKind[] = ['gpt', 'mbr'];
const SECTORS: readonly LogicalSectorSize[] = [512, 4096];
const FIXTURES = new URL('../../fixtures/inspect/', import.meta.url);

for (const table of TABLES) {
  for (const sectorSize of SECTORS) {
    for (const fs of WRITABLE_FS) {
      test(`our ${table} ${sectorSize} fs=${fs} disk reads back and verifies clean`, async () => {
        const label = fs === 'none' ? undefined : 'GUEST DATA';
        const disk = await makeMemoryDisk({ table, fs, sectorSize, label });
        const report = await inspectDisk(disk);
        assert.is(report.table.kind, table);
        assert.is(report.logicalSectorSize, sectorSize);
        assert.is(report.partitions.length, 1);
        const p = report.partitions[0];
        assert.is(p.offsetBytes, MIB);
        assert.ok(p.aligned1MiB);
        if (table === 'gpt') {
          assert.is(p.type.guid, GPT_TYPE_BASIC_DATA);
          assert.is(p.name, 'Basic data partition');
          assert.is(p.attributes?.value, '0x0000000000000000');
          assert.ok(report.table.kind === 'gpt' && report.table.primaryHeader.valid && report.table.backupHeader.valid);
          assert.is(report.table.kind === 'gpt' && report.table.backupHeader.lba, report.sizeLba - 1);
        } else {
          assert.is(p.type.mbrType, fs === 'fat32' ? MBR_TYPE.FAT32_LBA : MBR_TYPE.NTFS_EXFAT);
          assert.ok(report.table.kind === 'mbr' && report.table.diskSignature !== '0x00000000');
        }
        const decoded = fs !== 'none' && FS_INSPECTORS[fs] !== undefined;
        if (fs !== 'none') assert.is(p.filesystem?.type, fs);
        if (decoded) assert.is(p.filesystem?.label, label);
        const verify = await verifyDisk(disk, { table, ...(fs === 'none' ? {} : { fs }), ...(decoded ? { label } : {}) });
        assert.ok(verify.ok, JSON.stringify(verify.findings, null, 2));
        assert.is(verify.errors, 0);
        assert.is(verify.warnings, 0, JSON.stringify(verify.findings, null, 2));
        assert.equal(verify.findings.map((f) => f.code), fs === 'none' ? ['FS_NONE'] : []);
      });

      test(`sector size of our ${table} ${sectorSize} fs=${fs} disk is detected from its bytes`, async () => {
        const disk = await makeMemoryDisk({ table, fs, sectorSize });
        for (const seenAs of SECTORS) {
          const guess = await detectSectorSize(await reinterpret(disk, seenAs));
          assert.is(guess.logicalSectorSize, sectorSize, guess.reason);
          assert.ok(guess.detected);
        }
      });
    }
  }
}

const GOLDENS = [
  ['gpt', 512, 'none'], ['mbr', 4096, 'none'], ['gpt', 4096, 'none'], ['mbr', 512, 'none'],
  ['gpt', 512, 'ntfs'], ['mbr', 4096, 'ntfs'], ['gpt', 512, 'exfat'], ['mbr', 512, 'fat32'], ['gpt', 4096, 'fat32'],
] as const;
for (const [table, sectorSize, fs] of GOLDENS) {
  const name = `ours-${table}-${sectorSize}-${fs}.json`;
  test(`inspect JSON of the seeded ${table} ${sectorSize} ${fs} disk equals fixtures/inspect/${name}`, async () => {
    const disk = await makeMemoryDisk({ table, fs, sectorSize, seed: 'golden', label: fs === 'none' ? undefined : 'Golden' });
    const report = JSON.parse(JSON.stringify(await inspectDisk(disk)));
    const file = new URL(name, FIXTURES);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    assert.equal(report, JSON.parse(readFileSync(file, 'utf8')));
  });
}

test('a disk read with the wrong sector size says so instead of showing nothing', async () => {
  const disk = await makeMemoryDisk({ table: 'gpt', fs: 'none', sectorSize: 4096 });
  const report = await inspectDisk(await reinterpret(disk, 512));
  assert.is(report.findings[0].code, 'SECTOR_SIZE_MISMATCH', JSON.stringify(report.findings));
  assert.is(report.findings[0].severity, 'error');
});

test.run();
