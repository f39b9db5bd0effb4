import { GuestdiskError } from '../../errors.js';
import type { FsPlanInput } from '../registry.js';

export interface Fat32Plan {
  readonly kind: 'fat32';
  /** Volume size in bytes (may be smaller than the partition). */
  readonly volumeSizeBytes: number;
}

export function planFat32(input: FsPlanInput): Fat32Plan {
  void input;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'fat32 is not implemented yet');
}
