// The golden FAT32 volume: its recipe, shared by golden.test.ts and by the regeneration command in
// fixtures/fat32/README.md (`npx tsx test/fs/fat32/golden-recipe.ts`, which rewrites the fixture files).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planFat32, type Fat32Plan } from '../../../src/fs/fat32/plan.js';
import { makeTempDir, runTool } from '../../helpers/tools.js';
import { fat32Input, writeVolumeFile } from './volume-file.js';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/fat32/', import.meta.url));

/** 64 MiB volume, 512-byte sectors, partition at LBA 2048, label GOLDEN, seed "golden", 2024-01-02T03:04:06Z. */
export function goldenPlan(): Fat32Plan {
  return planFat32(fat32Input({
    partitionSizeBytes: 64 * 1024 * 1024,
    partitionStartLba: 2048,
    logicalSectorSize: 512,
    label: 'GOLDEN',
    seed: 'golden',
    timestamp: Date.UTC(2024, 0, 2, 3, 4, 6) / 1000,
  }));
}

export interface GoldenOutputs {
  readonly sha256: string;
  /** fsck.fat -n -v, without its version line, the volume path replaced by VOLUME. */
  readonly fsck: string;
  /** The first sectors, for byte-level goldens: boot (0), FSInfo (1), first FAT sector, root label entry. */
  readonly bootSector: Uint8Array;
  readonly fsInfo: Uint8Array;
  readonly fatHead: Uint8Array;
  readonly labelEntry: Uint8Array;
}

export function makeGolden(): GoldenOutputs {
  const dir = makeTempDir('guestdisk-fat32-golden-');
  try {
    const plan = goldenPlan();
    const path = join(dir.path, 'golden.img');
    writeVolumeFile(path, plan);
    const image = readFileSync(path);
    const r = runTool('fsck.fat', ['-n', '-v', path]);
    if (r.status !== 0) throw new Error(`fsck.fat failed: ${r.stdout}${r.stderr}`);
    const fsck = r.stdout.split('\n').slice(1).join('\n').split(path).join('VOLUME');
    const sector = (lba: number): Uint8Array => new Uint8Array(image.subarray(lba * 512, (lba + 1) * 512));
    return {
      sha256: createHash('sha256').update(image).digest('hex'),
      fsck,
      bootSector: sector(0),
      fsInfo: sector(1),
      fatHead: sector(plan.rsvdSecCnt),
      labelEntry: new Uint8Array(image.subarray(plan.dataStartLba * 512, plan.dataStartLba * 512 + 32)),
    };
  } finally {
    dir.remove();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const g = makeGolden();
  writeFileSync(join(FIXTURES, 'golden-64m.sha256'), `${g.sha256}  golden-64m.img\n`);
  writeFileSync(join(FIXTURES, 'golden-64m.fsck.txt'), g.fsck);
  writeFileSync(join(FIXTURES, 'golden-boot-sector.bin'), g.bootSector);
  writeFileSync(join(FIXTURES, 'golden-fsinfo.bin'), g.fsInfo);
  writeFileSync(join(FIXTURES, 'golden-fat-head.bin'), g.fatHead);
  writeFileSync(join(FIXTURES, 'golden-label-entry.bin'), g.labelEntry);
  console.log(`wrote fixtures/fat32 (sha256 ${g.sha256})`);
}
