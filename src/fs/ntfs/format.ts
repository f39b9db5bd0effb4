import type { FsChunks } from '../registry.js';
import type { NtfsPlan } from './plan.js';

export function formatNtfs(plan: NtfsPlan): FsChunks {
  void plan;
  return { body: () => [], bootBackup: () => [], boot: () => [] };
}
