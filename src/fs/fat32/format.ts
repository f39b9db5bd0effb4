import type { FsChunks } from '../registry.js';
import type { Fat32Plan } from './plan.js';

export function formatFat32(plan: Fat32Plan): FsChunks {
  void plan;
  return { body: () => [], bootBackup: () => [], boot: () => [] };
}
