// Golden volumes: a seeded plan must produce exactly the bytes recorded in fixtures/exfat (sha256 of the whole
// sparse volume, and dump.exfat's report of it). fixtures/exfat/README.md has the recipe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planExfat } from '../../../src/fs/exfat/index.js';
import { encodeBootRegion } from '../../../src/fs/exfat/boot-region.js';
import { encodeRootEntries, exfatBootSectorFor } from '../../../src/fs/exfat/format.js';
import { makeTempDir, mustRun } from '../../helpers/tools.js';
import { exfatInput, writeVolumeFile } from './helpers.js';
import { GOLDEN_CASES } from './golden-cases.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'exfat');


function fixturePath(name: string): string {
  const path = join(FIXTURES, name);
  if (!existsSync(path)) throw new Error(`fixture ${path} is missing: see fixtures/exfat/README.md (fixtures/exfat/generate.ts regenerates it)`);
  return path;
}
const loadFixture = (name: string): string => readFileSync(fixturePath(name), 'utf8');
const loadFixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));

for (const c of GOLDEN_CASES) {
  test(`${c.name}: boot region and root entries encode to the recorded bytes`, () => {
    const plan = planExfat(exfatInput({ ...c.input, physicalSectorSize: c.input.logicalSectorSize }));
    assert.equal(encodeBootRegion(exfatBootSectorFor(plan)), loadFixtureBytes(`${c.name}.boot-region.bin`));
    assert.equal(encodeRootEntries(plan), loadFixtureBytes(`${c.name}.root-entries.bin`));
  });

  test(`${c.name}: sha256 and dump.exfat output as recorded`, () => {
    const dir = makeTempDir('guestdisk-exfat-golden-');
    try {
      const plan = planExfat(exfatInput({ ...c.input, physicalSectorSize: c.input.logicalSectorSize }));
      const path = join(dir.path, `${c.name}.img`);
      writeVolumeFile(path, plan);
      const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
      const dump = mustRun('env', ['LC_ALL=C.UTF-8', 'dump.exfat', path]);
      assert.is(`${sha}  ${c.name}.img\n`, loadFixture(`${c.name}.sha256`));
      assert.is(dump, loadFixture(`${c.name}.dump.txt`));
    } finally {
      dir.remove();
    }
  });
}

test.run();
