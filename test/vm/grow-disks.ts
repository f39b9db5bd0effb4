// Host side of the grow VM test: small disks made by guestdisk create (or sgdisk + mkfs.exfat), files put in them
// (create --copy-from, or ntfs-3g / exfat-fuse through a loop device at the partition's offset), then grown by
// `guestdisk grow --json`, whose plan says what the guest's kernel must see. Judges after the guest wrote:
// fsck.exfat -n / fsck.fat -n / ntfsfix -n + ntfsck -n, sgdisk -v, guestdisk verify.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoop, mustRun, requireTool } from '../helpers/tools.js';
import { exfatVerdict } from '../grow/exfat-judge.js';
import { fsckFat } from '../grow/fat32-disks.js';
import { gptVerdict, ntfsVerdict, partitionsOf, type Verdict } from '../grow/judge.js';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

export interface GrowVolume {
  /** Step-name prefix and file name. */
  readonly name: string;
  readonly fs: 'ntfs' | 'exfat' | 'fat32';
  readonly table: 'gpt' | 'mbr';
  readonly sectorSize: 512 | 4096;
  /** guestdisk create (exFAT/FAT32 with --copy-from), or sgdisk + mkfs.exfat with files from exfat-fuse. */
  readonly maker: 'guestdisk' | 'mkfs.exfat';
  readonly maxSize?: string;
  readonly oldBytes: number;
  readonly newBytes: number;
}

/** What `grow --json` planned, in the units the guest reports. */
export interface Grown {
  readonly image: string;
  readonly partStartLba: number;
  readonly oldPartLba: number;
  readonly newPartLba: number;
  readonly clusterSize: number;
  readonly clusterCount: number;
  /** exFAT: the bytes the FAT cannot address (0 when the volume fills its partition). */
  readonly unusableBytes: number;
}

interface GrowPlanJson {
  plan: {
    partition: { startLba: number; before: { sizeLba: number }; after: { sizeLba: number } };
    filesystem: { clusterSize: number; after: { clusterCount: number }; unusableBytes?: number };
  };
}

/** Files of every shape the volumes hold: a few MiB of pseudo-random bytes, a non-ASCII name, many small files, an
 *  empty one. Names FAT32 keeps as long names. */
export function growPayload(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const big = new Uint8Array(3 * MiB + 123);
  for (let i = 0; i < big.length; i += 32) big.set(createHash('sha256').update(`vm ${i}`).digest().subarray(0, Math.min(32, big.length - i)), i);
  files.set('data/big.bin', big);
  files.set('docs/Ünïcødé 日本語.txt', new TextEncoder().encode('grown, then read by a guest\n'));
  files.set('empty.txt', new Uint8Array(0));
  for (let i = 0; i < 24; i++) files.set(`many/file ${i}.txt`, new TextEncoder().encode(`file ${i}\n`.repeat(i * 97)));
  return files;
}

/** Writes the payload under DIR/payload and its `sha256sum -c` manifest to DIR/payload.sha256; returns both. */
export function writePayload(dir: string, files: ReadonlyMap<string, Uint8Array>): { root: string; manifest: string } {
  const root = join(dir, 'payload');
  const lines: string[] = [];
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), bytes);
    lines.push(`${createHash('sha256').update(bytes).digest('hex')}  ${path}`);
  }
  const manifest = join(dir, 'payload.sha256');
  writeFileSync(manifest, lines.join('\n') + '\n');
  return { root, manifest };
}

/** Mounts the partition with a FUSE driver through a loop device, copies `root` in, unmounts; waits until the
 *  driver has let go of the loop device (a FUSE daemon writes its last metadata after umount returns). */
function copyThroughFuse(image: string, v: GrowVolume, root: string, mnt: string): void {
  const driver = v.fs === 'ntfs' ? 'ntfs-3g' : 'mount.exfat-fuse';
  requireTool(driver);
  const [part] = partitionsOfImage(image, v.sectorSize);
  const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, readOnly: false, sectorSize: v.sectorSize });
  try {
    mkdirSync(mnt, { recursive: true });
    mustRun(driver, [loop.device, mnt]);
    try {
      mustRun('cp', ['-r', `${root}/.`, mnt]);
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
    const backing = `/sys/block/${loop.device.slice('/dev/'.length)}/loop/backing_file`;
    const until = Date.now() + 60_000;
    while (existsSync(backing) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    if (existsSync(backing)) throw new Error(`${loop.device} still held 60 s after umount of ${driver}`);
  }
}

function partitionsOfImage(image: string, sectorSize: 512 | 4096): { offsetBytes: number; sizeBytes: number }[] {
  if (sectorSize === 512) return partitionsOf(image, 512);
  const loop = attachLoop(image, { sectorSize: 4096 });
  try {
    return partitionsOf(loop.device, 4096);
  } finally {
    loop.detach();
  }
}

/** Makes the volume's disk at DIR/<name>.img holding `root`, grows it sparse to `newBytes`, returns the plan. */
export async function makeGrownDisk(dir: string, v: GrowVolume, root: string): Promise<Grown> {
  const image = join(dir, `${v.name}.img`);
  if (v.maker === 'mkfs.exfat') {
    mustRun('truncate', ['-s', String(v.oldBytes), image]);
    mustRun('sgdisk', ['-n', '1:0:0', '-t', '1:0700', image]);
    const [part] = partitionsOfImage(image, v.sectorSize);
    const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, readOnly: false, sectorSize: v.sectorSize });
    try {
      mustRun('mkfs.exfat', ['-L', 'MKFS', loop.device]);
    } finally {
      loop.detach();
    }
  } else {
    const copy = v.fs === 'ntfs' ? [] : ['--copy-from', root];
    const maxSize = v.maxSize ? ['--max-size', v.maxSize] : [];
    await mustCli(['create', image, '--size', String(v.oldBytes), '--table', v.table, '--fs', v.fs, '--sector-size', String(v.sectorSize), ...maxSize, ...copy, '--label', 'GROWVM', '--seed', v.name, '--timestamp', '1700000000']);
  }
  if (v.fs === 'ntfs' || v.maker === 'mkfs.exfat') copyThroughFuse(image, v, root, join(dir, 'mnt'));
  const r = await mustCli(['grow', image, '--size', String(v.newBytes), '--sector-size', String(v.sectorSize), '--json']);
  const { plan } = JSON.parse(r.stdout) as GrowPlanJson;
  return {
    image,
    partStartLba: plan.partition.startLba,
    oldPartLba: plan.partition.before.sizeLba,
    newPartLba: plan.partition.after.sizeLba,
    clusterSize: plan.filesystem.clusterSize,
    clusterCount: plan.filesystem.after.clusterCount,
    unusableBytes: plan.filesystem.unusableBytes ?? 0,
  };
}

/** The filesystem's own checker (and sgdisk -v for GPT) on the image the guest wrote. */
export function judgeAfterGuest(v: GrowVolume, g: Grown): Verdict[] {
  const offsetBytes = g.partStartLba * v.sectorSize;
  const sizeBytes = g.newPartLba * v.sectorSize;
  const verdicts: Verdict[] = [];
  if (v.table === 'gpt') {
    const loop = v.sectorSize === 4096 ? attachLoop(g.image, { sectorSize: 4096 }) : null;
    try {
      verdicts.push(gptVerdict(loop?.device ?? g.image, false));
    } finally {
      loop?.detach();
    }
  }
  if (v.fs === 'ntfs') verdicts.push(ntfsVerdict(g.image, offsetBytes, sizeBytes));
  else if (v.fs === 'exfat') verdicts.push(exfatVerdict(g.image, offsetBytes, sizeBytes, v.sectorSize));
  else {
    const r = fsckFat(g.image, { offsetBytes, sizeBytes }, v.sectorSize);
    verdicts.push({ ok: r.ok, evidence: `fsck.fat -n: ${r.output.split('\n').slice(-3).join(' | ')}` });
  }
  return verdicts;
}

/** `guestdisk verify --json` of the image: its error count and findings. */
export async function verifyErrors(v: GrowVolume, g: Grown): Promise<{ errors: number; text: string }> {
  const r = await runCli(['verify', g.image, '--sector-size', String(v.sectorSize), '--json']);
  const report = JSON.parse(r.stdout) as { errors?: number };
  return { errors: report.errors ?? -1, text: `exit ${r.status}\n${r.stdout.slice(0, 3000)}${r.stderr}` };
}
