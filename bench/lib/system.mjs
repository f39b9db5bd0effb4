// What the results were measured on: machine, kernel, tool versions, load.
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { run } from './proc.mjs';

async function firstLine(argv, pattern) {
  const r = await run(argv, { timeoutMs: 20_000 });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = pattern ? lines.find((l) => pattern.test(l)) : lines[0];
  return line ?? `unknown (rc ${r.rc})`;
}

export async function describeSystem({ root, cli }) {
  const commit = (await run(['git', '-C', root, 'rev-parse', '--short', 'HEAD'], { timeoutMs: 20_000 })).stdout.trim();
  const dirty = (await run(['git', '-C', root, 'status', '--porcelain', '--untracked-files=no', '--', 'src'], { timeoutMs: 20_000 })).stdout.trim();
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    commit: commit + (dirty ? ' (src/ has uncommitted changes)' : ''),
    cpuCount: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    loadStart: loadavg(),
    tools: {
      node: process.version,
      guestdisk: await firstLine([process.execPath, cli, '--version']),
      parted: await firstLine(['parted', '--version']),
      'util-linux (losetup)': await firstLine(['losetup', '--version']),
      mkntfs: await firstLine(['mkntfs', '--version'], /mkntfs/),
      'mkfs.exfat': await firstLine(['mkfs.exfat', '--version'], /exfatprogs/),
      'mkfs.fat': await firstLine(['mkfs.fat', '--invalid-option'], /mkfs\.fat \d/),
      sgdisk: await firstLine(['sgdisk', '--version'], /GPT fdisk/),
      strace: await firstLine(['strace', '-V']),
      'mkfs.xfs': await firstLine(['mkfs.xfs', '-V']),
    },
  };
}
