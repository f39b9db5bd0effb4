// --json output of any size, written in pieces. A Layout that carries a copied tree of 100,000 files is some 40 MB
// of JSON: made as one string, then as its UTF-8 bytes on the way to stdout, it held three times that at the very
// end of a run (the string, the stringifier's parts, the bytes) on top of the tree itself. Here the text is made a
// piece at a time, each awaited until stdout has taken it (process-io.ts encodes each into one reused buffer), so
// the output costs a few hundred KiB whatever its size. The text is exactly JSON.stringify(value, null, 2).
import type { CliIo } from './io.js';

/** Text gathered before it is handed to stdout. */
const PIECE_CHARS = 64 * 1024;
const INDENT = '  ';

/** Writes `value` as JSON.stringify(value, null, 2) and a newline; as one string when the io has no way to take
 *  text in pieces. */
export async function writeJson(io: CliIo, value: unknown): Promise<void> {
  if (!io.stdoutText) {
    io.stdout(JSON.stringify(value, null, 2));
    return;
  }
  for (const piece of jsonPieces(value, PIECE_CHARS)) await io.stdoutText(piece);
  await io.stdoutText('\n');
}

/** JSON.stringify(value, null, 2) in pieces of about `pieceChars` characters (a piece may be longer: one value's
 *  text is never split). */
export function* jsonPieces(value: unknown, pieceChars: number): Generator<string> {
  const parts: string[] = [];
  let size = 0;
  for (const part of jsonParts(prepare(value, ''), '')) {
    parts.push(part);
    size += part.length;
    if (size >= pieceChars) {
      yield parts.join('');
      parts.length = 0;
      size = 0;
    }
  }
  if (size > 0) yield parts.join('');
}

/** `value`'s text at `indent`, in parts. `value` has been through toJSON already (prepare). */
function* jsonParts(value: unknown, indent: string): Generator<string> {
  if (value === null || typeof value !== 'object') {
    yield JSON.stringify(value) ?? 'null';
    return;
  }
  if (isFlat(value)) {
    // An object or array of plain values (a file of the tree, a step): one call, then its lines moved to `indent`.
    const text = JSON.stringify(value, null, 2);
    yield indent === '' ? text : text.replace(/\n/g, `\n${indent}`);
    return;
  }
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      yield* jsonParts(prepare(value[i], String(i)), inner);
    }
    yield `\n${indent}]`;
    return;
  }
  let first = true;
  for (const k of Object.keys(value)) {
    const v = prepare((value as Record<string, unknown>)[k], k);
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // left out, as JSON.stringify does
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(k)}: `;
    first = false;
    yield* jsonParts(v, inner);
  }
  yield first ? '{}' : `\n${indent}}`;
}

/** What JSON.stringify writes for `value` under `key`: its toJSON(key) when it has one. */
function prepare(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

/** An object or array whose own values are all plain (no object, array or toJSON inside): one JSON.stringify. */
function isFlat(value: object): boolean {
  const values: unknown[] = Array.isArray(value) ? value : Object.values(value);
  for (const v of values) if (v !== null && typeof v === 'object') return false;
  return true;
}
