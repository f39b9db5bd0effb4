// createDisk, the library's whole create workflow: the same refusals and states as the CLI, as typed results and
// GuestdiskErrors (the CLI's own tests run it through the command line).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDisk, findTargetData, GuestdiskError, planCreate, type DiskSpec } from '../../src/index.js';
import { sha256File } from '../helpers/cli.js';
import { makeTempDir, mustRun } from '../helpers/tools.js';

const dir = makeTempDir('guestdisk-create-disk-');
test.after(() => dir.remove());
const MiB = 2 ** 20;
const spec: DiskSpec = { table: 'gpt', fs: 'exfat', label: 'LIB', seed: 'create-disk', timestamp: 1_700_000_000 };

async function errorOf(run: () => Promise<unknown>): Promise<GuestdiskError> {
  try {
    await run();
  } catch (e) {
    assert.instance(e, GuestdiskError);
    return e as GuestdiskError;
  }
  throw new Error('expected a GuestdiskError');
}

test('a new image: the disk, a typed result, progress for every write; the same spec twice gives the same bytes', async () => {
  const image = join(dir.path, 'new.img');
  const seen: number[] = [];
  const made = await createDisk(spec, { path: image, sizeBytes: 64 * MiB }, { onProgress: (next, diskBytes) => { seen.push(next.lengthBytes); assert.is(diskBytes, 64 * MiB); } });
  assert.is(made.kind, 'file');
  assert.is(made.createdFile, true);
  assert.is(made.layout.partitions[0].startLba, 2048);
  assert.is(made.write.steps, made.layout.steps.length);
  assert.is(seen.length, made.write.writes + made.write.flushes);
  assert.equal(made.erasedStaleData, []);
  assert.match(mustRun('blkid', ['-p', '-o', 'export', '--offset', String(MiB), image]), /LABEL=LIB/);
  const again = join(dir.path, 'again.img');
  await createDisk(spec, { path: again, sizeBytes: 64 * MiB });
  assert.is(await sha256File(again), await sha256File(image));
});

test('existing data: TARGET_HAS_DATA naming it, untouched; force erases it; planCreate/findTargetData say the same without writing', async () => {
  const image = join(dir.path, 'old.img');
  await createDisk({ ...spec, fs: 'ntfs' }, { path: image, sizeBytes: 64 * MiB });
  const before = await sha256File(image);
  const e = await errorOf(() => createDisk(spec, { path: image }));
  assert.is(e.code, 'TARGET_HAS_DATA');
  assert.match(e.message, /GPT partition table .*NTFS filesystem at byte 1048576/);
  assert.is(await sha256File(image), before);
  const planned = await planCreate(spec, { path: image });
  assert.match((await findTargetData(planned)).join(';'), /NTFS filesystem at byte 1048576/);
  const made = await createDisk(spec, { path: image }, { force: true });
  assert.is(made.createdFile, false);
  assert.equal(await findTargetData(planned).then((f) => f.some((x) => /NTFS/.test(x))), false);
});

test('freshVolume: a volume just made (stale signatures of freed extents) is written without force, and says what it erased', async () => {
  const image = join(dir.path, 'fresh.img');
  await createDisk({ ...spec, fs: 'ntfs' }, { path: image, sizeBytes: 64 * MiB });
  const made = await createDisk(spec, { path: image }, { freshVolume: true });
  assert.match(made.erasedStaleData.join(';'), /NTFS filesystem at byte 1048576/);
  assert.match(mustRun('blkid', ['-p', '-o', 'export', '--offset', String(MiB), image]), /TYPE=exfat/);
});

test('an aborted signal before the first write: INTERRUPTED, "Nothing was written", no file made, an old one untouched', async () => {
  const controller = new AbortController();
  controller.abort('SIGINT');
  const fresh = join(dir.path, 'aborted.img');
  const e = await errorOf(() => createDisk(spec, { path: fresh, sizeBytes: 64 * MiB }, { signal: controller.signal }));
  assert.is(e.code, 'INTERRUPTED');
  assert.match(e.message, /^interrupted by SIGINT\. Nothing was written/);
  assert.is(e.details.diskState, 'unchanged');
  assert.not.ok(existsSync(fresh));
  const old = join(dir.path, 'old-aborted.img');
  await createDisk(spec, { path: old, sizeBytes: 64 * MiB });
  const before = await sha256File(old);
  const e2 = await errorOf(() => createDisk({ ...spec, fs: 'ntfs' }, { path: old }, { force: true, signal: controller.signal }));
  assert.match(e2.message, /Nothing was written: the disk is as it was/);
  assert.is(await sha256File(old), before);
});

test('a signal during the write: INTERRUPTED with the state the disk is in; a new image that is not complete is removed', async () => {
  const controller = new AbortController();
  let writes = 0;
  const image = join(dir.path, 'mid.img');
  const e = await errorOf(() => createDisk(spec, { path: image, sizeBytes: 64 * MiB }, { signal: controller.signal, onProgress: () => { if (++writes === 3) controller.abort('SIGTERM'); } }));
  assert.is(e.code, 'INTERRUPTED');
  assert.match(e.message, /interrupted by SIGTERM\. The new image .* was removed/);
  assert.is(e.details.diskState, 'removed');
  assert.not.ok(existsSync(image));
});

test('the lock: a second createDisk on the same file (another name for it) while the first runs is TARGET_BUSY', async () => {
  const image = join(dir.path, 'locked.img');
  writeFileSync(image, '');
  mustRun('truncate', ['-s', String(64 * MiB), image]);
  mustRun('ln', ['-s', image, join(dir.path, 'locked-link.img')]);
  let inner = null as GuestdiskError | null;
  await createDisk(spec, { path: image }, {
    onProgress: async () => {
      if (inner) return;
      inner = await errorOf(() => createDisk(spec, { path: join(dir.path, 'locked-link.img') }, { force: true }));
    },
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(inner, 'the second run was tried');
  assert.is(inner!.code, 'TARGET_BUSY');
  assert.ok(statSync(image).size === 64 * MiB);
  assert.match(readFileSync(image).subarray(MiB + 3, MiB + 11).toString('latin1'), /EXFAT/);
});

test.run();
