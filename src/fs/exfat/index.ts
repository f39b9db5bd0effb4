// Exfat: public surface used by fs/registry.ts. Planning lives in plan.ts, chunk making in format.ts.
export { planExfat, type ExfatPlan } from './plan.js';
export { formatExfat } from './format.js';
