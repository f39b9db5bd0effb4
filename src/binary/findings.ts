// Findings: what a check over a field table reports. Decoders throw the first error (throwFirst); inspect and
// verify collect them all. fields.ts re-exports this module.
import { GuestdiskError, hex } from '../errors.js';
import type { Fields, Struct, StructValueOf } from './field-types.js';

export type Severity = 'error' | 'warning' | 'info';

/** One thing a check found: decoders throw the first error, `verify` reports them all. */
export interface Finding {
  readonly severity: Severity;
  /** Stable, upper snake case (`GPT_HEADER_CRC`), for scripts to match on. */
  readonly code: string;
  readonly structure: string;
  readonly field?: string;
  readonly offsetBytes?: number;
  readonly expected?: string;
  readonly actual?: string;
  readonly message: string;
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function fieldCode(struct: { name: string }, field: string): string {
  return `${snake(struct.name)}_${snake(field)}`;
}

function show(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? `${value} (${hex(value, 2)})` : String(value);
  return JSON.stringify(value);
}

export function expectOneOf<T extends Fields, K extends keyof T & string>(
  struct: Struct<T>,
  value: StructValueOf<T>,
  field: K,
  allowed: readonly StructValueOf<T>[K][],
  code?: string,
): Finding[] {
  const actual = value[field];
  if (allowed.some((a) => a === actual)) return [];
  return [
    {
      severity: 'error',
      code: code ?? fieldCode(struct, field), // named only on failure: decoders run this check per record
      structure: struct.name,
      field,
      offsetBytes: struct.fields[field].offset,
      expected: allowed.map(show).join(' or '),
      actual: show(actual),
      message: `${struct.name}.${field}: expected ${allowed.map(show).join(' or ')}, found ${show(actual)}`,
    },
  ];
}

export function expectEqual<T extends Fields, K extends keyof T & string>(
  struct: Struct<T>,
  value: StructValueOf<T>,
  field: K,
  expected: StructValueOf<T>[K],
  code?: string,
): Finding[] {
  return value[field] === expected ? [] : expectOneOf(struct, value, field, [expected], code);
}

export function finding(partial: Omit<Finding, 'severity'> & { severity?: Severity }): Finding {
  return { severity: 'error', ...partial };
}

/** Throws the first error finding as CORRUPT_STRUCTURE; warnings and info pass. */
export function throwFirst(findings: readonly Finding[]): void {
  const first = findings.find((f) => f.severity === 'error');
  if (!first) return;
  const details: Record<string, string | number> = { code: first.code, structure: first.structure };
  if (first.field !== undefined) details.field = first.field;
  if (first.offsetBytes !== undefined) details.offsetBytes = first.offsetBytes;
  if (first.expected !== undefined) details.expected = first.expected;
  if (first.actual !== undefined) details.actual = first.actual;
  throw new GuestdiskError('CORRUPT_STRUCTURE', first.message, details);
}
