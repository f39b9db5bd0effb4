// The libvirt test domain: the Debian kernel and the initramfs of initramfs.ts (host root over 9p, read-only, with
// a tmpfs overlay), and an agent that reports every disk it sees over the second serial port, a file on the host:
//   GDVM-BOOT
//   GDVM-DISK <dev> lbs=<logical block size> size=<512-byte sectors> parts=<p1,p2,…>
//   GDVM-PART <dev> <part> type=<blkid TYPE> label=<blkid LABEL> mounted=<yes|no> files=<name/name/…>
// Each partition is mounted read-only (exfat and vfat by the guest's kernel, NTFS with ntfs-3g: Debian 12's
// kernel has no ntfs3), listed and unmounted. Disks are polled every second, so hot-plugged ones are reported too.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_ROOT_TAG } from './initramfs.js';
import type { GuestKit } from './scenario.js';

/** The agent, beside this file (a shell script of its own: bash's ${…} would clash with a template literal). */
const AGENT = readFileSync(new URL('./domain-agent.sh', import.meta.url), 'utf8');

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

export interface TestDomain {
  readonly name: string;
  readonly xml: string;
  /** Everything the agent reported so far, every boot of the domain (the serial file is appended to). */
  reports(): string;
}

export function testDomain(kit: GuestKit, name: string, options: { acpi: boolean; fileTag: string }): TestDomain {
  const agent = join(kit.dir, `agent-${options.fileTag}.sh`);
  writeFileSync(agent, AGENT);
  const reportFile = join(kit.dir, `report-${options.fileTag}.log`);
  const consoleFile = join(kit.dir, `console-${options.fileTag}.log`);
  const xml = `<domain type='qemu'>
  <name>${xmlText(name)}</name>
  <memory unit='MiB'>320</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kit.kernel.image}</kernel>
    <initrd>${kit.initramfs}</initrd>
    <cmdline>console=ttyS0 loglevel=4 panic=-1 no_timer_check gdvm_run=${agent}</cmdline>
  </os>
  ${options.acpi ? '<features><acpi/></features>' : ''}
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <driver type='path'/>
      <source dir='/'/>
      <target dir='${HOST_ROOT_TAG}'/>
      <readonly/>
    </filesystem>
    <serial type='file'><source path='${consoleFile}' append='on'/><target port='0'/></serial>
    <serial type='file'><source path='${reportFile}' append='on'/><target port='1'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
  return { name, xml, reports: () => (existsSync(reportFile) ? readFileSync(reportFile, 'utf8').replace(/\r/g, '') : '') };
}

/** Polls the domain's reports until `pattern` matches the text after `from` (an index into reports()). */
export async function waitForReport(domain: TestDomain, pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = domain.reports().slice(from);
    const m = pattern.exec(text);
    if (m) return m[0];
    if (Date.now() > until) throw new Error(`domain ${JSON.stringify(domain.name)} did not report ${pattern} within ${timeoutMs / 1000} s; it reported:\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
