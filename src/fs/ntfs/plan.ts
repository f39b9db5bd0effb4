import { GuestdiskError } from '../../errors.js';
import type { FsPlanInput } from '../registry.js';

export interface NtfsPlan {
  readonly kind: 'ntfs';
  /** Volume size in bytes (may be smaller than the partition). */
  readonly volumeSizeBytes: number;
}

export function planNtfs(input: FsPlanInput): NtfsPlan {
  void input;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'ntfs is not implemented yet');
}
