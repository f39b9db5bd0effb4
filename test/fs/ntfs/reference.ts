// Shared by the NTFS table tests: run a tool for its bytes, the pinned hashes of mkntfs output, and a reference
// volume made by mkntfs (the recipe in fixtures/ntfs-tables/README.md).
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../../helpers/paths.js';
import { requireTool } from '../../helpers/tools.js';

/** stdout of `tool args` as bytes; a missing tool fails with its Debian package, a failing one throws. */
export function run(tool: string, args: readonly string[]): Uint8Array {
  requireTool(tool);
  return new Uint8Array(execFileSync(tool, args, { maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** The sha256 pinned for `name` in fixtures/ntfs-tables/mkntfs-2022.10.3.sha256. */
export function pinned(name: string): string {
  const line = readFileSync(join(FIXTURES_DIR, 'ntfs-tables', 'mkntfs-2022.10.3.sha256'), 'utf8').split('\n').find((l) => l.endsWith(`  ${name}`));
  if (!line) throw new Error(`fixtures/ntfs-tables/mkntfs-2022.10.3.sha256 has no hash for ${name}`);
  return line.split(' ')[0];
}

const volumes = new Map<string, string>();
/** A 64 MiB sparse volume from `mkntfs -F -Q -T -L X`, made once per directory. */
export function mkntfsVolume(dir: string): string {
  const made = volumes.get(dir);
  if (made) return made;
  const image = join(dir, 'ref.img');
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, 64 << 20);
  run('mkntfs', ['-F', '-Q', '-T', '-L', 'X', image]);
  volumes.set(dir, image);
  return image;
}
