// `guestdisk verify TARGET [--json] [--sector-size N] [--expect-table] [--expect-fs] [--expect-label]`:
// exit 0 when no error finding, 1 when there are, 2 when the disk could not be opened or read (or bad usage).
import { GuestdiskError } from '../errors.js';
import { inspectDisk } from '../inspect/inspect.js';
import type { VerifyExpectations, VerifyReport } from '../inspect/report.js';
import { verifyReport } from '../inspect/verify.js';
import type { CliIo } from './io.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { openForInspect, renderFinding } from './inspect.js';

export interface VerifyOptions { json?: boolean; sectorSize?: string; expectTable?: string; expectFs?: string; expectLabel?: string }

function parseExpectations(options: VerifyOptions): VerifyExpectations {
  const out: { table?: 'gpt' | 'mbr'; fs?: 'ntfs' | 'exfat' | 'fat32'; label?: string } = {};
  if (options.expectTable !== undefined) {
    if (options.expectTable !== 'gpt' && options.expectTable !== 'mbr') throw new GuestdiskError('INVALID_SPEC', `--expect-table must be gpt or mbr, got ${JSON.stringify(options.expectTable)}`);
    out.table = options.expectTable;
  }
  if (options.expectFs !== undefined) {
    if (options.expectFs !== 'ntfs' && options.expectFs !== 'exfat' && options.expectFs !== 'fat32') throw new GuestdiskError('INVALID_SPEC', `--expect-fs must be ntfs, exfat or fat32, got ${JSON.stringify(options.expectFs)}`);
    out.fs = options.expectFs;
  }
  if (options.expectLabel !== undefined) out.label = options.expectLabel;
  return out;
}

export async function runVerify(target: string, options: VerifyOptions, io: CliIo): Promise<number> {
  let report: VerifyReport;
  try {
    const expectations = parseExpectations(options);
    const opened = await openForInspect(target, options.sectorSize);
    try {
      report = verifyReport(await inspectDisk(opened.target, { sectorSizeSource: opened.sectorSizeSource, sourceSizeBytes: opened.sourceSizeBytes, wholeVolume: true }), expectations);
    } finally {
      await opened.target.close();
    }
  } catch (e) {
    // verify's contract: 2 for anything that stopped it reading the disk (usage, I/O, unreadable target).
    if (!(e instanceof GuestdiskError)) throw e;
    if (options.json) io.stdout(JSON.stringify(e.toJSON(), null, 2));
    else io.stderr(`guestdisk: ${e.message}`);
    return EXIT_USAGE;
  }
  io.stdout(options.json ? JSON.stringify(report, null, 2) : renderVerify(report));
  return report.ok ? EXIT_OK : EXIT_FINDINGS;
}

export function renderVerify(r: VerifyReport): string {
  const lines = r.findings.map(renderFinding);
  lines.push(`${r.ok ? 'OK' : 'FAILED'}: ${r.errors} error(s), ${r.warnings} warning(s), ${r.infos} info on ${r.target}`);
  return lines.join('\n');
}
