// guestdisk against real LVM: a Debian kernel booted under QEMU (device-mapper, which the CI host's kernel lacks)
// runs the host's own lvm2 and the guestdisk of this working tree on scratch virtio disks (the PVs). One boot
// without udev (DM_DISABLE_UDEV=1: LVM makes the /dev nodes itself), one with systemd-udevd, where udev makes
// /dev/VG/LV after lvcreate returns and guestdisk must wait for it. Each scenario asserts exit status, message
// and bytes; mounting is done by the guest's kernel, through a loop device at the partition's offset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runGuest, stepResult, type GuestRun, type GuestStep, type StepResult } from './guest.js';
import { keyValues, prepareGuestKit, sparseImage, withPrelude, type GuestKit } from './scenario.js';
import { requireVmTool } from './vm-tools.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const SAME = '--timestamp 1700000000';

interface Volume { readonly lv: string; readonly fs: 'ntfs' | 'exfat' | 'fat32'; readonly table: 'gpt' | 'mbr'; readonly label: string }
/** Each filesystem and each table at least once. */
const MATRIX: readonly Volume[] = [
  { lv: 'ntfs_gpt', fs: 'ntfs', table: 'gpt', label: 'NTFSGPT' },
  { lv: 'ntfs_mbr', fs: 'ntfs', table: 'mbr', label: 'NTFSMBR' },
  { lv: 'exfat_gpt', fs: 'exfat', table: 'gpt', label: 'EXFATGPT' },
  { lv: 'fat32_mbr', fs: 'fat32', table: 'mbr', label: 'FAT32MBR' },
];

const step = (name: string, script: string, timeoutSec = 180): GuestStep => ({ name, script: withPrelude(script), timeoutSec });

/** Boot 1, without udev. PVs: vda → data_vg, vdb → win-vms, vdc → fx (freed extents), vdd → thinvg. */
function noUdevSteps(): GuestStep[] {
  return [
    step('setup', `set -e
modprobe -a dm-mod dm-thin-pool loop fuse exfat vfat nls_cp437 nls_iso8859-1 nls_utf8 nls_ascii ext4
pvcreate -q /dev/vda /dev/vdb /dev/vdc /dev/vdd
vgcreate -q data_vg /dev/vda; vgcreate -q win-vms /dev/vdb; vgcreate -q fx /dev/vdc; vgcreate -q thinvg /dev/vdd
echo "lvm=$(lvm version | sed -n 's/^ *LVM version: *//p')"; echo "kernel=$(uname -r)"`),
    ...MATRIX.flatMap((v) => [
      step(`create-${v.lv}`, `guestdisk create --lvm data_vg/${v.lv} --size 64M --fs ${v.fs} --table ${v.table} --label ${v.label} --seed ${v.lv} ${SAME}`),
      step(`check-${v.lv}`, `check_volume /dev/data_vg/${v.lv} ${v.fs}`),
    ]),
    // an existing LV: refused and untouched without --force, formatted as it is with it
    step('existing-before', 'sha256sum < /dev/data_vg/ntfs_gpt'),
    step('existing-refused', `guestdisk create --lvm data_vg/ntfs_gpt --size 64M --fs exfat ${SAME}`),
    step('existing-after', 'sha256sum < /dev/data_vg/ntfs_gpt'),
    step('existing-forced', `guestdisk create --lvm data_vg/ntfs_gpt --fs exfat --table mbr --label FORCED ${SAME} --force`),
    step('existing-forced-check', 'check_volume /dev/data_vg/ntfs_gpt exfat'),
    // freed extents: a removed LV's NTFS is still on the extents the next LV gets
    step('freed-first', `guestdisk create --lvm fx/first --size 64M --fs ntfs ${SAME} && echo "first.pe=$(lvs --noheadings -o seg_pe_ranges fx/first | tr -d ' ')" && lvremove -q -y fx/first`),
    step('freed-second', `guestdisk create --lvm fx/second --size 64M --fs exfat --label SECOND ${SAME}`),
    step('freed-check', `echo "second.pe=$(lvs --noheadings -o seg_pe_ranges fx/second | tr -d ' ')"; echo "lvs=$(lvs --noheadings -o lv_name fx | tr -d ' ' | tr '\\n' ' ')"; check_volume /dev/fx/second exfat`),
    // a VG without room: lvcreate's own message, and nothing left behind
    step('noroom', `guestdisk create --lvm data_vg/huge --size 100G --fs ntfs ${SAME} --json`),
    step('noroom-lvs', "lvs --noheadings -o lv_name data_vg | tr -d ' '"),
    // '-' in VG and LV names: device-mapper doubles it (win--vms-game--base_1)
    step('names', `guestdisk create --lvm win-vms/game-base_1 --size 100M --fs exfat --label GAMES ${SAME}`),
    step('names-check', 'echo "mapper=$(ls /dev/mapper | grep game)"; check_volume /dev/win-vms/game-base_1 exfat'),
    // --size +HEADROOM with --copy-from: the LV sized from its content, in whole extents of the VG
    step('content-size', `set -e
mkdir -p /tmp/content/sub; head -c 2M /dev/urandom > /tmp/content/a.bin; echo hi > /tmp/content/sub/b.txt
guestdisk create --lvm win-vms/from-content --size +4M --fs exfat --label CONTENT --copy-from /tmp/content ${SAME}
echo "lv.bytes=$(lvs --noheadings --units b --nosuffix -o lv_size win-vms/from-content | tr -d ' ')"
echo "extent.bytes=$(vgs --noheadings --units b --nosuffix -o vg_extent_size win-vms | tr -d ' ')"`),
    step('content-size-check', 'check_volume /dev/win-vms/from-content exfat'),
    // a thin LV: the pool's Data% shows how much formatting allocated
    step('thin-setup', `set -e
lvcreate -q -y --type thin-pool -L 512M -n pool thinvg
lvcreate -q -y -V 4G -T thinvg/pool -n ntfs_disk; lvcreate -q -y -V 4G -T thinvg/pool -n exfat_disk
echo "pool.bytes=$(lvs --noheadings --units b --nosuffix -o lv_size thinvg/pool | tr -d ' ')"
echo "chunk.bytes=$(lvs --noheadings --units b --nosuffix -o chunk_size thinvg/pool | tr -d ' ')"
echo "before=$(lvs --noheadings -o data_percent thinvg/pool | tr -d ' ')"`),
    step('thin-ntfs', `guestdisk create /dev/thinvg/ntfs_disk --fs ntfs --label THIN ${SAME} --json`),
    step('thin-ntfs-after', 'echo "after=$(lvs --noheadings -o data_percent thinvg/pool | tr -d \' \')"'),
    step('thin-exfat', `guestdisk create /dev/thinvg/exfat_disk --fs exfat --label THIN ${SAME} --json`),
    step('thin-exfat-after', 'echo "after=$(lvs --noheadings -o data_percent thinvg/pool | tr -d \' \')"; check_volume /dev/thinvg/exfat_disk exfat'),
    // busy: mounted, or held open by a process
    step('busy-setup', `set -e
lvcreate -q -y -L 64M -n mounted data_vg; lvcreate -q -y -L 64M -n held data_vg
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 /dev/data_vg/mounted
mkdir -p /mnt/busy; mount -o ro /dev/data_vg/mounted /mnt/busy
head -c 1M /dev/urandom > /dev/data_vg/held
setsid -f bash -c 'exec 7<>/dev/data_vg/held; exec sleep 3600' >/dev/null 2>&1
sleep 1
echo "mounted.sha=$(sha256sum < /dev/data_vg/mounted)"; echo "held.sha=$(sha256sum < /dev/data_vg/held)"`),
    step('busy-mounted', `guestdisk create --lvm data_vg/mounted --force --fs exfat ${SAME}`),
    step('busy-held', `guestdisk create /dev/data_vg/held --force --fs exfat ${SAME}`),
    step('busy-after', 'echo "mounted.sha=$(sha256sum < /dev/data_vg/mounted)"; echo "held.sha=$(sha256sum < /dev/data_vg/held)"; umount /mnt/busy'),
  ];
}

/** Boot 2, with systemd-udevd. PV: vda → udev_vg. */
function udevSteps(): GuestStep[] {
  return [
    step('setup', `set -e
modprobe -a dm-mod loop exfat vfat nls_cp437 nls_iso8859-1 nls_utf8 nls_ascii
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add; udevadm settle
pvcreate -q /dev/vda; vgcreate -q udev_vg /dev/vda
echo "udevd=$(pgrep -c systemd-udevd)"`),
    step('udev-create', `guestdisk create --lvm udev_vg/win-data --size 64M --fs exfat --label UDEV ${SAME}`),
    step('udev-check', 'echo "link=$(readlink /dev/udev_vg/win-data)"; check_volume /dev/udev_vg/win-data exfat'),
    // udev late: a rule makes udev take 3 s over every dm device, so /dev/VG/LV appears 3 s after the kernel's
    // device; lvcreate waits for udev (udev_sync), and guestdisk opens the node only after that
    step('slow-udev-setup', `set -e
echo 'SUBSYSTEM=="block", KERNEL=="dm-*", ACTION=="add|change", PROGRAM="/bin/sleep 3"' > /etc/udev/rules.d/00-slow-dm.rules
udevadm control --reload
echo "udev_sync=$(lvmconfig --type full activation/udev_sync)"`),
    step('slow-udev-create', `start=$(date +%s); guestdisk create --lvm udev_vg/late --size 100M --fs fat32 --label LATE ${SAME}; s=$?; echo "seconds=$(( $(date +%s) - start ))"; exit $s`),
    step('slow-udev-check', 'udevadm settle; check_volume /dev/udev_vg/late fat32'),
  ];
}

function ok(r: StepResult): StepResult {
  assert.is(r.status, 0, `step ${r.name} exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

function assertVolumeChecked(r: StepResult, fs: Volume['fs'], table: Volume['table'], label: string): void {
  ok(r);
  const kv = keyValues(r.stdout);
  const detail = `${r.stdout}\n${r.stderr}`;
  assert.is(kv.verify, '0', `guestdisk verify: ${detail}`);
  assert.is(kv.table, table === 'gpt' ? 'gpt' : 'dos', detail);
  assert.is(kv['blkid.TYPE'], fs === 'fat32' ? 'vfat' : fs, detail);
  assert.is(kv['blkid.LABEL'], label, detail);
  assert.is(kv.fsck, '0', `the filesystem's own checker: ${detail}`);
  assert.match(kv.readback ?? '', /^written in the guest on \/dev\//, `mount, write, remount, read back: ${detail}`);
}

const kitOrSkip = await prepareGuestKit('guestdisk-vm-lvm-');
if ('skipReason' in kitOrSkip) {
  console.log(`VM tests skipped: ${kitOrSkip.skipReason}`);
} else {
  const kit: GuestKit = kitOrSkip;
  for (const tool of ['qemu-system-x86_64', 'lvm', 'thin_check', 'systemd-udevd', 'ntfs-3g']) requireVmTool(tool);
  let plain: GuestRun;
  let udev: GuestRun;
  const guestPath = `${kit.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

  test.before(async () => {
    const disks = ['vda', 'vdb', 'vdc', 'vdd'].map((name, i) => ({ file: sparseImage(kit.dir, `${name}.img`, [3 * GiB, GiB, GiB, GiB][i]), serial: name }));
    [plain, udev] = [
      await runGuest({ kernel: kit.kernel, initramfs: kit.initramfs, dir: `${kit.dir}/plain`, steps: noUdevSteps(), disks, env: { PATH: guestPath, DM_DISABLE_UDEV: '1' }, timeoutMs: 12 * 60_000 }),
      await runGuest({ kernel: kit.kernel, initramfs: kit.initramfs, dir: `${kit.dir}/udev`, steps: udevSteps(), disks: [{ file: sparseImage(kit.dir, 'udev.img', GiB), serial: 'udev' }], env: { PATH: guestPath }, timeoutMs: 5 * 60_000 }),
    ];
    console.log(`VM time: ${plain.seconds.toFixed(1)} s without udev, ${udev.seconds.toFixed(1)} s with udev (${plain.accel})`);
    for (const run of [plain, udev]) console.log(`  steps: ${[...run.steps.values()].map((r) => `${r.name} ${r.seconds.toFixed(1)}`).join(', ')}`);
  });
  test.after(() => kit.remove());

  test('both guests ran every step within their time limit', () => {
    for (const run of [plain, udev]) {
      assert.ok(!run.timedOut && run.finished, `guest did not finish (timed out: ${run.timedOut})\n${run.console.slice(-4000)}`);
    }
    ok(stepResult(plain, 'setup'));
    ok(stepResult(udev, 'setup'));
  });

  for (const v of MATRIX) {
    test(`create --lvm data_vg/${v.lv} --fs ${v.fs} --table ${v.table}: exit 0, verify clean, the guest's kernel mounts it, write + read back`, () => {
      const created = ok(stepResult(plain, `create-${v.lv}`));
      assert.match(created.stderr, `created logical volume data_vg/${v.lv}: /dev/data_vg/${v.lv} (${64 * MiB} bytes)`);
      assertVolumeChecked(stepResult(plain, `check-${v.lv}`), v.fs, v.table, v.label);
    });
  }

  test('an existing LV without --force: TARGET_HAS_DATA (exit 5), bytes untouched; with --force it is formatted as it is', () => {
    const refused = stepResult(plain, 'existing-refused');
    assert.is(refused.status, 5, refused.stderr);
    assert.match(refused.stderr, 'logical volume data_vg/ntfs_gpt already exists (/dev/data_vg/ntfs_gpt); use --force');
    assert.is(stepResult(plain, 'existing-after').stdout, ok(stepResult(plain, 'existing-before')).stdout);
    const forced = ok(stepResult(plain, 'existing-forced'));
    assert.match(forced.stderr, 'using the existing logical volume data_vg/ntfs_gpt');
    assertVolumeChecked(stepResult(plain, 'existing-forced-check'), 'exfat', 'mbr', 'FORCED');
  });

  test('freed extents that still hold a removed LV\'s NTFS: the new LV is formatted, with a note on the stale signatures', () => {
    const first = ok(stepResult(plain, 'freed-first'));
    const second = stepResult(plain, 'freed-second');
    assert.is(second.status, 0, `${second.stdout}\n${second.stderr}`);
    assert.match(second.stderr, /stale|signature/i);
    const check = stepResult(plain, 'freed-check');
    const kv = keyValues(check.stdout);
    assert.is(kv['second.pe'], keyValues(first.stdout)['first.pe'], 'the second LV sits on the first one\'s extents');
    assert.is(kv.lvs?.trim(), 'second');
    assertVolumeChecked(check, 'exfat', 'gpt', 'SECOND');
  });

  test('a VG without room: HOST_COMMAND_FAILED (exit 10) with lvcreate\'s argv, status and message; no LV left behind', () => {
    const r = stepResult(plain, 'noroom');
    assert.is(r.status, 10, r.stderr);
    const err = JSON.parse(r.stdout).error;
    assert.is(err.code, 'HOST_COMMAND_FAILED');
    assert.equal(err.details.argv, ['lvcreate', '--yes', '-L', `${100 * GiB}b`, '-n', 'huge', 'data_vg']);
    assert.is(err.details.status, 5);
    assert.match(err.details.stderr, 'Volume group "data_vg" has insufficient free space');
    assert.match(err.message, /lvcreate --yes -L \d+b -n huge data_vg exited with status 5: .*insufficient free space/s);
    assert.not.match(ok(stepResult(plain, 'noroom-lvs')).stdout, /^huge$/m);
  });

  test('LV and VG names with - and _: /dev/win-vms/game-base_1 (device-mapper: win--vms-game--base_1) is formatted and mounts', () => {
    const r = ok(stepResult(plain, 'names'));
    assert.match(r.stderr, 'created logical volume win-vms/game-base_1: /dev/win-vms/game-base_1');
    const check = stepResult(plain, 'names-check');
    assert.is(keyValues(check.stdout).mapper, 'win--vms-game--base_1');
    assertVolumeChecked(check, 'exfat', 'gpt', 'GAMES');
  });

  test('--size +HEADROOM --copy-from: lvcreate makes the LV from its content in whole extents, exactly the size asked', () => {
    const r = ok(stepResult(plain, 'content-size'));
    const kv = keyValues(r.stdout);
    const size = Number(kv['lv.bytes']);
    const extent = Number(kv['extent.bytes']);
    assert.ok(extent > 0 && size % extent === 0, `LV of ${size} bytes in extents of ${extent}`);
    assert.ok(size >= 6 * MiB && size <= 6 * MiB + 2 * extent + 2 * MiB, `2 MiB of content + 4 MiB headroom in an LV of ${size} bytes`);
    assert.match(r.stderr, `created logical volume win-vms/from-content: /dev/win-vms/from-content (${size} bytes)`);
    assertVolumeChecked(stepResult(plain, 'content-size-check'), 'exfat', 'gpt', 'CONTENT');
  });

  test('a thin LV: formatting allocates in the pool about what it writes, not the volume\'s size', () => {
    const setup = keyValues(ok(stepResult(plain, 'thin-setup')).stdout);
    const poolBytes = Number(setup['pool.bytes']);
    const chunkBytes = Number(setup['chunk.bytes']);
    let before = Number(setup.before);
    for (const fs of ['ntfs', 'exfat']) {
      const created = ok(stepResult(plain, `thin-${fs}`));
      const written = JSON.parse(created.stdout).result as { bytesWritten: number; zeroBytes: number; writes: number };
      const after = Number(keyValues(ok(stepResult(plain, `thin-${fs}-after`)).stdout).after);
      const allocated = ((after - before) / 100) * poolBytes;
      // Zero ranges count: on a device they are written (BLKZEROOUT), and dm-thin provisions what is written.
      // Data% has two decimals (±0.01 % of the pool); a write may touch one more pool chunk at each end.
      const limit = written.bytesWritten + written.zeroBytes + 2 * written.writes * chunkBytes + poolBytes / 10_000;
      console.log(`thin ${fs}: wrote ${written.bytesWritten} bytes + ${written.zeroBytes} zero bytes in ${written.writes} writes; pool ${before}% → ${after}% (~${Math.round(allocated)} bytes)`);
      assert.ok(allocated > 0, `${fs}: nothing allocated?`);
      assert.ok(allocated <= limit, `${fs}: the pool grew by ~${Math.round(allocated)} bytes for ${written.bytesWritten} bytes written (limit ${limit})`);
      before = after;
    }
    assertVolumeChecked(stepResult(plain, 'thin-exfat-after'), 'exfat', 'gpt', 'THIN');
  });

  test('an LV that is mounted, or held open by a process: TARGET_BUSY (exit 4) even with --force, bytes untouched', () => {
    const before = keyValues(ok(stepResult(plain, 'busy-setup')).stdout);
    const mounted = stepResult(plain, 'busy-mounted');
    assert.is(mounted.status, 4, mounted.stderr);
    assert.match(mounted.stderr, /mounted/);
    const held = stepResult(plain, 'busy-held');
    assert.is(held.status, 4, held.stderr);
    assert.match(held.stderr, /open|process|busy/i);
    assert.equal(keyValues(ok(stepResult(plain, 'busy-after')).stdout), before);
  });

  test('with systemd-udevd: udev makes /dev/VG/LV (a symlink to dm-N) and the volume is formatted and mounts', () => {
    assert.is(keyValues(stepResult(udev, 'setup').stdout).udevd !== '0', true);
    ok(stepResult(udev, 'udev-create'));
    const check = stepResult(udev, 'udev-check');
    assert.match(keyValues(check.stdout).link ?? '', /^\.\.\/dm-\d+$/);
    assertVolumeChecked(check, 'exfat', 'gpt', 'UDEV');
  });

  test('udev late (a rule delays every dm device by 3 s): guestdisk waits for /dev/VG/LV instead of racing udev', () => {
    assert.match(ok(stepResult(udev, 'slow-udev-setup')).stdout, 'udev_sync=1');
    const r = stepResult(udev, 'slow-udev-create');
    assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(Number(keyValues(r.stdout).seconds) >= 3, `udev was not slow: ${r.stdout}`);
    assertVolumeChecked(stepResult(udev, 'slow-udev-check'), 'fat32', 'gpt', 'LATE');
  });
}

test.run();
