// Golden: a seeded volume is byte-identical to the committed one (sha256, the first structures byte for byte),
// and fsck.fat's report of it is the committed report. Recipe: fixtures/fat32/README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, makeGolden } from './golden-recipe.js';

function fixture(name: string): Buffer {
  try {
    return readFileSync(join(FIXTURES, name));
  } catch (e) {
    throw new Error(`fixture fixtures/fat32/${name} missing: see fixtures/fat32/README.md`, { cause: e });
  }
}

const golden = makeGolden();

test('image sha256 matches the committed one', () => {
  assert.is(`${golden.sha256}  golden-64m.img\n`, fixture('golden-64m.sha256').toString('utf8'));
});

test('structures match byte for byte', () => {
  assert.equal([...golden.bootSector], [...fixture('golden-boot-sector.bin')]);
  assert.equal([...golden.fsInfo], [...fixture('golden-fsinfo.bin')]);
  assert.equal([...golden.fatHead], [...fixture('golden-fat-head.bin')]);
  assert.equal([...golden.labelEntry], [...fixture('golden-label-entry.bin')]);
});

test('fsck.fat -n -v report matches the committed one', () => {
  assert.fixture(golden.fsck, fixture('golden-64m.fsck.txt').toString('utf8'));
});

test.run();
