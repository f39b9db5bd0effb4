// The Windows-made exFAT volumes in ../shared/corpus (see its README): loaded whole (≤ 32 MiB unpacked).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CORPUS_DIR } from '../../helpers/paths.js';

export { CORPUS_DIR };

export const EXFAT_CORPUS = {
  exfatWin: 'msuhanov-dfir_ntfs/exfat_win.raw.gz',
  exfatEncrypted: 'msuhanov-dfir_ntfs/exfat_encrypted.raw.gz',
  winExfat7: 'msuhanov-dfir_ntfs/win_exfat_7.raw.gz',
  dissect: 'dissect-fat/exfat.bin',
} as const;

/** A corpus volume's bytes; a missing file fails the test, naming where it should be. */
export function loadCorpusVolume(relative: string): Uint8Array {
  const path = join(CORPUS_DIR, relative);
  if (!existsSync(path)) throw new Error(`corpus file ${path} is missing: see shared/corpus/README.md for its source`);
  const raw = readFileSync(path);
  return new Uint8Array(relative.endsWith('.gz') ? gunzipSync(raw) : raw);
}
