// What the attribute-list checks (ntfs-attribute-list-checks.ts) need from the MFT walk's pass: each attribute
// list (a copy of its bytes when resident; its runs when not, read after the walk), and for every extension record and every
// base record that has a list, the sum of hashes of its attributes' identities (type, name, lowest VCN, instance)
// and their count. A list matches its records when, record by record, its entries hash to the same sum and count;
// only a record that does not is read again, to name what differs.
import { ATTR_TYPE } from '../fs/ntfs/attribute-types.js';
import type { DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import type { MftRecordHeader } from '../fs/ntfs/mft-record.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
import type { Run } from '../fs/ntfs/runlist.js';
import { errText, runsOf } from './ntfs-volume-files.js';

/** The attributes one record holds, as a hash sum and a count (its $ATTRIBUTE_LIST itself left out). */
export interface RecordAttributes {
  hash: number;
  count: number;
  readonly sequence: number;
  /** The base record an extension record names (with its sequence number); null for a base record. */
  readonly base: { readonly record: number; readonly sequence: number } | null;
}

/** One base record's attribute list: its value (a copy, decoded when compared), or the runs to read it from, or why neither. */
export interface ListSource {
  readonly record: number;
  readonly sequence: number;
  readonly value: Uint8Array | null;
  readonly runs: readonly Run[] | null;
  readonly dataSize: number;
  readonly problem: string | null;
}

export interface AttributeListFacts {
  /** Extension records, and base records that have an attribute list. */
  readonly records: ReadonlyMap<number, RecordAttributes>;
  readonly lists: readonly ListSource[];
}

/** The identity an attribute list entry and the attribute it names share. */
export interface AttributeIdentity {
  readonly type: number;
  readonly name: string;
  readonly lowestVcn: number;
  readonly instance: number;
}

/** FNV-1a over an attribute's identity; summed per record, it lets a list be compared without holding records. */
export function attributeIdentityHash(a: AttributeIdentity): number {
  let h = 0x811c9dc5;
  const mix = (byte: number): void => {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  };
  for (let i = 0; i < 4; i++) mix((a.type >>> (8 * i)) & 0xff);
  for (let i = 0; i < 7; i++) mix(Math.floor(a.lowestVcn / 2 ** (8 * i)) & 0xff);
  mix(a.instance & 0xff);
  mix(a.instance >> 8);
  for (let i = 0; i < a.name.length; i++) {
    mix(a.name.charCodeAt(i) & 0xff);
    mix(a.name.charCodeAt(i) >> 8);
  }
  return h;
}

/** The identity of an attribute as it sits in a record (a resident attribute maps from VCN 0). */
export function identityOf(a: DecodedAttribute): AttributeIdentity {
  return { type: a.type, name: a.name, lowestVcn: a.nonResident?.header.lowestVcn ?? 0, instance: a.instance };
}

export function describeIdentity(a: AttributeIdentity): string {
  return `attribute 0x${a.type.toString(16)}${a.name ? ` "${a.name}"` : ''} (VCN ${a.lowestVcn}, instance ${a.instance})`;
}

function listSource(n: number, sequence: number, list: DecodedAttribute): ListSource {
  const base = { record: n, sequence, value: null, runs: null, dataSize: 0, problem: null };
  try {
    if (list.resident) return { ...base, value: Uint8Array.from(list.resident.value) };
    return { ...base, runs: runsOf(list), dataSize: list.nonResident!.header.dataSize };
  } catch (e) {
    return { ...base, problem: errText(e) };
  }
}

export function collectAttributeLists(): {
  record(n: number, header: Pick<MftRecordHeader, 'baseMftRecord' | 'sequenceNumber'>, attrs: readonly DecodedAttribute[]): void;
  finish(): AttributeListFacts;
} {
  const records = new Map<number, RecordAttributes>();
  const lists: ListSource[] = [];
  return {
    record(n, header, attrs) {
      const ref = decodeMftRef(header.baseMftRecord);
      const isBase = ref.recordNumber === 0 && ref.sequenceNumber === 0;
      const list = attrs.find((a) => a.type === ATTR_TYPE.ATTRIBUTE_LIST);
      if (isBase && !list) return;
      if (list && isBase) lists.push(listSource(n, header.sequenceNumber, list));
      const facts: RecordAttributes = { hash: 0, count: 0, sequence: header.sequenceNumber, base: isBase ? null : { record: ref.recordNumber, sequence: ref.sequenceNumber } };
      for (const a of attrs) {
        if (a.type === ATTR_TYPE.ATTRIBUTE_LIST) continue;
        facts.hash = (facts.hash + attributeIdentityHash(identityOf(a))) >>> 0;
        facts.count++;
      }
      records.set(n, facts);
    },
    finish: () => ({ records, lists }),
  };
}
