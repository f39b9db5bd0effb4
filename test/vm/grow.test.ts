// `guestdisk grow` judged by a Linux guest's own kernel, the stand-in for the Windows that will use the disks. On
// the host: small disks (NTFS, exFAT and FAT32 made by guestdisk, exFAT and FAT32 with their FAT sized by
// --max-size, one exFAT made by mkfs.exfat without that room, one disk with 4096-byte sectors) holding files, each
// grown sparse to a larger size. One guest boots with all of them as virtio disks; for each, its kernel must see the
// partition at the planned size, mount the volume (exfat and vfat by the kernel, NTFS by ntfs-3g: Debian 12's
// kernel has no ntfs3), report the planned size through statfs, read every file back identical, and take a file
// larger than the old volume into the new space. Back on the host, the filesystems' own checkers and
// `guestdisk verify` must find the volumes clean after the guest's writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runGuest, stepResult, type GuestRun, type GuestStep, type StepResult } from './guest.js';
import { keyValues, prepareGuestKit, type GuestKit } from './scenario.js';
import { requireTool } from '../helpers/tools.js';
import { requireVmTool } from './vm-tools.js';
import { GiB, MiB, growPayload, judgeAfterGuest, makeGrownDisk, verifyErrors, writePayload, type GrowVolume, type Grown } from './grow-disks.js';

const OLD = 64 * MiB;
const VOLUMES: readonly GrowVolume[] = [
  { name: 'ntfs-gpt', fs: 'ntfs', table: 'gpt', sectorSize: 512, maker: 'guestdisk', oldBytes: OLD, newBytes: 512 * MiB },
  { name: 'exfat-gpt', fs: 'exfat', table: 'gpt', sectorSize: 512, maker: 'guestdisk', maxSize: '1G', oldBytes: OLD, newBytes: 512 * MiB },
  { name: 'fat32-mbr', fs: 'fat32', table: 'mbr', sectorSize: 512, maker: 'guestdisk', maxSize: '1G', oldBytes: OLD, newBytes: 512 * MiB },
  // mkfs.exfat sizes its FAT for the volume it makes: grown to 2 GiB, only what the FAT's room addresses is usable.
  { name: 'exfat-mkfs', fs: 'exfat', table: 'gpt', sectorSize: 512, maker: 'mkfs.exfat', oldBytes: OLD, newBytes: 2 * GiB },
  { name: 'exfat-mbr-4k', fs: 'exfat', table: 'mbr', sectorSize: 4096, maker: 'guestdisk', maxSize: '1G', oldBytes: OLD, newBytes: 512 * MiB },
];

/** The file written into the new space: larger than the whole old volume. */
const NEW_FILE_BYTES = OLD + 16 * MiB;
const PATTERN = 'written by the guest kernel into the grown volume';

const device = (i: number): string => `vd${String.fromCharCode(0x61 + i)}`;

function mountCommand(v: GrowVolume, dev: string, mnt: string): string {
  if (v.fs === 'ntfs') return `ntfs-3g ${dev} ${mnt}`;
  return v.fs === 'exfat' ? `mount -t exfat ${dev} ${mnt}` : `mount -t vfat -o utf8 ${dev} ${mnt}`;
}

function volumeSteps(v: GrowVolume, i: number, manifest: string): GuestStep[] {
  const d = device(i);
  const part = `/dev/${d}1`;
  const mnt = `/mnt/${v.name}`;
  const mount = mountCommand(v, part, mnt);
  const statfs = `echo "statfs.bsize=$(stat -f -c %S ${mnt})"; echo "statfs.blocks=$(stat -f -c %b ${mnt})"; echo "statfs.free=$(stat -f -c %f ${mnt})"`;
  return [
    {
      name: `${v.name}-kernel`,
      script: `echo "serial=$(cat /sys/block/${d}/serial)"
echo "disk.sectors=$(cat /sys/block/${d}/size)"
echo "lbs=$(cat /sys/block/${d}/queue/logical_block_size)"
echo "part.start=$(cat /sys/block/${d}/${d}1/start)"
echo "part.sectors=$(cat /sys/block/${d}/${d}1/size)"
echo "part.bytes=$(blockdev --getsize64 ${part})"`,
      timeoutSec: 30,
    },
    {
      name: `${v.name}-mount`,
      script: `mkdir -p ${mnt} && ${mount} || exit 1
echo "fstype=$(findmnt -n -o FSTYPE ${mnt})"
${statfs}
df -B1 ${mnt} >&2`,
      timeoutSec: 60,
    },
    { name: `${v.name}-read`, script: `cd ${mnt} && sha256sum -c --strict ${manifest}`, timeoutSec: 120 },
    {
      name: `${v.name}-write`,
      script: `f=${mnt}/new-space.bin
yes '${PATTERN}' | head -c ${NEW_FILE_BYTES} > "$f" || exit 1
sync "$f"; sync
echo "written=$(stat -c %s "$f")"
umount ${mnt} || exit 1
${mount} || exit 1
yes '${PATTERN}' | head -c ${NEW_FILE_BYTES} | cmp - "$f" && echo "readback=identical"
${statfs}
cd /; umount ${mnt} || exit 1
echo "unmounted=yes"`,
      timeoutSec: 240,
    },
  ];
}

function ok(r: StepResult): StepResult {
  assert.is(r.status, 0, `step ${r.name} exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

const kitOrSkip = await prepareGuestKit('guestdisk-vm-grow-');
if ('skipReason' in kitOrSkip) {
  console.log(`VM tests skipped: ${kitOrSkip.skipReason}`);
} else {
  const kit: GuestKit = kitOrSkip;
  try {
    for (const tool of ['qemu-system-x86_64', 'ntfs-3g']) requireVmTool(tool);
    for (const tool of ['mount.exfat-fuse', 'mkfs.exfat', 'fsck.exfat', 'dump.exfat', 'fsck.fat', 'ntfsfix', 'sgdisk', 'losetup']) requireTool(tool);
  } catch (e) {
    kit.remove();
    throw e;
  }
  const grown = new Map<string, Grown>();
  let run: GuestRun;

  test.before(async () => {
    const hostStart = Date.now();
    const files = growPayload();
    const { root, manifest } = writePayload(kit.dir, files);
    for (const v of VOLUMES) grown.set(v.name, await makeGrownDisk(kit.dir, v, root));
    const steps: GuestStep[] = [
      { name: 'setup', script: 'modprobe -a fuse exfat vfat nls_cp437 nls_iso8859-1 nls_utf8 nls_ascii && echo "kernel=$(uname -r)"', timeoutSec: 60 },
      ...VOLUMES.flatMap((v, i) => volumeSteps(v, i, manifest)),
      { name: 'dmesg', script: 'dmesg', timeoutSec: 30 },
    ];
    const disks = VOLUMES.map((v) => ({ file: grown.get(v.name)!.image, serial: v.name, logicalBlockSize: v.sectorSize }));
    const hostSeconds = (Date.now() - hostStart) / 1000;
    run = await runGuest({ kernel: kit.kernel, initramfs: kit.initramfs, dir: `${kit.dir}/guest`, steps, disks, env: { PATH: `${kit.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` }, timeoutMs: 6 * 60_000 });
    console.log(`host: disks made and grown in ${hostSeconds.toFixed(1)} s; guest (${run.accel}): ${run.seconds.toFixed(1)} s`);
    console.log(`  steps: ${[...run.steps.values()].map((r) => `${r.name} ${r.seconds.toFixed(1)}`).join(', ')}`);
    for (const v of VOLUMES) {
      const seen = { ...keyValues(run.steps.get(`${v.name}-kernel`)?.stdout ?? ''), ...keyValues(run.steps.get(`${v.name}-mount`)?.stdout ?? '') };
      console.log(`  ${v.name}: disk ${seen['disk.sectors']} × 512, lbs ${seen.lbs}, partition ${seen['part.sectors']} × 512 at ${seen['part.start']}; ${seen.fstype} statfs ${seen['statfs.blocks']} × ${seen['statfs.bsize']} (planned ${grown.get(v.name)!.clusterCount})`);
    }
  });
  test.after(() => kit.remove());

  test('the guest booted with every grown disk and ran every step within its time limit', () => {
    assert.ok(!run.timedOut && run.finished, `guest did not finish (timed out: ${run.timedOut})\n${run.console.slice(-4000)}`);
    assert.match(ok(stepResult(run, 'setup')).stdout, /^kernel=\S+/m);
  });

  VOLUMES.forEach((v, i) => {
    const what = `${v.name} (${v.maker}${v.maxSize ? ` --max-size ${v.maxSize}` : ''}, ${v.sectorSize}-byte sectors), ${v.oldBytes / MiB} MiB → ${v.newBytes / MiB} MiB`;

    test(`${what}: the guest kernel sees the disk and the partition at their grown sizes`, () => {
      const g = grown.get(v.name)!;
      const kv = keyValues(ok(stepResult(run, `${v.name}-kernel`)).stdout);
      const in512 = v.sectorSize / 512;
      assert.is(kv.serial, v.name, `/dev/${device(i)} is this volume's disk`);
      assert.is(Number(kv.lbs), v.sectorSize);
      assert.is(Number(kv['disk.sectors']), v.newBytes / 512, 'the disk in 512-byte units');
      assert.is(Number(kv['part.start']), g.partStartLba * in512);
      assert.is(Number(kv['part.sectors']), g.newPartLba * in512, 'the partition at its grown size');
      assert.is(Number(kv['part.bytes']), g.newPartLba * v.sectorSize);
      assert.ok(g.newPartLba * v.sectorSize >= v.newBytes - 2 * MiB, `the partition fills the disk up to its last MiB: ${g.newPartLba} sectors`);
      assert.ok(g.newPartLba > g.oldPartLba * 3, `the partition grew from ${g.oldPartLba} to ${g.newPartLba} sectors`);
    });

    test(`${what}: mounted by ${v.fs === 'ntfs' ? 'ntfs-3g' : 'the kernel'}; statfs shows the grown volume`, () => {
      const g = grown.get(v.name)!;
      const kv = keyValues(ok(stepResult(run, `${v.name}-mount`)).stdout);
      assert.is(kv.fstype, { ntfs: 'fuseblk', exfat: 'exfat', fat32: 'vfat' }[v.fs]);
      assert.is(Number(kv['statfs.bsize']), g.clusterSize, 'statfs counts clusters');
      assert.is(Number(kv['statfs.blocks']), g.clusterCount, 'statfs: the cluster count grow planned');
      const totalBytes = Number(kv['statfs.blocks']) * Number(kv['statfs.bsize']);
      const partBytes = g.newPartLba * v.sectorSize;
      assert.ok(totalBytes > v.oldBytes, `statfs size ${totalBytes} is larger than the old disk`);
      if (v.maker === 'mkfs.exfat') {
        // mkfs.exfat left room for a FAT of about 1 GiB: the rest of the 2 GiB partition stays unused, as planned.
        assert.ok(g.unusableBytes > 0, 'the plan says part of the partition is not addressable');
        assert.ok(totalBytes < partBytes - g.unusableBytes + 1, `statfs ${totalBytes} within the usable part of ${partBytes}`);
        assert.ok(totalBytes > 900 * MiB, `about 1 GiB usable: ${totalBytes}`);
      } else {
        assert.is(g.unusableBytes, 0);
        // Beside the planned count, a bound that does not trust the plan: the clusters cover the partition but
        // its metadata (two FATs sized by --max-size for 1 GiB at 512-byte clusters: 16 MiB).
        assert.ok(totalBytes > partBytes * 0.95 && totalBytes <= partBytes, `statfs ${totalBytes} covers the partition of ${partBytes} bytes but its metadata`);
      }
    });

    test(`${what}: every file reads back identical in the guest (sha256sum -c)`, () => {
      const r = ok(stepResult(run, `${v.name}-read`));
      const okLines = r.stdout.split('\n').filter((l) => l.endsWith(': OK'));
      assert.is(okLines.length, growPayload().size, r.stdout);
    });

    test(`${what}: the guest writes a ${NEW_FILE_BYTES / MiB} MiB file (more than the old volume) into the new space, reads it back after a remount`, () => {
      const g = grown.get(v.name)!;
      const kv = keyValues(ok(stepResult(run, `${v.name}-write`)).stdout);
      assert.is(Number(kv.written), NEW_FILE_BYTES);
      assert.is(kv.readback, 'identical');
      assert.is(kv.unmounted, 'yes');
      const usedClusters = Number(kv['statfs.blocks']) - Number(kv['statfs.free']);
      assert.ok(usedClusters * g.clusterSize >= NEW_FILE_BYTES, `statfs after the write: ${usedClusters} clusters in use`);
    });

    test(`${what}: back on the host after the guest wrote, the checkers are clean and guestdisk verify reports 0 errors`, async () => {
      const g = grown.get(v.name)!;
      for (const verdict of judgeAfterGuest(v, g)) assert.ok(verdict.ok, verdict.evidence);
      const verified = await verifyErrors(v, g);
      assert.is(verified.errors, 0, verified.text);
    });
  });

  test('the guest kernel logged no filesystem error', () => {
    const log = ok(stepResult(run, 'dmesg')).stdout;
    const bad = log.split('\n').filter((l) => /(FAT-fs|exFAT-fs|EXT4-fs|fuse).*(error|corrupt|invalid|bad)/i.test(l));
    assert.equal(bad, [], bad.join('\n'));
    assert.match(log, /virtio_blk/);
  });
}

test.run();
