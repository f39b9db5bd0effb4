// Ntfs: public surface used by fs/registry.ts. Planning lives in plan.ts, chunk making in format.ts.
export { planNtfs, validateNtfsLabel, defaultNtfsClusterSize, type NtfsPlan } from './plan.js';
export { formatNtfs } from './format.js';
export { ntfsUsedClusters } from './system-files.js';
