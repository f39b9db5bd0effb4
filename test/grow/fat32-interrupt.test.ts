// An interrupted FAT32 grow: stopped after every write (cleanly, or with that write torn in half), the disk left has
// a valid table (the old one on the bigger disk, or the grown one) and a volume fsck.fat -n passes (old size or
// new). Running grow again finishes it. Disks made by mkfs.fat and guestdisk (image files, then memory disks),
// judged on a loop device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { GuestdiskError } from '../../src/errors.js';
import { growDisk, planGrowFrom } from '../../src/grow/grow-disk.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { DiskStage } from '../helpers/classify.js';
import { cloneMemoryTarget, injectFault, INJECTED_FAULT, type FaultKind } from '../helpers/fault-target.js';
import { makeTempDir } from '../helpers/tools.js';
import { GiB } from './disks.js';
import { gptVerdict, partitionsOf } from './judge.js';
import { fsckFat, loadImage, makeFatDisk, type FatDiskCase } from './fat32-disks.js';

const CASES: FatDiskCase[] = [
  { maker: 'mkfs.fat', table: 'gpt', sectorSize: 512, oldBytes: GiB },
  { maker: 'mkfs.fat', table: 'gpt', sectorSize: 4096, oldBytes: GiB },
  { maker: 'guestdisk', table: 'mbr', sectorSize: 4096, oldBytes: GiB },
];

const dir = makeTempDir('guestdisk-grow-fat32-interrupt-');

function judge(c: FatDiskCase, stage: DiskStage): { ok: boolean; grown: boolean; evidence: string } {
  let grown = true;
  if (c.table === 'gpt') {
    const t = gptVerdict(stage.device, true);
    if (!t.ok) return { ok: false, grown: false, evidence: t.evidence };
    grown = t.grown;
  }
  const parts = partitionsOf(stage.device, c.sectorSize);
  if (parts.length !== 1) return { ok: false, grown, evidence: `sfdisk sees ${parts.length} partitions` };
  const r = fsckFat(stage.device, parts[0], c.sectorSize);
  return { ok: r.ok, grown, evidence: `fsck.fat -n ${r.ok ? 'clean' : 'fails'}: ${r.output.split('\n').slice(-3).join(' | ')}` };
}

for (const c of CASES) {
  test(`grow FAT32 ${c.maker} ${c.table}/${c.sectorSize}: stopped after every write, clean or torn, old or new layout is valid, and a second run finishes it`, async () => {
    const image = join(dir.path, `${c.maker}-${c.table}-${c.sectorSize}.img`);
    await makeFatDisk(image, c);
    // The largest disk the FAT can address (the refusal of 2 GiB names it).
    const probe = await loadImage(image, c.sectorSize, 2 * GiB);
    const refusal = await planGrowFrom(probe, 2 * GiB).then(() => null, (e: unknown) => e);
    assert.ok(refusal instanceof GuestdiskError && typeof refusal.details?.largestDiskBytes === 'number', String(refusal));
    const newBytes = (refusal as GuestdiskError).details!.largestDiskBytes as number;
    const before = await loadImage(image, c.sectorSize, newBytes);
    const stage = new DiskStage(join(dir.path, `stage-${c.maker}-${c.table}-${c.sectorSize}.img`), newBytes, c.sectorSize);
    try {
      const full = injectFault(await cloneMemoryTarget(before), null);
      await growDisk(full);
      const writes = full.ops.filter((o) => o.kind !== 'flush').length;
      assert.ok(writes >= 2, `${writes} writes`);
      const bad: string[] = [];
      const tornCommit: string[] = [];
      for (const kind of ['fail-after', 'torn'] as FaultKind[]) {
        for (let n = 0; n < writes; n++) {
          const disk: MemoryTarget = await cloneMemoryTarget(before);
          const target = injectFault(disk, { kind, writes: n });
          const error = await growDisk(target).then(() => null, (e: unknown) => e);
          assert.ok(error instanceof GuestdiskError && error.message.includes(INJECTED_FAULT), `${kind} ${n}: expected the injected fault, got ${String(error)}`);
          await stage.show(disk);
          const v = judge(c, stage);
          // A torn commit write lands the new boot sector and FSInfo but not their backups (docs/grow.md).
          if (kind === 'torn' && n === writes - 1 && !v.ok) tornCommit.push(v.evidence);
          else if (!v.ok) bad.push(`${kind} after ${n} of ${writes} writes: ${v.evidence}`);
          const rerun = await growDisk(disk).then(() => 'ran', (e: unknown) => (e instanceof GuestdiskError && e.message.includes('nothing to grow') ? 'nothing' : `failed: ${String(e)}`));
          await stage.show(disk);
          const again = judge(c, stage);
          if (rerun.startsWith('failed') || !again.ok || !again.grown) bad.push(`${kind} after ${n}, run again (${rerun}): ${again.evidence}`);
        }
      }
      console.log(`  FAT32 ${c.maker} ${c.table}/${c.sectorSize}: ${writes} writes, ${2 * writes} interrupted states; torn commit: ${tornCommit[0] ?? 'valid'}`);
      assert.equal(bad, []);
    } finally {
      stage.close();
    }
  });
}

test.after(() => dir.remove());
test.run();
