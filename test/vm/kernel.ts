// The Debian kernel the VM tests boot, and its modules. A kernel that cannot be installed on this machine (no
// Debian package for this architecture, no apt) is the one reason these tests skip; a kernel that could be installed
// but is not fails them, like any missing tool.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface GuestKernel {
  readonly version: string;
  readonly image: string;
  readonly modulesDir: string;
}

export type KernelLookup = { readonly kernel: GuestKernel } | { readonly skipReason: string };

const KERNEL_PACKAGE = 'linux-image-amd64';

/** The newest /boot/vmlinuz-* whose modules are installed. */
function installedKernel(): GuestKernel | null {
  const versions = existsSync('/boot') ? readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-')).map((n) => n.slice('vmlinuz-'.length)) : [];
  const usable = versions.filter((v) => existsSync(join('/lib/modules', v, 'modules.dep'))).sort();
  const version = usable.at(-1);
  return version ? { version, image: `/boot/vmlinuz-${version}`, modulesDir: join('/lib/modules', version) } : null;
}

/** Why the kernel package cannot be installed here, or null when apt could install it. */
function whyNotInstallable(): string | null {
  if (process.arch !== 'x64') return `the guest kernel is ${KERNEL_PACKAGE}, and this machine is ${process.arch}, not x86-64`;
  const policy = spawnSync('apt-cache', ['policy', KERNEL_PACKAGE], { encoding: 'utf8' });
  if (policy.error) return `apt-cache is not available (not a Debian-like system), so ${KERNEL_PACKAGE} cannot be installed`;
  if (!/Candidate:\s+(?!\(none\))\S+/.test(policy.stdout)) return `apt has no installation candidate for ${KERNEL_PACKAGE}`;
  return null;
}

export function findGuestKernel(): KernelLookup {
  const kernel = installedKernel();
  if (kernel) return { kernel };
  const reason = whyNotInstallable();
  if (reason) return { skipReason: reason };
  throw new Error(`the VM tests need a Debian kernel in /boot with its modules (package ${KERNEL_PACKAGE}): run scripts/install-test-tools.sh`);
}

/** Module file paths (relative to the modules directory) to load, dependencies first, for each name asked for. */
export function resolveModules(kernel: GuestKernel, names: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const [file, rest] = line.split(':');
    if (file && rest !== undefined) deps.set(file, rest.trim() === '' ? [] : rest.trim().split(/\s+/));
  }
  const byName = new Map([...deps.keys()].map((f) => [basename(f).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_'), f]));
  const order: string[] = [];
  const visit = (file: string): void => {
    if (order.includes(file)) return;
    for (const d of deps.get(file) ?? []) visit(d);
    order.push(file);
  };
  for (const name of names) {
    const file = byName.get(name.replace(/-/g, '_'));
    if (!file) throw new Error(`kernel ${kernel.version} has no module ${name} (built in? not in modules.dep)`);
    visit(file);
  }
  return order;
}
