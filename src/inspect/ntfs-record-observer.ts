// What the whole-volume checks kept in their own files gather on the MFT walk's one pass (ntfs-mft-walk.ts calls
// `record` for every in-use record that decodes): the security ids files use (ntfs-secure-checks.ts) and the
// attribute lists with the attributes of the records they name (ntfs-attribute-list-checks.ts). Each collector
// keeps a few numbers per distinct security id, per attribute list and per extension record, never whole records.
import type { DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import type { MftRecordHeader } from '../fs/ntfs/mft-record.js';
import { collectAttributeLists, type AttributeListFacts } from './ntfs-attribute-list-facts.js';
import { collectSecurityIds, type SecurityIdUse } from './ntfs-secure-facts.js';

export interface RecordObservations {
  /** Security id → the first record whose $STANDARD_INFORMATION names it, and how many do. */
  readonly securityIds: ReadonlyMap<number, SecurityIdUse>;
  readonly attributeLists: AttributeListFacts;
}

export interface RecordObserver {
  record(n: number, header: Pick<MftRecordHeader, 'baseMftRecord' | 'sequenceNumber'>, attrs: readonly DecodedAttribute[]): void;
  finish(): RecordObservations;
}

export function newRecordObserver(): RecordObserver {
  const security = collectSecurityIds();
  const lists = collectAttributeLists();
  return {
    record(n, header, attrs) {
      security.record(n, header, attrs);
      lists.record(n, header, attrs);
    },
    finish: () => ({ securityIds: security.finish(), attributeLists: lists.finish() }),
  };
}
