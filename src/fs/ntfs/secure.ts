// $Secure: $SDS stream and $SII/$SDH index entries (work in progress; signatures fixed for the formatter).
import { GuestdiskError } from '../../errors.js';
export interface IndexKeyData { readonly key: Uint8Array; readonly data: Uint8Array }
export interface SecureContent {
  /** whole $SDS stream incl. the mirror copy 256 KiB later, laid out as mkntfs does */
  readonly sds: Uint8Array;
  /** the $SDS data_size */
  readonly sdsDataSizeBytes: number;
  /** in collation order: $SII by security id (NTOFS_ULONG) */
  readonly siiEntries: readonly IndexKeyData[];
  /** in collation order: $SDH by hash then id (NTOFS_SECURITY_HASH) */
  readonly sdhEntries: readonly IndexKeyData[];
}
const notYet = (what: string): never => { throw new GuestdiskError('NOT_IMPLEMENTED', `${what}: not yet`); };
export function buildSecure(): SecureContent { return notYet('buildSecure'); }
export function securityIdForRecord(mftRecordNumber: number): number { void mftRecordNumber; return notYet('securityIdForRecord'); }
export function securityDescriptorAttributeFor(mftRecordNumber: number): Uint8Array | null { void mftRecordNumber; return notYet('securityDescriptorAttributeFor'); }
