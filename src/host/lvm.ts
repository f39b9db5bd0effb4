// LVM: make the logical volume a Windows disk goes on (lvcreate) and find its device node (lvs, JSON report).
// Names are checked against lvm(8) "VALID NAMES" before anything runs, so a typo fails here, not half-way.
import { GuestdiskError } from '../errors.js';
import { runChecked, type HostCommandResult, type HostRunner } from './run.js';

/** lvm(8): VG and LV names use a-z A-Z 0-9 + _ . - and do not begin with a hyphen. */
const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/;
/** lvm(8): at most 127 characters (the device-mapper name "VG-LV" has its own limit too). */
const LVM_NAME_MAX_CHARS = 127;
/** lvm(8): LV names may not contain these, which LVM uses for its internal sub-volumes. */
const LV_RESERVED_PARTS = ['_cdata', '_cmeta', '_corig', '_iorig', '_imeta', '_mimage', '_mlog', '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta', '_vorigin', '_vdata'];
/** lvm(8): LV names may not begin with these. */
const LV_RESERVED_PREFIXES = ['snapshot', 'pvmove'];

export interface LvName { readonly vg: string; readonly lv: string }

function checkName(kind: 'volume group' | 'logical volume', name: string, whole: string): void {
  const bad = (why: string): never => {
    throw new GuestdiskError('INVALID_SPEC', `--lvm ${JSON.stringify(whole)}: ${kind} name ${JSON.stringify(name)} ${why}`, { lvm: whole });
  };
  if (name === '') bad('is empty');
  if (name === '.' || name === '..') bad('is reserved');
  if (name.length > LVM_NAME_MAX_CHARS) bad(`is longer than ${LVM_NAME_MAX_CHARS} characters`);
  if (!LVM_NAME.test(name)) bad('may only use a-z A-Z 0-9 + _ . - and must not begin with "-" (lvm(8) VALID NAMES)');
  if (kind === 'logical volume') {
    const part = LV_RESERVED_PARTS.find((p) => name.includes(p));
    if (part) bad(`contains ${part}, which LVM reserves for internal volumes`);
    const prefix = LV_RESERVED_PREFIXES.find((p) => name.startsWith(p));
    if (prefix) bad(`begins with ${prefix}, which LVM reserves`);
  }
}

/** "VG/LV" (also "/dev/VG/LV") → names, validated. */
export function parseLvName(text: string): LvName {
  const stripped = text.startsWith('/dev/') ? text.slice('/dev/'.length) : text;
  const parts = stripped.split('/');
  if (parts.length !== 2) throw new GuestdiskError('INVALID_SPEC', `--lvm ${JSON.stringify(text)}: expected VG/LV (volume group / logical volume)`, { lvm: text });
  const [vg, lv] = parts;
  checkName('volume group', vg, text);
  checkName('logical volume', lv, text);
  return { vg, lv };
}

/** How big the new LV is: exact bytes (-L <bytes>b; LVM rounds up to whole extents) or extents (-l 100%FREE). */
export type LvSize = { readonly bytes: number } | { readonly extents: string };

const EXTENTS = /^\d{1,3}%(FREE|VG|PVS)$/;

export function isExtentsSize(text: string): boolean {
  return EXTENTS.test(text.trim().toUpperCase());
}

export function lvcreateArgv(name: LvName, size: LvSize): ['lvcreate', ...string[]] {
  const sizeArgs = 'bytes' in size ? ['-L', `${size.bytes}b`] : ['-l', size.extents];
  // --yes: stdin is closed, so a "Wipe it? [y/n]" prompt about an old signature would read EOF and abort; the
  // format that follows overwrites the start and end of the volume anyway.
  return ['lvcreate', '--yes', ...sizeArgs, '-n', name.lv, name.vg];
}

export interface LogicalVolume {
  readonly vg: string;
  readonly lv: string;
  /** lv_path: /dev/VG/LV. */
  readonly path: string;
  readonly sizeBytes: number;
}

const LVS_FIELDS = 'lv_name,vg_name,lv_path,lv_size';

export function lvsArgv(selector: string): ['lvs', ...string[]] {
  return ['lvs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', LVS_FIELDS, selector];
}

/** lvs --reportformat json: { report: [ { lv: [ { lv_name, vg_name, lv_path, lv_size }, … ] } ] }, values as strings. */
export function parseLvsJson(text: string): LogicalVolume[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new GuestdiskError('HOST_COMMAND_FAILED', `lvs printed something that is not JSON: ${text.slice(0, 200)}`, { stdout: text.slice(0, 2000) }, { cause: e });
  }
  const reports = (doc as { report?: unknown }).report;
  if (!Array.isArray(reports)) throw new GuestdiskError('HOST_COMMAND_FAILED', 'lvs JSON has no "report" array', { stdout: text.slice(0, 2000) });
  const out: LogicalVolume[] = [];
  for (const report of reports) {
    const lvs = (report as { lv?: unknown }).lv;
    if (!Array.isArray(lvs)) continue;
    for (const row of lvs as Record<string, unknown>[]) {
      const size = Number(String(row.lv_size ?? '').replace(/B$/i, ''));
      out.push({ vg: String(row.vg_name ?? ''), lv: String(row.lv_name ?? ''), path: String(row.lv_path ?? ''), sizeBytes: Number.isSafeInteger(size) ? size : NaN });
    }
  }
  return out;
}

/** What to do about an lvcreate or lvs failure whose cause its stderr names (LVM's messages, lvm2 2.03). */
export function lvmAdvice(vg: string): (result: HostCommandResult) => string | null {
  return (result) => {
    const e = result.stderr;
    if (/insufficient free space/.test(e)) return `volume group ${vg} has too little free space: \`vgs ${vg}\` shows it (VFree); give a smaller --size, or --size 100%FREE, or add a disk to the group (pvcreate + vgextend)`;
    if (/Volume group "[^"]*" not found/.test(e)) return `there is no volume group ${vg}: \`vgs\` lists the groups; make one with pvcreate + vgcreate`;
    if (/already exists/.test(e)) return 'a volume of that name appeared meanwhile: run the command again (it is then refused unless you add --force)';
    if (/device not cleared|Failed to wipe start of new LV/.test(e)) return 'the new volume\'s device node did not appear: LVM expects udev to make it; start systemd-udevd, or set DM_DISABLE_UDEV=1 so that LVM makes the nodes itself';
    if (/Failed to communicate with kernel device-mapper|device-mapper.*not available/i.test(e)) return 'this kernel has no device-mapper (modprobe dm-mod), so LVM cannot run here';
    return null;
  };
}

/** The VG's LVs (fails with HOST_COMMAND_FAILED when the VG does not exist: lvs says so on stderr). */
export async function listLogicalVolumes(runner: HostRunner, vg: string): Promise<LogicalVolume[]> {
  return parseLvsJson(await runChecked(runner, lvsArgv(vg), `listing the logical volumes of ${vg}`, lvmAdvice(vg)));
}

export async function findLogicalVolume(runner: HostRunner, name: LvName): Promise<LogicalVolume | null> {
  return (await listLogicalVolumes(runner, name.vg)).find((v) => v.lv === name.lv) ?? null;
}

export interface EnsureLvResult {
  readonly volume: LogicalVolume;
  readonly created: boolean;
}

/**
 * Creates VG/LV, or with `reuseExisting` returns the existing one unchanged (never resized). An existing LV
 * without it is TARGET_HAS_DATA: it may hold someone's data.
 */
export async function ensureLogicalVolume(runner: HostRunner, name: LvName, size: LvSize | null, reuseExisting: boolean): Promise<EnsureLvResult> {
  const existing = await findLogicalVolume(runner, name);
  if (existing) {
    if (!reuseExisting) {
      throw new GuestdiskError('TARGET_HAS_DATA', `logical volume ${name.vg}/${name.lv} already exists (${existing.path}); use --force to format it as it is (it is not resized)`, { lvm: `${name.vg}/${name.lv}`, path: existing.path });
    }
    if (!existing.path.startsWith('/')) throw new GuestdiskError('HOST_COMMAND_FAILED', `lvs gave no device path for ${name.vg}/${name.lv}`, { lvm: `${name.vg}/${name.lv}` });
    return { volume: existing, created: false };
  }
  if (size === null) {
    throw new GuestdiskError('INVALID_SPEC', `--lvm ${name.vg}/${name.lv}: the volume does not exist; give --size (e.g. 500G, or 100%FREE) to create it`, { lvm: `${name.vg}/${name.lv}` });
  }
  await runChecked(runner, lvcreateArgv(name, size), `creating logical volume ${name.vg}/${name.lv}`, lvmAdvice(name.vg));
  const rows = parseLvsJson(await runChecked(runner, lvsArgv(`${name.vg}/${name.lv}`), `reading the new volume ${name.vg}/${name.lv}`, lvmAdvice(name.vg)));
  const volume = rows.find((v) => v.vg === name.vg && v.lv === name.lv);
  if (!volume || !volume.path.startsWith('/')) {
    throw new GuestdiskError('HOST_COMMAND_FAILED', `lvcreate succeeded but lvs does not list ${name.vg}/${name.lv} with a device path`, { lvm: `${name.vg}/${name.lv}` });
  }
  return { volume, created: true };
}

/** How to grow an LV: to an absolute size, or by a delta ("+N"); bytes, which LVM rounds up to whole extents. */
export type LvGrowth = { readonly toBytes: number } | { readonly byBytes: number };

export function lvextendArgv(name: LvName, growth: LvGrowth): ['lvextend', ...string[]] {
  const size = 'toBytes' in growth ? `${growth.toBytes}b` : `+${growth.byBytes}b`;
  return ['lvextend', '-L', size, `${name.vg}/${name.lv}`];
}

/** Grows VG/LV (`lvextend -L`) and returns it as lvs then reports it. */
export async function extendLogicalVolume(runner: HostRunner, name: LvName, growth: LvGrowth): Promise<LogicalVolume> {
  await runChecked(runner, lvextendArgv(name, growth), `extending logical volume ${name.vg}/${name.lv}`);
  const volume = await findLogicalVolume(runner, name);
  if (!volume || !volume.path.startsWith('/')) {
    throw new GuestdiskError('HOST_COMMAND_FAILED', `lvextend succeeded but lvs does not list ${name.vg}/${name.lv} with a device path`, { lvm: `${name.vg}/${name.lv}` });
  }
  return volume;
}
