// $Extend\$Quota (MFT record 24): default entries of its $O (SID → owner id) and $Q (owner id → quota control)
// indexes. Sources: ntfs-3g include/ntfs-3g/layout.h (QUOTA_CONTROL_ENTRY, QUOTA_O_INDEX_DATA, QUOTA_FLAGS,
// PREDEFINED_OWNER_IDS), ntfsprogs/mkntfs.c (initialize_quota), libyal "NTFS" §"Quota".
import { GuestdiskError } from '../../errors.js';
import { defineStruct, expectEqual, readIntN, readU64Big, throwFirst, writeIntN, writeU64Big, type Finding, type StructValue } from '../../binary/fields.js';
import { filetimeToUnix, unixToFiletime } from '../../binary/time-formats.js';
import type { IndexKeyData } from './secure.js';
import { SID_BUILTIN_ADMINISTRATORS, decodeSid, encodeSid, sidSizeBytes, type Sid } from './security-descriptor.js';

/** PREDEFINED_OWNER_IDS */
export const QUOTA_DEFAULTS_ID = 0x00000001;
export const QUOTA_FIRST_USER_ID = 0x00000100;

/** QUOTA_FLAGS */
export const QUOTA_FLAG = {
  DEFAULT_LIMITS: 0x00000001,
  LIMIT_REACHED: 0x00000002,
  ID_DELETED: 0x00000004,
  TRACKING_ENABLED: 0x00000010,
  ENFORCEMENT_ENABLED: 0x00000020,
  TRACKING_REQUESTED: 0x00000040,
  LOG_THRESHOLD: 0x00000080,
  LOG_LIMIT: 0x00000100,
  OUT_OF_DATE: 0x00000200,
  CORRUPT: 0x00000400,
  PENDING_DELETES: 0x00000800,
} as const;

export const QUOTA_CONTROL_ENTRY_VERSION = 2;

/** QUOTA_CONTROL_ENTRY without its trailing SID (which the defaults entry, owner id 1, lacks). */
export const QUOTA_CONTROL_ENTRY = defineStruct('QuotaControlEntry', 0x30, {
  version:      { offset: 0x00, type: 'u32' },              // QUOTA_CONTROL_ENTRY_VERSION
  flags:        { offset: 0x04, type: 'u32' },              // QUOTA_FLAG.*
  bytesUsed:    { offset: 0x08, type: 'u64' },
  changeTime:   { offset: 0x10, type: 'bytes', length: 8 }, // FILETIME
  threshold:    { offset: 0x18, type: 'bytes', length: 8 }, // signed 64-bit, -1 = no soft quota
  limit:        { offset: 0x20, type: 'bytes', length: 8 }, // signed 64-bit, -1 = no hard quota
  exceededTime: { offset: 0x28, type: 'bytes', length: 8 }, // signed 64-bit, 100 ns units
});
type QuotaControlRaw = StructValue<typeof QUOTA_CONTROL_ENTRY>;

/** $Q key: the owner id (COLLATION_NTOFS_ULONG). */
export const QUOTA_Q_INDEX_KEY = defineStruct('QuotaQIndexKey', 4, {
  ownerId: { offset: 0x00, type: 'u32' },
});
/** $O data: the owner id for the SID in the key (COLLATION_NTOFS_SID). */
export const QUOTA_O_INDEX_DATA = defineStruct('QuotaOIndexData', 4, {
  ownerId: { offset: 0x00, type: 'u32' },
});
/** After $O data mkntfs and Windows write the u32 32 as padding, outside data_length (layout.h: "unknown"). */
export const QUOTA_O_DATA_PADDING = new Uint8Array([0x20, 0x00, 0x00, 0x00]);

export interface QuotaControl {
  readonly version: number;
  readonly flags: number;
  readonly bytesUsed: number;
  /** Unix seconds (FILETIME on disk) */
  readonly changeTimeUnix: number;
  readonly threshold: number;
  readonly limit: number;
  readonly exceededTime: number;
  /** absent on the defaults entry */
  readonly sid: Sid | null;
}

function int64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  writeIntN(bytes, 0, 8, value);
  return bytes;
}

function filetimeBytes(unixSeconds: number): Uint8Array {
  const bytes = new Uint8Array(8);
  writeU64Big(bytes, 0, unixToFiletime(unixSeconds));
  return bytes;
}

/** The $Q data: the fixed part, then the SID if any (SIDs are multiples of 4; mkntfs's 16-byte one needs no padding). */
export function encodeQuotaControl(value: QuotaControl): Uint8Array {
  const fixed = QUOTA_CONTROL_ENTRY.encode({
    version: value.version,
    flags: value.flags,
    bytesUsed: value.bytesUsed,
    changeTime: filetimeBytes(value.changeTimeUnix),
    threshold: int64(value.threshold),
    limit: int64(value.limit),
    exceededTime: int64(value.exceededTime),
  });
  if (!value.sid) return fixed;
  const out = new Uint8Array(fixed.length + sidSizeBytes(value.sid));
  out.set(fixed);
  out.set(encodeSid(value.sid), fixed.length);
  return out;
}

export function checkQuotaControl(raw: QuotaControlRaw): Finding[] {
  return expectEqual(QUOTA_CONTROL_ENTRY, raw, 'version', QUOTA_CONTROL_ENTRY_VERSION);
}

export function decodeQuotaControl(bytes: Uint8Array): QuotaControl {
  const raw = QUOTA_CONTROL_ENTRY.decode(bytes);
  throwFirst(checkQuotaControl(raw));
  const rest = bytes.subarray(QUOTA_CONTROL_ENTRY.sizeBytes);
  return {
    version: raw.version,
    flags: raw.flags,
    bytesUsed: raw.bytesUsed,
    changeTimeUnix: filetimeToUnix(readU64Big(raw.changeTime, 0)),
    threshold: readIntN(raw.threshold, 0, 8, true),
    limit: readIntN(raw.limit, 0, 8, true),
    exceededTime: readIntN(raw.exceededTime, 0, 8, true),
    sid: rest.length > 0 ? decodeSid(rest) : null,
  };
}

/**
 * $O and $Q entries exactly as mkntfs's initialize_quota writes them, in collation order: $Q has the defaults entry
 * (owner id 1, no SID) and owner id 0x100 for BUILTIN\Administrators, both "default limits", unlimited; $O maps
 * S-1-5-32-544 to owner id 0x100. `timestampUnix` becomes both change times (mkntfs -T writes 0, the Unix epoch).
 */
export function buildQuotaIndexes(timestampUnix: number): { readonly o: readonly IndexKeyData[]; readonly q: readonly IndexKeyData[] } {
  if (!Number.isFinite(timestampUnix) || timestampUnix < -11_644_473_600) {
    throw new GuestdiskError('INVALID_SPEC', `quota change time ${timestampUnix}: not a time FILETIME can hold`, { timestamp: timestampUnix });
  }
  const unlimited = {
    version: QUOTA_CONTROL_ENTRY_VERSION,
    flags: QUOTA_FLAG.DEFAULT_LIMITS,
    bytesUsed: 0,
    changeTimeUnix: timestampUnix,
    threshold: -1,
    limit: -1,
    exceededTime: 0,
  };
  const q: IndexKeyData[] = [
    { key: QUOTA_Q_INDEX_KEY.encode({ ownerId: QUOTA_DEFAULTS_ID }), data: encodeQuotaControl({ ...unlimited, sid: null }) },
    { key: QUOTA_Q_INDEX_KEY.encode({ ownerId: QUOTA_FIRST_USER_ID }), data: encodeQuotaControl({ ...unlimited, sid: SID_BUILTIN_ADMINISTRATORS }) },
  ];
  const o: IndexKeyData[] = [
    {
      key: encodeSid(SID_BUILTIN_ADMINISTRATORS),
      data: QUOTA_O_INDEX_DATA.encode({ ownerId: QUOTA_FIRST_USER_ID }),
      padding: QUOTA_O_DATA_PADDING.slice(),
    },
  ];
  return { o, q };
}
