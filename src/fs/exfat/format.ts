import type { FsChunks } from '../registry.js';
import type { ExfatPlan } from './plan.js';

export function formatExfat(plan: ExfatPlan): FsChunks {
  void plan;
  return { body: () => [], bootBackup: () => [], boot: () => [] };
}
