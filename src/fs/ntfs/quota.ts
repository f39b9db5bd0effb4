// $Quota $O and $Q default entries (work in progress; signatures fixed for the formatter).
import { GuestdiskError } from '../../errors.js';
import type { IndexKeyData } from './secure.js';
export function buildQuotaIndexes(timestampUnix: number): { readonly o: readonly IndexKeyData[]; readonly q: readonly IndexKeyData[] } {
  void timestampUnix;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'buildQuotaIndexes: not yet');
}
