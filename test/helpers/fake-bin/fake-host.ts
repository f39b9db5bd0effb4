// Puts the lvcreate/lvs/virsh stand-ins (bin/, a CommonJS folder) first on PATH with a JSON world of VGs, LVs and domains,
// and reads back the argv of every call they received.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_BIN_DIR = fileURLToPath(new URL('./bin/', import.meta.url));

export interface FakeLv { sizeBytes: number; path?: string }
export interface FakeVg { freeBytes: number; extentBytes?: number; lvs: Record<string, FakeLv> }
export interface FakeDisk { type: string; device: string; target: string; source?: string }
export interface FakeDomain { running: boolean; disks: FakeDisk[] }
export interface FakeWorld {
  vgs: Record<string, FakeVg>;
  /** lv_path lvcreate gives a new "VG/LV" (default /dev/VG/LV): point it at a loop device for end-to-end runs. */
  newLvPaths?: Record<string, string>;
  domains?: Record<string, FakeDomain>;
  virshUnreachable?: boolean;
  /** Make a program fail (only when an argument equals `when`, if given). */
  fail?: Record<string, { status: number; stderr: string; when?: string }>;
}

export interface FakeHost {
  /** Environment for the code under test: PATH with the stand-ins first, and their state and log files. */
  readonly env: Record<string, string>;
  calls(): string[][];
  world(): FakeWorld;
  remove(): void;
}

export function createFakeHost(world: FakeWorld): FakeHost {
  const dir = mkdtempSync(join(tmpdir(), 'guestdisk-fake-host-'));
  const state = join(dir, 'state.json');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(state, JSON.stringify(world));
  return {
    env: { PATH: `${FAKE_BIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`, FAKE_HOST_STATE: state, FAKE_HOST_LOG: log },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
    world: () => JSON.parse(readFileSync(state, 'utf8')) as FakeWorld,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
