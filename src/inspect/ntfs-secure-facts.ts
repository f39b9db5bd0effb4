// The security ids in-use base records name in their $STANDARD_INFORMATION, gathered on the MFT walk's pass: one
// entry per distinct id (Windows shares one id among every file with the same descriptor, so there are few).
// A 48-byte (NTFS 1.2) $STANDARD_INFORMATION has no security id: the file carries its own $SECURITY_DESCRIPTOR.
import { ATTR_TYPE } from '../fs/ntfs/attribute-types.js';
import type { DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeStandardInformation, STANDARD_INFORMATION } from '../fs/ntfs/attributes/standard-information.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
import type { MftRecordHeader } from '../fs/ntfs/mft-record.js';

export interface SecurityIdUse {
  readonly first: number;
  count: number;
}

const SECURITY_ID_END = STANDARD_INFORMATION.fields.securityId.offset + 4;

export function collectSecurityIds(): {
  record(n: number, header: Pick<MftRecordHeader, 'baseMftRecord' | 'sequenceNumber'>, attrs: readonly DecodedAttribute[]): void;
  finish(): ReadonlyMap<number, SecurityIdUse>;
} {
  const ids = new Map<number, SecurityIdUse>();
  return {
    record(n, header, attrs) {
      const base = decodeMftRef(header.baseMftRecord);
      if (base.recordNumber !== 0 || base.sequenceNumber !== 0) return;
      const si = attrs.find((a) => a.type === ATTR_TYPE.STANDARD_INFORMATION)?.resident?.value;
      if (!si || si.length < SECURITY_ID_END) return;
      const id = decodeStandardInformation(si).securityId;
      if (id === 0) return;
      const use = ids.get(id);
      if (use) use.count++;
      else ids.set(id, { first: n, count: 1 });
    },
    finish: () => ids,
  };
}
