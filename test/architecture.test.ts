// STYLE.md §1: which layer may import which, no import cycles, and pure layers do no I/O, read no clock, draw no
// random numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

const SRC = join(REPO_ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|cjs|mjs)$/.test(p) ? [p] : [];
  });
}

const all = files(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));
const layer = (p: string) => p.split('/')[0];
// Every way a module names another: static imports and re-exports (type-only ones too), import(), require().
const importsOf = (text: string) =>
  [...text.matchAll(/(?:import|export)[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
const resolveLayer = (from: string, spec: string): string | null => {
  if (!spec.startsWith('.')) return null;
  const parts = join(from, '..', spec).split('/');
  return parts[0] === '..' ? null : parts[0].replace(/\.js$/, '');
};

const PURE = new Set(['plan', 'binary', 'partition', 'fs', 'errors.ts']);

test('pure layers (plan, binary, partition, fs) do no I/O and import no I/O layer', () => {
  const problems: string[] = [];
  for (const f of all.filter((f) => PURE.has(layer(f.path)))) {
    for (const spec of importsOf(f.text)) {
      if (/^node:(fs|child_process|net|http|os|process)/.test(spec) || spec === 'fs' || spec === 'child_process' || spec === 'ioctl') problems.push(`${f.path} imports ${spec}`);
      const l = resolveLayer(f.path, spec);
      if (l && ['target', 'write', 'host', 'cli', 'inspect', 'source'].includes(l)) problems.push(`${f.path} imports ${spec}`);
    }
    const code = f.text.replace(/\/\/.*$/gm, '');
    if (/Date\.now\(|new Date\(\)|Math\.random\(|crypto\.random|randomBytes|randomUUID|\bv4\(/.test(code)) problems.push(`${f.path} reads the clock or a random source`);
    if (/\bprocess\./.test(code)) problems.push(`${f.path} touches process`);
    if (/\bBuffer\b/.test(code)) problems.push(`${f.path} uses Buffer`);
  }
  assert.equal(problems, []);
});

test('only target/ and source/ import node:fs (besides cli/ for its own files); only host/ spawns', () => {
  const problems: string[] = [];
  for (const f of all) {
    for (const spec of importsOf(f.text)) {
      if ((spec === 'node:fs' || spec === 'node:fs/promises' || spec === 'ioctl') && !['target', 'source', 'cli'].includes(layer(f.path))) problems.push(`${f.path} imports ${spec}`);
      if (spec === 'node:child_process' && layer(f.path) !== 'host') problems.push(`${f.path} imports ${spec}`);
    }
  }
  assert.equal(problems, []);
});

test('only cli/ touches process, stdout and the clock', () => {
  const problems = all
    .filter((f) => !['cli'].includes(layer(f.path)))
    .filter((f) => /\bprocess\.(stdout|stderr|exit|argv|on)\b|console\.(log|error)/.test(f.text.replace(/\/\/.*$/gm, '')))
    .map((f) => f.path);
  assert.equal(problems, []);
});

test('only crc32.ts imports crc-32; LITTLE_ENDIAN lives only in fields.ts', () => {
  assert.equal(all.filter((f) => importsOf(f.text).includes('crc-32')).map((f) => f.path), ['binary/crc32.ts']);
  assert.equal(all.filter((f) => /LITTLE_ENDIAN\s*=/.test(f.text)).map((f) => f.path), ['binary/fields.ts']);
});

/** Which layer may import which (a layer is a folder of src/, or a top-level file). Everything else is refused, and a
 *  new folder must be added here: the table is the architecture, so it changes only on purpose. */
const LEAVES = ['errors.ts', 'disk-types.ts'];
const ALLOWED: Record<string, readonly string[]> = {
  'errors.ts': [],
  'disk-types.ts': [],
  binary: ['errors.ts'],
  partition: ['binary', ...LEAVES],
  fs: ['binary', ...LEAVES],
  plan: ['fs', 'partition', 'binary', ...LEAVES],
  target: ['binary', ...LEAVES],
  source: ['binary', ...LEAVES],
  host: ['binary', ...LEAVES],
  write: ['plan', 'fs', 'partition', 'target', 'binary', ...LEAVES],
  inspect: ['fs', 'partition', 'target', 'binary', ...LEAVES],
  read: ['fs', 'partition', 'target', 'inspect', 'binary', ...LEAVES],
  create: ['plan', 'write', 'inspect', 'target', 'host', 'source', 'fs', 'partition', 'binary', ...LEAVES],
  grow: ['plan', 'write', 'inspect', 'read', 'target', 'host', 'fs', 'partition', 'binary', ...LEAVES],
  cli: ['create', 'grow', 'read', 'plan', 'write', 'inspect', 'target', 'host', 'source', 'fs', 'partition', 'binary', ...LEAVES],
  'index.ts': ['create', 'grow', 'read', 'plan', 'write', 'inspect', 'target', 'host', 'source', 'fs', 'partition', 'binary', ...LEAVES],
};

/** Relative imports of each file, resolved to paths under src/ (`.js` specifiers name the `.ts` source). */
function localImports(file: { path: string; text: string }): string[] {
  return importsOf(file.text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => join(file.path, '..', spec).replace(/\.js$/, '.ts'))
    .filter((p) => all.some((f) => f.path === p));
}

test('every import crosses layers only along an allowed edge', () => {
  const problems: string[] = [];
  for (const f of all) {
    const from = layer(f.path);
    const allowed = ALLOWED[from];
    if (!allowed) {
      problems.push(`${f.path}: layer "${from}" is not in the architecture table`);
      continue;
    }
    for (const to of localImports(f).map(layer)) {
      if (to !== from && !allowed.includes(to)) problems.push(`${f.path} imports from ${to}/ (${from}/ may import ${allowed.join(', ') || 'nothing'})`);
    }
  }
  assert.equal(problems, []);
});

test('no import cycles between files (type-only imports count too)', () => {
  const graph = new Map(all.map((f) => [f.path, localImports(f)] as const));
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  assert.equal(cycles, []);
});

test('the cycle check sees a cycle when there is one', () => {
  // Guards the check itself: a scanner that matched nothing would pass every tree.
  const sample = { path: 'plan/x.ts', text: "import type { A } from './y.js';\nexport { B } from '../fs/z.js';\nconst c = require('./w.cjs');" };
  assert.equal(importsOf(sample.text), ['./y.js', '../fs/z.js', './w.cjs']);
  assert.ok(all.length > 50 && all.every((f) => localImports(f).length > 0 || !/from '\./.test(f.text)));
});

test.run();
