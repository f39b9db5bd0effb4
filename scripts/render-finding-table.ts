// Rewrites the finding-code table in docs/inspect.md from FINDING_CODES (between the finding-codes markers).
//   node --import tsx scripts/render-finding-table.ts [--check]
// --check only compares and exits 1 when the docs are stale (test/inspect/docs.test.ts does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderFindingTable } from '../src/inspect/finding-codes.js';

const DOC = new URL('../docs/inspect.md', import.meta.url);
const BEGIN = '<!-- finding-codes:begin -->\n';
const END = '<!-- finding-codes:end -->';

export function withFindingTable(doc: string): string {
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error('docs/inspect.md lacks the finding-codes markers');
  return `${doc.slice(0, from + BEGIN.length)}${renderFindingTable()}${doc.slice(to)}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const doc = readFileSync(DOC, 'utf8');
  const fresh = withFindingTable(doc);
  if (process.argv.includes('--check')) process.exit(fresh === doc ? 0 : 1);
  writeFileSync(DOC, fresh);
}
