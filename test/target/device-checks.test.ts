// Refusal checks on a fake /sys and /proc: holders, swap, FUSE mounts and libvirt users cannot all be made
// for real in CI (no device-mapper, no libvirt); block-device.test.ts covers mounted, O_EXCL and read-only on
// real loop devices.
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { checkDeviceForWrite, findDeviceUses, identifyDevice, majorMinorOf, parseMountinfo, parseSwaps, type KernelViews } from '../../src/target/device-checks.js';
import { makeTempDir } from '../helpers/tools.js';

interface FakeKernel { views: KernelViews; remove(): void; root: string }

function fakeKernel(options: { ro?: boolean; mountinfo?: string; swaps?: string; holders?: string[]; partHolders?: string[] } = {}): FakeKernel {
  const tmp = makeTempDir('guestdisk-fake-sys-');
  const sys = join(tmp.path, 'sys');
  const proc = join(tmp.path, 'proc');
  const disk = join(sys, 'devices/virtual/block/loop9');
  const part = join(disk, 'loop9p1');
  mkdirSync(join(disk, 'holders'), { recursive: true });
  mkdirSync(join(part, 'holders'), { recursive: true });
  mkdirSync(join(sys, 'dev/block'), { recursive: true });
  mkdirSync(join(proc, 'self'), { recursive: true });
  writeFileSync(join(disk, 'dev'), '7:9\n');
  writeFileSync(join(disk, 'ro'), options.ro ? '1\n' : '0\n');
  writeFileSync(join(part, 'dev'), '259:3\n');
  writeFileSync(join(part, 'partition'), '1\n');
  writeFileSync(join(part, 'ro'), '0\n');
  for (const h of options.holders ?? []) mkdirSync(join(disk, 'holders', h));
  for (const h of options.partHolders ?? []) mkdirSync(join(part, 'holders', h));
  symlinkSync('../../devices/virtual/block/loop9', join(sys, 'dev/block/7:9'));
  symlinkSync('../../devices/virtual/block/loop9/loop9p1', join(sys, 'dev/block/259:3'));
  writeFileSync(join(proc, 'self/mountinfo'), options.mountinfo ?? '22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n');
  writeFileSync(join(proc, 'swaps'), options.swaps ?? 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
  const nodes: Record<string, string> = { '/dev/loop9': '7:9', '/dev/loop9p1': '259:3', '/dev/vg0/win': '7:9', '/dev/my disk': '259:3' };
  return {
    root: tmp.path,
    views: { sysRoot: sys, procRoot: proc, statBlockDevice: async (p) => nodes[p] ?? null },
    remove: tmp.remove,
  };
}

async function usesOf(k: FakeKernel, path = '/dev/loop9', mm = '7:9', extra: Parameters<typeof findDeviceUses>[1] = {}) {
  const id = await identifyDevice(path, mm, k.views);
  return (await findDeviceUses(id, { views: k.views, ...extra })).map((u) => u.kind);
}

test('identifyDevice: a disk lists its partitions; a partition names its disk', async () => {
  const k = fakeKernel();
  try {
    const disk = await identifyDevice('/dev/loop9', '7:9', k.views);
    assert.equal({ name: disk.name, isPartition: disk.isPartition, parentName: disk.parentName, partitions: disk.partitions, readOnly: disk.readOnly },
      { name: 'loop9', isPartition: false, parentName: null, partitions: [{ name: 'loop9p1', majorMinor: '259:3' }], readOnly: false });
    const part = await identifyDevice('/dev/loop9p1', '259:3', k.views);
    assert.equal({ name: part.name, isPartition: part.isPartition, parentName: part.parentName }, { name: 'loop9p1', isPartition: true, parentName: 'loop9' });
  } finally {
    k.remove();
  }
});

test('a quiet device has no uses', async () => {
  const k = fakeKernel();
  try {
    assert.equal(await usesOf(k), []);
  } finally {
    k.remove();
  }
});

test('read-only, and a partition of a bigger disk unless forced', async () => {
  const ro = fakeKernel({ ro: true });
  const k = fakeKernel();
  try {
    assert.equal(await usesOf(ro), ['read-only']);
    assert.equal(await usesOf(k, '/dev/loop9p1', '259:3'), ['partition']);
    assert.equal(await usesOf(k, '/dev/loop9p1', '259:3', { force: true }), []);
  } finally {
    ro.remove();
    k.remove();
  }
});

test('mounted: by MAJ:MIN (the disk or a partition), and FUSE mounts by their source node', async () => {
  const k = fakeKernel({
    mountinfo: [
      '22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw',
      '90 30 259:3 / /mnt/my\\040disk rw,relatime shared:40 master:2 - vfat /dev/loop9p1 rw',
      '91 30 0:55 / /media/ntfs rw,nosuid - fuseblk /dev/my\\040disk rw,user_id=0',
    ].join('\n'),
  });
  try {
    const id = await identifyDevice('/dev/loop9', '7:9', k.views);
    const uses = await findDeviceUses(id, { views: k.views });
    assert.equal(uses.map((u) => u.kind), ['mounted', 'mounted']);
    assert.match(uses[0].message, 'its partition /dev/loop9p1 is mounted on /mnt/my disk (vfat)');
    assert.match(uses[1].message, '/media/ntfs (fuseblk)');
  } finally {
    k.remove();
  }
});

test('holders on the disk or a partition (device-mapper, RAID)', async () => {
  const k = fakeKernel({ holders: ['dm-0'], partHolders: ['md127'] });
  try {
    const id = await identifyDevice('/dev/loop9', '7:9', k.views);
    const uses = await findDeviceUses(id, { views: k.views });
    assert.equal(uses.map((u) => u.kind), ['holders', 'holders']);
    assert.match(uses[0].message, '/dev/loop9 is held by /dev/dm-0');
    assert.match(uses[1].message, 'its partition /dev/loop9p1 is held by /dev/md127');
  } finally {
    k.remove();
  }
});

test('an active swap area, named by a path that resolves to the device', async () => {
  const k = fakeKernel({ swaps: 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/loop9p1                            partition\t65532\t\t0\t\t-2\n/swapfile file 1024 0 -3\n' });
  try {
    assert.equal(await usesOf(k), ['swap']);
  } finally {
    k.remove();
  }
});

test('a disk of a running libvirt domain, matched by device number (/dev/VG/LV is /dev/loop9 here)', async () => {
  const k = fakeKernel();
  try {
    const domainDisks = async () => [{ domain: 'win 11', source: '/dev/vg0/win' }, { domain: 'other', source: '/var/lib/libvirt/images/x.qcow2' }, { domain: 'win 11', source: '/dev/loop9' }];
    const id = await identifyDevice('/dev/loop9', '7:9', k.views);
    const uses = await findDeviceUses(id, { views: k.views, domainDisks });
    assert.equal(uses.map((u) => u.kind), ['libvirt']);
    assert.match(uses[0].message, 'running libvirt domain "win 11"');
  } finally {
    k.remove();
  }
});

test('checkDeviceForWrite throws TARGET_BUSY naming every reason', async () => {
  const k = fakeKernel({ ro: true, holders: ['dm-1'], swaps: 'Filename Type Size Used Priority\n/dev/loop9 partition 1 0 -2\n' });
  try {
    const id = await identifyDevice('/dev/loop9', '7:9', k.views);
    const e = (await checkDeviceForWrite(id, { views: k.views }).catch((x: unknown) => x)) as GuestdiskError;
    assert.instance(e, GuestdiskError);
    assert.is(e.code, 'TARGET_BUSY');
    assert.equal(e.details.reasons, ['read-only', 'holders', 'swap']);
    assert.match(e.message, 'refusing to write /dev/loop9: /dev/loop9 is read-only');
  } finally {
    k.remove();
  }
});

test('parsers: mountinfo optional fields and escapes, swaps, dev_t', () => {
  assert.equal(parseMountinfo('36 35 98:0 /mnt1 /mnt\\0112 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n'), [{ majorMinor: '98:0', mountPoint: '/mnt\t2', fsType: 'ext3', source: '/dev/root' }]);
  assert.equal(parseSwaps('Filename Type Size Used Priority\n/dev/a\\040b partition 1 0 -2\n'), ['/dev/a b']);
  // glibc makedev(): minor bits 0-7 and 8-19 low, 20-31 at 32-43; major bits 0-11 at 8-19, 12-31 at 44-63
  const makedev = (major: number, minor: number): number => Number(
    (BigInt(major & 0xfff) << 8n) | (BigInt(major >>> 12) << 44n) | BigInt(minor & 0xff) | (BigInt((minor >>> 8) & 0xfff) << 20n) | (BigInt(minor >>> 20) << 32n),
  );
  for (const [major, minor] of [[7, 3], [259, 0], [8, 255], [8, 256], [259, 1048583], [4114, 7], [511, 65536]]) {
    assert.is(majorMinorOf(makedev(major, minor)), `${major}:${minor}`);
  }
  // and against the kernel: /dev/loop-control's number as sysfs' misc class gives it
  const st = statSync('/dev/loop-control');
  assert.is(majorMinorOf(st.rdev), readFileSync('/sys/class/misc/loop-control/dev', 'utf8').trim());
});

test.run();
