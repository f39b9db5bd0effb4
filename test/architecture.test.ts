// STYLE.md §1 "Who may do I/O": pure layers import no I/O, no clock, no randomness.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

const SRC = join(REPO_ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const all = files(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));
const layer = (p: string) => p.split('/')[0];
const importsOf = (text: string) => [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
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

test.run();
