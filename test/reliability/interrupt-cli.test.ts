// The CLI's interrupt path, deterministically: `runCreate` in-process with a signal flag that turns on before
// the N-th check between writes, for every N, on an image file and on a loop device that already hold a disk.
// Each stop: code INTERRUPTED (exit 130), a message that says what state the disk is in and how to redo it, a
// claim of "no partition table" that blkid confirms, and a disk that is never a lie.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCreate, type CliIo, type CreateOptions } from '../../src/cli/create.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { GuestdiskError } from '../../src/errors.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { openBlockDeviceTarget } from '../../src/target/block-device.js';
import { openFileTarget } from '../../src/target/file-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { classifyDisk } from '../helpers/classify.js';
import { detachLoopsOver } from './cli-process.js';
import { attachLoop, makeTempDir, mustRun, runTool } from '../helpers/tools.js';

const MiB = 2 ** 20;
/** What a stop message must say about the disk: how to redo it, that it is complete, or that it is untouched. */
const STATE_SAID = /--force|complete|finished|[Nn]othing was written|as it was/;
const dir = makeTempDir('guestdisk-interrupt-cli-');
test.after(() => dir.remove());

function ioWithSignalFrom(n: number): CliIo & { checks(): number } {
  let checks = 0;
  return {
    stdout: () => {},
    stderr: () => {},
    env: { PATH: process.env.PATH },
    now: () => 1_700_000_000_000,
    interrupted: () => (checks++ >= n ? 'SIGINT' : null),
    checks: () => checks,
  };
}

function pttype(device: string): string | null {
  return /PTTYPE=(\w+)/.exec(runTool('blkid', ['-p', '-o', 'export', device], { timeoutMs: 60_000 }).stdout)?.[1] ?? null;
}

for (const kind of ['file', 'loop'] as const) {
  for (const [table, fs] of [['gpt', 'ntfs'], ['mbr', 'fat32']] as const) {
    test(`interrupted before every write check, ${kind} ${table}/${fs} over an old disk: exit 130, the state said truly, never a lie`, async () => {
      const size = 64 * MiB;
      const backing = join(dir.path, `${kind}-${table}-${fs}.img`);
      mustRun('truncate', ['-s', String(size), backing]);
      const loop = kind === 'loop' ? attachLoop(backing, { readOnly: false }) : null;
      const target = loop?.device ?? backing;
      const layout = planDisk({ table, fs, seed: 'x', timestamp: 1_700_000_000 }, { sizeBytes: size, logicalSectorSize: 512, physicalSectorSize: 512 });
      const p = layout.partitions[0];
      const expect = { path: target, logicalSectorSize: 512 as const, fs, oldFs: 'exfat' as const, expectedPartition: { offsetBytes: p.startLba * 512, sizeBytes: p.sizeLba * 512 } };
      const options: CreateOptions = { table, fs, seed: 'interrupt', timestamp: '1700000000', force: true, ...(kind === 'file' ? { size: '64M' } : {}) };
      const wrong: string[] = [];
      try {
        let total = Infinity;
        for (let n = 0; n <= total; n++) {
          // The old disk, written through the library (quicker than a CLI process per stop point).
          const old = planDisk({ table, fs: 'exfat', seed: `old-${n}`, timestamp: 1_700_000_000 }, { sizeBytes: size, logicalSectorSize: 512, physicalSectorSize: 512 });
          const oldTarget = loop ? await openBlockDeviceTarget({ path: target, mode: 'write' }) : await openFileTarget({ path: target, mode: 'write', sizeBytes: size, reset: true });
          await writeDisk(old, oldTarget);
          await oldTarget.close();
          const io = ioWithSignalFrom(n);
          let error: unknown = null;
          await runCreate(target, options, io).catch((e: unknown) => { error = e; });
          if (error === null) {
            total = n; // the run needed n checks: every stop point is covered
            assert.is(classifyDisk(expect).klass, 'complete');
            break;
          }
          if (!(error instanceof GuestdiskError)) throw error;
          const e: GuestdiskError = error;
          const verdict = classifyDisk(expect);
          const how = `stopped at check ${n}: ${e.message}`;
          if (e.code !== 'INTERRUPTED' || EXIT_CODE[e.code] !== 130) wrong.push(`${how}: code ${e.code}`);
          // The message must say where the disk stands: how to redo it, that it is complete, or that it is untouched.
          if (!STATE_SAID.test(e.message)) wrong.push(`${how}: the message does not say what state the disk is in (disk: ${verdict.klass})`);
          if (/[Nn]othing was written|as it was/.test(e.message) && verdict.klass !== 'unchanged' && verdict.klass !== 'old-intact') {
            wrong.push(`${how}: the message says nothing was written, but the disk is ${verdict.klass}`);
          }
          if (verdict.klass === 'lie') wrong.push(`${how}: ${verdict.evidence}`);
          if (/shows no partition table/.test(e.message) && pttype(target) !== null) {
            wrong.push(`${how}: but blkid sees a ${pttype(target)} table (${verdict.klass}: ${verdict.evidence.slice(0, 160)})`);
          }
        }
        assert.ok(Number.isFinite(total) && total > 3, `the run never finished (${total} checks)`);
        assert.equal(wrong, [], wrong.join('\n'));
      } finally {
        loop?.detach();
      await detachLoopsOver(backing);
      }
    });
  }
}

test.run();
