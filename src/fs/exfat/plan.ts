import { GuestdiskError } from '../../errors.js';
import type { FsPlanInput } from '../registry.js';

export interface ExfatPlan {
  readonly kind: 'exfat';
  /** Volume size in bytes (may be smaller than the partition). */
  readonly volumeSizeBytes: number;
}

export function planExfat(input: FsPlanInput): ExfatPlan {
  void input;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'exfat is not implemented yet');
}
