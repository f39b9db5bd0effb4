// `verifyDisk`: everything inspectDisk finds, plus the whole-volume walk of every filesystem (which inspect leaves
// out) and the caller's expectations (table kind, filesystem, label), as one list of findings. ok = no error finding (the CLI's exit 0).
import { quoted } from '../errors.js';
import { assertBlockTarget, type BlockTarget } from '../target/block-target.js';
import { reportFinding } from './finding-codes.js';
import { inspectDisk, type InspectOptions } from './inspect.js';
import { VERIFY_SCHEMA, type DiskReport, type FilesystemReport, type InspectFinding, type VerifyExpectations, type VerifyReport } from './report.js';

/**
 * The volume a Windows data disk is about: the first partition with a filesystem (a Windows-made GPT data disk
 * has the empty Microsoft reserved partition first), else the first partition, else the whole disk.
 */
export function mainVolume(disk: DiskReport): { filesystem: FilesystemReport | null; partition?: number } {
  const candidates = disk.partitions.filter((p) => !p.extended);
  const chosen = candidates.find((p) => p.filesystem?.type) ?? candidates[0];
  if (chosen) return { filesystem: chosen.filesystem, partition: chosen.number };
  return { filesystem: disk.wholeDiskFilesystem };
}

export function checkExpectations(disk: DiskReport, expect: VerifyExpectations): InspectFinding[] {
  const findings: InspectFinding[] = [];
  if (expect.table !== undefined && disk.table.kind !== expect.table) {
    findings.push(reportFinding('EXPECT_TABLE_MISMATCH', { structure: 'PartitionTable', expected: expect.table, actual: disk.table.kind, message: `expected a ${expect.table.toUpperCase()} partition table, found ${disk.table.kind === 'none' ? 'none' : disk.table.kind.toUpperCase()}` }));
  }
  const main = mainVolume(disk);
  const where = main.partition !== undefined ? { partition: main.partition } : {};
  const actualFs = main.filesystem?.type ?? null;
  if (expect.fs !== undefined && actualFs !== expect.fs) {
    findings.push(reportFinding('EXPECT_FS_MISMATCH', { structure: 'Volume', ...where, expected: expect.fs, actual: actualFs ?? 'none', message: `expected ${expect.fs}, found ${actualFs ?? 'no filesystem'}` }));
  }
  if (expect.label !== undefined) {
    const label = main.filesystem?.label ?? null;
    const same = label !== null && (actualFs?.startsWith('fat') ? label.trimEnd() === expect.label.trimEnd() : label === expect.label);
    if (!same) {
      findings.push(reportFinding('EXPECT_LABEL_MISMATCH', { structure: 'Volume', ...where, expected: quoted(expect.label), actual: label === null ? '(no label read)' : quoted(label), message: `expected label ${quoted(expect.label)}, found ${label === null ? 'none' : quoted(label)}` }));
    }
  }
  return findings;
}

export async function verifyDisk(target: BlockTarget, expectations: VerifyExpectations = {}, options: InspectOptions = {}): Promise<VerifyReport> {
  assertBlockTarget(target, 'verifyDisk');
  const disk = await inspectDisk(target, { ...options, wholeVolume: true }); // verify walks every volume whole
  return verifyReport(disk, expectations);
}

export function verifyReport(disk: DiskReport, expectations: VerifyExpectations): VerifyReport {
  const findings = [...disk.findings, ...checkExpectations(disk, expectations)];
  const count = (s: InspectFinding['severity']): number => findings.filter((f) => f.severity === s).length;
  return {
    schema: VERIFY_SCHEMA,
    target: disk.target,
    ok: count('error') === 0,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    expectations,
    findings,
  };
}
