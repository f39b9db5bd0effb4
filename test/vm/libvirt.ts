// A libvirt daemon for the duration of a test file: virtlogd and libvirtd started in the foreground, in a private
// mount namespace whose /etc/libvirt is a copy in the test's directory, with our qemu.conf (QEMU as root, no
// cgroups or namespaces: CI machines often have no libvirt-qemu user and no delegated cgroups) and no defined
// domains: nothing under /etc changes, and every domain vanishes with the daemon. virsh, run
// outside the namespace, reaches the daemon through its socket in /run/libvirt.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireVmTool } from './vm-tools.js';

const SOCKET = '/run/libvirt/libvirt-sock';
const QEMU_CONF = [
  'user = "root"',
  'group = "root"',
  'dynamic_ownership = 0',
  'remember_owner = 0',
  'cgroup_controllers = [ ]',
  'namespaces = [ ]',
  'security_driver = "none"',
].join('\n');

export interface LibvirtDaemons {
  /** Runs virsh with the test's connection URI; never throws on a non-zero exit. */
  virsh(args: readonly string[], input?: string): { status: number; stdout: string; stderr: string };
  /** Environment for programs that run virsh themselves (guestdisk): the same URI. */
  readonly env: Record<string, string>;
  readonly log: () => string;
  stop(): Promise<void>;
}

const URI = 'qemu:///system';

function virshRun(args: readonly string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('virsh', ['--connect', URI, ...args], { encoding: 'utf8', input, timeout: 120_000, env: { ...process.env, LIBVIRT_DEFAULT_URI: URI } });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the daemons; DIR holds their configuration and logs. Fails when a libvirtd already serves this host. */
export async function startLibvirt(dir: string): Promise<LibvirtDaemons> {
  for (const tool of ['virsh', 'libvirtd', 'virtlogd', 'unshare']) requireVmTool(tool);
  if (virshRunQuiet()) throw new Error(`a libvirt daemon already answers on ${SOCKET}: stop it before the VM tests (they start their own)`);
  // a copy of /etc/libvirt with our qemu.conf and no defined domains, bind-mounted over it in the namespace
  const etc = join(dir, 'etc-libvirt');
  if (existsSync('/etc/libvirt')) cpSync('/etc/libvirt', etc, { recursive: true });
  rmSync(join(etc, 'qemu'), { recursive: true, force: true });
  mkdirSync(join(etc, 'qemu'), { recursive: true });
  writeFileSync(join(etc, 'qemu.conf'), `${QEMU_CONF}\n`);
  const logFile = join(dir, 'daemons.log');
  let log = '';
  const children: ChildProcess[] = [];
  const start = (argv: string[]): void => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (log += d));
    child.stderr?.on('data', (d) => (log += d));
    children.push(child);
  };
  // libvirtd's QEMU driver resolves its built-in default user, libvirt-qemu, before it reads qemu.conf: where the
  // user does not exist (libvirt-daemon-system not installed), the namespace sees copies of /etc/passwd and
  // /etc/group that have it; QEMU still runs as root (qemu.conf).
  const q = (path: string): string => `'${path.replace(/'/g, `'\\''`)}'`;
  const binds = [`mkdir -p /etc/libvirt && mount --bind ${q(etc)} /etc/libvirt`];
  if (spawnSync('id', ['libvirt-qemu']).status !== 0) {
    for (const [file, line] of [['passwd', 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin'], ['group', 'libvirt-qemu:x:64055:']]) {
      writeFileSync(join(dir, file), `${readFileSync(`/etc/${file}`, 'utf8').replace(/\n?$/, '\n')}${line}\n`);
      binds.push(`mount --bind ${q(join(dir, file))} /etc/${file}`);
    }
  }
  const bind = binds.join(' && ');
  start(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${bind} && exec virtlogd`]);
  start(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${bind} && exec libvirtd`]);
  const stop = async (): Promise<void> => {
    // libvirtd leaves running domains running when it stops: end them (and their definitions) first
    if (virshRunQuiet()) {
      for (const name of virshRun(['list', '--all', '--name']).stdout.split('\n').filter((n) => n.trim() !== '')) {
        virshRun(['destroy', '--domain', name]);
        virshRun(['undefine', '--domain', name]);
      }
    }
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const ended = await Promise.race([new Promise((r) => child.once('close', () => r(true))), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      if (!ended) child.kill('SIGKILL');
    }
    writeFileSync(logFile, log);
  };
  for (let i = 0; i < 100 && !virshRunQuiet(); i++) await new Promise((r) => setTimeout(r, 200));
  if (!virshRunQuiet()) {
    await stop();
    throw new Error(`libvirtd did not answer within 20 s:\n${log}`);
  }
  return { virsh: virshRun, env: { LIBVIRT_DEFAULT_URI: URI }, log: () => log, stop };
}

function virshRunQuiet(): boolean {
  if (!existsSync(SOCKET)) return false;
  return spawnSync('virsh', ['--connect', URI, 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}
