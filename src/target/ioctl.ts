// Block-device ioctls through the optional `ioctl` npm package (a small native addon). Request numbers are the
// Linux uapi values from include/uapi/linux/fs.h: _IO(0x12, n) = 0x1200 | n, _IOR(0x12, 114, size_t) on a
// 64-bit kernel = 0x80081272. When the package is missing (npm ci --omit=optional, no compiler on the host) or
// GUESTDISK_NO_IOCTL=1 is set, `loadIoctl()` answers null and callers fall back to sysfs and plain writes.
import { createRequire } from 'node:module';

/** BLKGETSIZE64: device size in bytes, u64 out. */
export const BLKGETSIZE64 = 0x80081272;
/** BLKSSZGET: logical sector size, int out. */
export const BLKSSZGET = 0x1268;
/** BLKPBSZGET: physical sector size, unsigned int out. */
export const BLKPBSZGET = 0x127b;
/** BLKRRPART: re-read the partition table; no argument. */
export const BLKRRPART = 0x125f;
/** BLKZEROOUT: zero a byte range, in: u64 range[2] = { start, length }, both multiples of 512. */
export const BLKZEROOUT = 0x127f;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type IoctlFn = (fd: number, request: number, arg?: Uint8Array | number) => number;

/** The environment switch that forces the sysfs fallback (tests, or a host whose addon misbehaves). */
export const NO_IOCTL_ENV = 'GUESTDISK_NO_IOCTL';

let forcedOff: boolean | null = null;
let cached: { fn: IoctlFn | null; error: string | null } | null = null;

/** Library callers may turn the ioctl path off (or back on) without the environment variable. */
export function setIoctlEnabled(enabled: boolean): void {
  forcedOff = !enabled;
}

function disabledByEnvironment(): boolean {
  // The one read of the environment outside cli/: the fallback must be forceable for any caller of the
  // library, including the CLI's child processes in tests, without threading an option through every open.
  const value = globalThis.process?.env?.[NO_IOCTL_ENV];
  return value !== undefined && value !== '' && value !== '0';
}

function loadModule(): { fn: IoctlFn | null; error: string | null } {
  if (cached) return cached;
  try {
    const required = createRequire(import.meta.url)('ioctl') as unknown;
    cached = typeof required === 'function'
      ? { fn: required as IoctlFn, error: null }
      : { fn: null, error: 'the ioctl package did not export a function' };
  } catch (e) {
    cached = { fn: null, error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
  return cached;
}

export interface IoctlStatus {
  readonly available: boolean;
  /** Why not, when not: "disabled by GUESTDISK_NO_IOCTL", or the module load error. */
  readonly reason: string | null;
}

export function ioctlStatus(): IoctlStatus {
  if (forcedOff === true) return { available: false, reason: 'disabled by setIoctlEnabled(false)' };
  if (forcedOff === null && disabledByEnvironment()) return { available: false, reason: `disabled by ${NO_IOCTL_ENV}` };
  const m = loadModule();
  return m.fn ? { available: true, reason: null } : { available: false, reason: `ioctl package not loadable: ${m.error}` };
}

/** The raw ioctl function, or null when the fallback is in force. */
export function loadIoctl(): IoctlFn | null {
  return ioctlStatus().available ? loadModule().fn : null;
}

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error('ioctl results are decoded as little-endian; this host is big-endian');
}

/** The ioctl calls guestdisk makes on an open block device. Each throws the node errno error on failure. */
export interface BlockIoctls {
  getSize64(fd: number): number;
  getLogicalSectorSize(fd: number): number;
  getPhysicalSectorSize(fd: number): number;
  rereadPartitions(fd: number): void;
  zeroOut(fd: number, offsetBytes: number, lengthBytes: number): void;
}

export function blockIoctls(): BlockIoctls | null {
  const ioctl = loadIoctl();
  if (!ioctl) return null;
  requireLittleEndian();
  const u32 = (fd: number, request: number): number => {
    const out = new Uint8Array(4);
    ioctl(fd, request, out);
    return new DataView(out.buffer).getUint32(0, true);
  };
  return {
    getSize64(fd) {
      const out = new Uint8Array(8);
      ioctl(fd, BLKGETSIZE64, out);
      const size = new DataView(out.buffer).getBigUint64(0, true);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`BLKGETSIZE64 answered ${size} bytes, beyond a safe integer`);
      return Number(size);
    },
    getLogicalSectorSize: (fd) => u32(fd, BLKSSZGET),
    getPhysicalSectorSize: (fd) => u32(fd, BLKPBSZGET),
    rereadPartitions(fd) {
      ioctl(fd, BLKRRPART);
    },
    zeroOut(fd, offsetBytes, lengthBytes) {
      const range = new BigUint64Array([BigInt(offsetBytes), BigInt(lengthBytes)]);
      ioctl(fd, BLKZEROOUT, new Uint8Array(range.buffer));
    },
  };
}
