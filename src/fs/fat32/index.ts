// Fat32: public surface used by fs/registry.ts. Planning lives in plan.ts, chunk making in format.ts.
export { planFat32, type Fat32Plan } from './plan.js';
export { formatFat32 } from './format.js';
