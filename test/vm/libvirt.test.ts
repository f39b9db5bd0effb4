// guestdisk against a real libvirt on the CI host: the test starts virtlogd + libvirtd (libvirt.ts), defines small
// TCG domains (domain.ts: Debian kernel + busybox initramfs, an agent that reports every disk it sees and mounts
// each partition read-only) and drives `guestdisk create --attach` / `guestdisk attach` against them. What the
// guest's kernel reports is the proof: the partition, the filesystem type and label, that it mounts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { testDomain, waitForReport, type TestDomain } from './domain.js';
import { startLibvirt, type LibvirtDaemons } from './libvirt.js';
import { prepareGuestKit, type GuestKit } from './scenario.js';
import { requireVmTool } from './vm-tools.js';

const BOOT_MS = 240_000;
const HOTPLUG_MS = 90_000;

const kitOrSkip = await prepareGuestKit('guestdisk-vm-libvirt-');
if ('skipReason' in kitOrSkip) {
  console.log(`VM tests skipped: ${kitOrSkip.skipReason}`);
} else {
  const kit: GuestKit = kitOrSkip;
  for (const tool of ['qemu-system-x86_64', 'virsh', 'libvirtd', 'virtlogd', 'unshare']) requireVmTool(tool);
  const img = (name: string): string => join(kit.dir, name);
  let lv: LibvirtDaemons;
  let a: TestDomain;
  let b: TestDomain;
  const started = Date.now();
  const gd = (args: readonly string[]): Promise<CliResult> => runCli(args, lv.env);
  const okCli = async (args: readonly string[]): Promise<CliResult> => {
    const r = await gd(args);
    assert.is(r.status, 0, `guestdisk ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const virshOk = (args: readonly string[]): string => {
    const r = lv.virsh(args);
    assert.is(r.status, 0, `virsh ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** The <disk> element of the domain's XML whose source is `path`. */
  const diskElement = (xml: string, path: string): string => [...xml.matchAll(/<disk[\s\S]*?<\/disk>/g)].map((m) => m[0]).find((d) => d.includes(`'${path}'`)) ?? '';
  /** The attributes that make a disk what it is, as one comparable string per element. */
  const diskEssentials = (disk: string): string[] => ['driver', 'source', 'target', 'blockio'].map((tag) => {
    const m = new RegExp(`<${tag}\\b([^>]*)/?>`).exec(disk);
    return `${tag}:${m ? [...m[1].matchAll(/(\w+)='([^']*)'/g)].filter(([, k]) => !['index'].includes(k)).map(([, k, v]) => `${k}=${v}`).sort().join(',') : '-'}`;
  });

  test.before(async () => {
    lv = await startLibvirt(kit.dir);
    a = testDomain(kit, `win "test" 'one'`, { acpi: true, fileTag: 'a' });
    b = testDomain(kit, 'no-acpi', { acpi: false, fileTag: 'b' });
    for (const d of [a, b]) {
      const xml = join(kit.dir, `domain-${d === a ? 'a' : 'b'}.xml`);
      writeFileSync(xml, d.xml);
      virshOk(['define', '--file', xml]);
      virshOk(['start', '--domain', d.name]);
    }
  });
  test.after(async () => {
    await lv?.stop();
    console.log(`libvirt VM time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    kit.remove();
  });

  test('both domains boot and their agents report', async () => {
    await waitForReport(a, /GDVM-BOOT/, BOOT_MS);
    await waitForReport(b, /GDVM-BOOT/, BOOT_MS);
  });

  test('create IMG --attach DOMAIN (running, name with spaces and quotes): hot-plugged; the guest sees the exFAT partition and mounts it', async () => {
    const r = await okCli(['create', img('hot.img'), '--size', '64M', '--fs', 'exfat', '--label', 'HOTPLUG', '--attach', a.name]);
    assert.match(r.stderr, `attached ${img('hot.img')} to domain ${JSON.stringify(a.name)} as vdb`);
    await waitForReport(a, /GDVM-PART \S+ \S+ type=exfat label=HOTPLUG mounted=yes/, HOTPLUG_MS);
  });

  test('--print-xml prints what attach attached (driver, source, target)', async () => {
    const printed = (await okCli(['attach', img('hot.img'), a.name, '--print-xml'])).stdout;
    const attached = diskElement(virshOk(['dumpxml', '--domain', a.name]), img('hot.img'));
    assert.ok(attached, 'the disk is in the live XML');
    assert.equal(diskEssentials(printed), diskEssentials(attached));
  });

  test('a 4096-byte-sector NTFS image: <blockio> in --print-xml and in the domain; the guest sees 4096-byte sectors and mounts it', async () => {
    await okCli(['create', img('fourk.img'), '--size', '64M', '--sector-size', '4096', '--fs', 'ntfs', '--label', 'FOURK']);
    const printed = (await okCli(['attach', img('fourk.img'), a.name, '--target-dev', 'vdc', '--print-xml'])).stdout;
    assert.match(printed, "<blockio logical_block_size='4096' physical_block_size='4096'/>");
    await okCli(['attach', img('fourk.img'), a.name, '--target-dev', 'vdc']);
    assert.equal(diskEssentials(printed), diskEssentials(diskElement(virshOk(['dumpxml', '--domain', a.name]), img('fourk.img'))));
    const disk = await waitForReport(a, /GDVM-DISK (\S+) lbs=4096 \S+ parts=\S+/, HOTPLUG_MS);
    const dev = disk.split(' ')[1];
    await waitForReport(a, new RegExp(`GDVM-PART ${dev} \\S+ type=ntfs label=FOURK mounted=yes`), HOTPLUG_MS);
  });

  test('a target dev the domain already uses: refused before virsh (exit 2), naming the disk there and a free name', async () => {
    await okCli(['create', img('other.img'), '--size', '40M', '--fs', 'fat32', '--label', 'OTHER']);
    const r = await gd(['attach', img('other.img'), a.name, '--target-dev', 'vdb']);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, `already has a disk vdb (${img('hot.img')}): choose another --target-dev, e.g. vdd`);
  });

  test('an unknown domain: HOST_COMMAND_FAILED (exit 10) with virsh\'s message and what to do', async () => {
    const r = await gd(['attach', img('other.img'), 'no such domain', '--json']);
    assert.is(r.status, 10, r.stderr);
    const err = JSON.parse(r.stdout).error;
    assert.equal(err.details.argv, ['virsh', 'domstate', '--domain', 'no such domain']);
    assert.is(err.details.status, 1);
    assert.match(err.details.stderr, "failed to get domain 'no such domain'");
    assert.match(err.message, 'What to do: libvirt has no domain named "no such domain": `virsh list --all`');
  });

  test('a disk already attached to another running domain: TARGET_BUSY (exit 4) naming that domain', async () => {
    const r = await gd(['attach', img('hot.img'), b.name]);
    assert.is(r.status, 4, r.stderr);
    assert.match(r.stderr, `is already a disk of the running domain ${JSON.stringify(a.name)}`);
  });

  test('a running domain without ACPI: virsh\'s "does not support hotplugging" passed on, with what to do', async () => {
    const r = await gd(['attach', img('other.img'), b.name]);
    assert.is(r.status, 10, r.stderr);
    assert.match(r.stderr, "Bus 'pci.0' does not support hotplugging");
    assert.match(r.stderr, 'What to do: the running domain cannot take a new disk on its PCI bus: hot-plug needs ACPI');
  });

  test('two disks made with the same --seed: the second is refused for the domain that has the first (same GPT disk GUID)', async () => {
    for (const n of ['1', '2']) await okCli(['create', img(`twin${n}.img`), '--size', '32M', '--fs', 'exfat', '--label', `TWIN${n}`, '--seed', 'twins']);
    await okCli(['attach', img('twin1.img'), a.name, '--target-dev', 'vdd']);
    const r = await gd(['attach', img('twin2.img'), a.name, '--target-dev', 'vde']);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, `${img('twin2.img')} has the same GPT disk GUID`);
    assert.match(r.stderr, `as ${img('twin1.img')}, the domain's disk vdd`);
    assert.match(r.stderr, 'another --seed');
  });

  test('--bus sata into a running domain: libvirt cannot hot-plug SATA; the message says what to do', async () => {
    const r = await gd(['attach', img('other.img'), a.name, '--bus', 'sata', '--target-dev', 'sdb']);
    assert.is(r.status, 10, r.stderr);
    assert.match(r.stderr, /What to do: .*shut the domain down and attach again/s, r.stderr);
  });

  test('--bus scsi into a running domain: hot-plugged on a SCSI controller; the guest sees the disk', async () => {
    await okCli(['create', img('scsi.img'), '--size', '40M', '--fs', 'fat32', '--label', 'SCSI']);
    const r = await gd(['attach', img('scsi.img'), a.name, '--bus', 'scsi', '--target-dev', 'sdc']);
    assert.is(r.status, 0, r.stderr);
    await waitForReport(a, /GDVM-PART sd\w+ \S+ type=vfat label=SCSI mounted=yes/, HOTPLUG_MS);
  });

  test('--persistent on a running domain: hot-plugged and in the configuration; a shut-off domain gets the disk in its configuration; both are seen at the next start, a live-only disk is not', async () => {
    await okCli(['create', img('persist.img'), '--size', '40M', '--fs', 'fat32', '--label', 'PERSIST', '--attach', a.name, '--persistent', '--target-dev', 'vdf']);
    await waitForReport(a, /GDVM-PART \S+ \S+ type=vfat label=PERSIST mounted=yes/, HOTPLUG_MS);
    assert.match(virshOk(['dumpxml', '--inactive', '--domain', a.name]), `<source file='${img('persist.img')}'/>`);
    virshOk(['destroy', '--domain', a.name]);
    const off = await okCli(['create', img('off.img'), '--size', '32M', '--fs', 'exfat', '--label', 'SHUTOFF', '--attach', a.name, '--target-dev', 'vdg']);
    assert.match(off.stderr, 'to the configuration of the shut-off domain: the guest sees it at its next start');
    await okCli(['create', img('sata.img'), '--size', '32M', '--fs', 'exfat', '--label', 'SATA']);
    await okCli(['attach', img('sata.img'), a.name, '--bus', 'sata', '--target-dev', 'sda']);
    const from = a.reports().length;
    virshOk(['start', '--domain', a.name]);
    await waitForReport(a, /GDVM-BOOT/, BOOT_MS, from);
    for (const label of ['PERSIST', 'SHUTOFF']) await waitForReport(a, new RegExp(`GDVM-PART vd\\w+ \\S+ type=\\w+ label=${label} mounted=yes`), HOTPLUG_MS, from);
    await waitForReport(a, /GDVM-PART sd\w+ \S+ type=exfat label=SATA mounted=yes/, HOTPLUG_MS, from);
    assert.not.match(a.reports().slice(from), 'label=HOTPLUG');
  });
}

test.run();
