// The filesystems planDisk and writeDisk know, behind one interface. Each filesystem is pure: `plan` decides
// geometry from the partition, `format` turns the plan into chunks relative to the partition's first byte.
import { GuestdiskError } from '../errors.js';
import type { FsChunks, FsPlanInput } from './fs-interface.js';
import { planNtfs, formatNtfs, type NtfsPlan } from './ntfs/index.js';
import { planExfat, formatExfat, type ExfatPlan } from './exfat/index.js';
import { planFat32, formatFat32, type Fat32Plan } from './fat32/index.js';

export type FsPlan = NtfsPlan | ExfatPlan | Fat32Plan;
export type FormattableFs = FsPlan['kind'];
export type { FsChunks, FsPlanInput };

export function planFilesystem(kind: FormattableFs, input: FsPlanInput): FsPlan {
  switch (kind) {
    case 'ntfs':
      return planNtfs(input);
    case 'exfat':
      return planExfat(input);
    case 'fat32':
      return planFat32(input);
    default: {
      const never: never = kind;
      throw new GuestdiskError('INVALID_SPEC', `unknown filesystem ${String(never)}`);
    }
  }
}

export function formatFilesystem(plan: FsPlan): FsChunks {
  switch (plan.kind) {
    case 'ntfs':
      return formatNtfs(plan);
    case 'exfat':
      return formatExfat(plan);
    case 'fat32':
      return formatFat32(plan);
    default: {
      const never: never = plan;
      throw new GuestdiskError('INVALID_SPEC', `unknown filesystem ${String((never as FsPlan).kind)}`);
    }
  }
}
