// The progress line: only on a terminal, only after a second, throttled, with rate, position and ETA; cleared at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeProgress, type CliIo } from '../../src/cli/create.js';

function fakeIo(tty: boolean): { io: CliIo; lines: (string | null)[]; tick(ms: number): void } {
  let now = 1_000_000;
  const lines: (string | null)[] = [];
  const io: CliIo = {
    stdout: () => {},
    stderr: () => {},
    env: {},
    now: () => now,
    interrupted: () => null,
    progress: tty ? (line) => lines.push(line) : undefined,
  };
  return { io, lines, tick: (ms) => { now += ms; } };
}

const GiB = 2 ** 30;

test('no terminal, no progress', () => {
  assert.is(makeProgress(fakeIo(false).io, GiB), null);
});

test('silent for the first second, then throttled lines with rate, position and ETA; cleared at the end', () => {
  const { io, lines, tick } = fakeIo(true);
  const p = makeProgress(io, 4 * GiB)!;
  p.update({ kind: 'write', offsetBytes: 0, lengthBytes: 64 * 2 ** 20 });
  tick(500);
  p.update({ kind: 'zeros', offsetBytes: 64 * 2 ** 20, lengthBytes: 64 * 2 ** 20 });
  assert.equal(lines, [], 'nothing within the first second');
  tick(600); // 1.1 s in
  p.update({ kind: 'write', offsetBytes: GiB - 2 ** 20, lengthBytes: 2 ** 20 });
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /129 MiB sent/);
  assert.match(lines[0]!, /at 25\.0% of the disk/);
  assert.match(lines[0]!, /ETA \d+ s/);
  tick(50);
  p.update({ kind: 'write', offsetBytes: GiB, lengthBytes: 2 ** 20 });
  assert.is(lines.length, 1, 'throttled to one line per 200 ms');
  p.end();
  assert.is(lines.at(-1), null, 'the line is cleared when writing ends');
});

test('a run that finished within a second leaves no trace', () => {
  const { io, lines } = fakeIo(true);
  const p = makeProgress(io, GiB)!;
  p.update({ kind: 'write', offsetBytes: 0, lengthBytes: 512 });
  p.end();
  assert.equal(lines, []);
});

test.run();
