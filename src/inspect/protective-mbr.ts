// The protective MBR in front of a GPT: UEFI 2.10 §5.2.3 — one 0xEE record from LBA 1 covering the disk (minus
// one sector, capped at 0xFFFFFFFF). Windows reads the GPT only behind it.
import { MBR_TYPE } from '../partition/gpt-types.js';
import { MBR_BOOT_SIGNATURE, MBR, readMbr } from '../partition/mbr.js';
import { MBR_PARTITION_RECORD } from '../partition/mbr-partition-record.js';
import type { BlockTarget } from '../target/block-target.js';
import { reportFinding } from './finding-codes.js';
import type { InspectFinding, ProtectiveMbrReport } from './report.js';
import type { DiskGeometry } from './table-types.js';

const MAX_MBR_SIZE_IN_LBA = 0xffffffff;

export async function readProtectiveMbr(disk: BlockTarget, g: DiskGeometry): Promise<{ report: ProtectiveMbrReport; findings: InspectFinding[] }> {
  const mbr = readMbr(await disk.read(0, MBR.sizeBytes));
  const findings: InspectFinding[] = [];
  const bootSignatureOk = mbr.signature === MBR_BOOT_SIGNATURE;
  const slot = mbr.partitionRecords.findIndex((r) => r.osType === MBR_TYPE.GPT_PROTECTIVE);
  const ee = slot >= 0 ? mbr.partitionRecords[slot] : null;
  const otherRecords = mbr.partitionRecords.filter((r, i) => i !== slot && r.osType !== MBR_TYPE.EMPTY).length;
  if (!bootSignatureOk || !ee) {
    findings.push(reportFinding('GPT_PMBR_MISSING', {
      structure: 'Mbr', field: bootSignatureOk ? 'partitionRecord1' : 'signature', offsetBytes: bootSignatureOk ? MBR.fields.partitionRecord1.offset : MBR.fields.signature.offset, lba: 0,
      expected: bootSignatureOk ? 'a 0xEE record' : '0x55AA', actual: bootSignatureOk ? 'none' : `0x${mbr.signature.toString(16).padStart(4, '0')}`,
      message: bootSignatureOk ? 'the MBR in front of the GPT has no 0xEE (GPT protective) record' : 'no protective MBR: sector 0 lacks the 0x55AA signature',
    }));
  } else {
    const expectedSize = Math.min(g.sizeLba - 1, MAX_MBR_SIZE_IN_LBA);
    if (ee.startingLba !== 1 || ee.sizeInLba !== expectedSize) {
      findings.push(reportFinding('GPT_PMBR_SIZE', {
        structure: 'MbrPartitionRecord', field: 'sizeInLba', offsetBytes: MBR.fields.partitionRecord1.offset + MBR_PARTITION_RECORD.sizeBytes * slot + MBR_PARTITION_RECORD.fields.sizeInLba.offset, lba: 0,
        expected: `start 1, size ${expectedSize}`, actual: `start ${ee.startingLba}, size ${ee.sizeInLba}`,
        message: `protective MBR record covers LBA ${ee.startingLba} +${ee.sizeInLba}; the spec wants LBA 1 +${expectedSize}`,
      }));
    }
    if (otherRecords > 0) {
      findings.push(reportFinding('GPT_PMBR_HYBRID', { structure: 'Mbr', offsetBytes: MBR.fields.partitionRecord1.offset, lba: 0, expected: 'only the 0xEE record', actual: `${otherRecords} other record(s)`, message: `the protective MBR has ${otherRecords} partition record(s) besides 0xEE (hybrid MBR)` }));
    }
  }
  return {
    report: { bootSignatureOk, present: ee !== null, startingLba: ee?.startingLba ?? null, sizeInLba: ee?.sizeInLba ?? null, otherRecords },
    findings,
  };
}
