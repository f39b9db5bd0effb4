// The only judgement the bench makes: a produced disk image must pass `sgdisk -v` and its filesystem's checker.
import { closeSync, openSync, readSync } from 'node:fs';
import { run, tail } from './proc.mjs';

const SECTOR = 512; // images are made with 512-byte logical sectors by both tools
const GPT_ENTRY_LBA = 2;
const ENTRY_FIRST_LBA = 0x20;
const ENTRY_LAST_LBA = 0x28;

/** Partition 1's byte range, read from the first GPT entry (both tools put the entry array at LBA 2). */
export function partitionRange(image) {
  const fd = openSync(image, 'r');
  try {
    const entry = new Uint8Array(128);
    readSync(fd, entry, 0, entry.length, GPT_ENTRY_LBA * SECTOR);
    const view = new DataView(entry.buffer);
    const first = Number(view.getBigUint64(ENTRY_FIRST_LBA, true));
    const last = Number(view.getBigUint64(ENTRY_LAST_LBA, true));
    return { offsetBytes: first * SECTOR, sizeBytes: (last - first + 1) * SECTOR };
  } finally {
    closeSync(fd);
  }
}

// Pass criteria as in ../shared/conformance/check-image.sh (the project's independent judge): these checkers
// exit 0 on some problems they only print, so the report is read too.
const CHECKERS = {
  ntfs: { argv: ['ntfsfix', '-n'], good: /processed successfully/, bad: /FAILED|BAD|error|corrupt|differ|mismatch|not clean|inconsist|damaged|fix/i },
  exfat: { argv: ['fsck.exfat', '-n', '-v'], good: /: clean/, bad: /corrupt|error|invalid|mismatch|repair|bad/i },
  fat32: {
    argv: ['fsck.fat', '-n', '-v'],
    good: /32 bit entries/,
    bad: /differences|not automatically|wrong|invalid|corrupt|bad |error|reclaim|mismatch|marking|truncat|dirty|lost|does not match|unable|cannot|repair|leaving/i,
  },
};

export async function checkImage(image, fs, { timeoutMs, loops }) {
  const result = { ok: false, sgdisk: '', fsck: '' };
  const sg = await run(['sgdisk', '-v', image], { timeoutMs });
  const sgOut = sg.stdout + sg.stderr;
  const sgOk = !sg.timedOut && /No problems found/.test(sgOut);
  result.sgdisk = sg.timedOut ? 'timed out' : sgOk ? 'No problems found' : `problems: ${tail(sgOut, 400).trim()}`;
  const { offsetBytes, sizeBytes } = partitionRange(image);
  const lo = await run(['losetup', '-f', '--show', '-r', '-o', String(offsetBytes), '--sizelimit', String(sizeBytes), image], { timeoutMs: 60_000 });
  const dev = lo.stdout.trim();
  if (lo.rc !== 0 || !dev) {
    result.fsck = `losetup failed: ${tail(lo.stderr, 300).trim()}`;
    return result;
  }
  loops.add(dev);
  try {
    const checker = CHECKERS[fs];
    const r = await run([...checker.argv, dev], { timeoutMs });
    const text = r.stdout + r.stderr;
    const fsOk = !r.timedOut && r.rc === 0 && checker.good.test(r.stdout) && !checker.bad.test(text);
    const name = checker.argv.join(' ');
    result.fsck = r.timedOut ? `${name}: timed out` : fsOk ? `${name}: clean` : `${name}: rc=${r.rc} ${tail(text, 600).trim()}`;
    result.ok = sgOk && fsOk;
  } finally {
    await run(['losetup', '-d', dev], { timeoutMs: 60_000 });
    loops.delete(dev);
  }
  return result;
}
