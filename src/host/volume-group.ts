// LVM volume groups: the extent size every LV's size is a whole number of (vgs, JSON report). `create --lvm
// --size +HEADROOM` sizes the disk from its content in whole extents, so lvcreate is asked for exactly the size it
// makes (lvcreate rounds any other size up to whole extents, and that rounding would be space nobody planned).
import { GuestdiskError } from '../errors.js';
import { lvmAdvice } from './lvm.js';
import { runChecked, type HostRunner } from './run.js';

export interface VolumeGroup {
  readonly vg: string;
  /** vg_extent_size: LV sizes are multiples of it. */
  readonly extentBytes: number;
  /** vg_free. */
  readonly freeBytes: number;
}

const VGS_FIELDS = 'vg_name,vg_extent_size,vg_free';

export function vgsArgv(vg: string): ['vgs', ...string[]] {
  return ['vgs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', VGS_FIELDS, vg];
}

/** vgs --reportformat json: { report: [ { vg: [ { vg_name, vg_extent_size, vg_free }, … ] } ] }, values as strings. */
export function parseVgsJson(text: string): VolumeGroup[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new GuestdiskError('HOST_COMMAND_FAILED', `vgs printed something that is not JSON: ${text.slice(0, 200)}`, { stdout: text.slice(0, 2000) }, { cause: e });
  }
  const reports = (doc as { report?: unknown }).report;
  if (!Array.isArray(reports)) throw new GuestdiskError('HOST_COMMAND_FAILED', 'vgs JSON has no "report" array', { stdout: text.slice(0, 2000) });
  const bytes = (v: unknown): number => Number(String(v ?? '').replace(/B$/i, ''));
  const out: VolumeGroup[] = [];
  for (const report of reports) {
    const vgs = (report as { vg?: unknown }).vg;
    if (!Array.isArray(vgs)) continue;
    for (const row of vgs as Record<string, unknown>[]) {
      out.push({ vg: String(row.vg_name ?? ''), extentBytes: bytes(row.vg_extent_size), freeBytes: bytes(row.vg_free) });
    }
  }
  return out;
}

export async function readVolumeGroup(runner: HostRunner, vg: string): Promise<VolumeGroup> {
  const rows = parseVgsJson(await runChecked(runner, vgsArgv(vg), `reading volume group ${vg}`, lvmAdvice(vg)));
  const found = rows.find((r) => r.vg === vg);
  if (!found || !Number.isSafeInteger(found.extentBytes) || found.extentBytes <= 0) {
    throw new GuestdiskError('HOST_COMMAND_FAILED', `vgs gave no extent size for volume group ${vg}`, { vg, stdoutRows: rows.length });
  }
  return found;
}
