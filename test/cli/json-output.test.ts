// create --json's output in pieces (src/cli/json-output.ts): the pieces joined are exactly JSON.stringify(value, null, 2)
// for any JSON value and the things JSON.stringify treats specially, and a large value really comes out in pieces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { jsonPieces, writeJson } from '../../src/cli/json-output.js';
import type { CliIo } from '../../src/cli/io.js';

const joined = (value: unknown, pieceChars = 64): string => [...jsonPieces(value, pieceChars)].join('');

test('property: the pieces of any JSON value join to JSON.stringify(value, null, 2)', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 200 }), (value, pieceChars) => {
    assert.is(joined(value, pieceChars), JSON.stringify(value, null, 2));
  }), { numRuns: 500 });
});

test('undefined, functions and toJSON are treated as JSON.stringify treats them', () => {
  const values: unknown[] = [
    { a: undefined, b: () => 1, c: [undefined, () => 1, Symbol('s')], d: { toJSON: (k: string) => `key ${k}` } },
    [{ toJSON: () => ({ nested: [1, { x: 2 }] }) }, new Date(0), { e: {} }, []],
    { error: new (class extends Error { toJSON() { return { code: 'X', details: { n: [1, 2] } }; } })('m') },
    { deep: { deeper: { deepest: [[[1, 'two', null, true]]] } }, empty: {}, list: [] },
    'top-level string', 42, null, [],
  ];
  for (const v of values) assert.is(joined(v, 1), JSON.stringify(v, null, 2));
});

test('writeJson: a large value leaves in many pieces, each awaited, that make the whole text and a newline', async () => {
  const files = Array.from({ length: 20_000 }, (_, i) => ({ kind: 'file', name: `f${i}.dat`, sizeBytes: i, dir: '/d', dataRanges: i % 100 === 0 ? [{ offsetBytes: 0, lengthBytes: 65536 }] : undefined }));
  const value = { layout: { filesystem: { files: { root: { kind: 'dir', name: '', entries: files } } } } };
  const pieces: string[] = [];
  let inFlight = 0;
  const io = {
    stdout: () => assert.unreachable('the whole text was made at once'),
    stdoutText: async (t: string) => {
      assert.is(inFlight, 0, 'one piece at a time');
      inFlight++;
      await new Promise((resolve) => setImmediate(resolve));
      pieces.push(t);
      inFlight--;
    },
  } as unknown as CliIo;
  await writeJson(io, value);
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  assert.ok(Math.max(...pieces.map((p) => p.length)) < 128 * 1024, 'no piece much larger than the piece size');
  assert.is(pieces.join(''), `${JSON.stringify(value, null, 2)}\n`);
});

test.run();
