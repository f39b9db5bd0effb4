// What Windows accepts as a file or directory name, on any of its filesystems: Microsoft, "Naming Files, Paths,
// and Namespaces" (Win32 file namespace rules). A name that breaks them could be stored by us, but Windows
// Explorer and most programs could not open, rename or delete it, so create --copy-from refuses it up front.
import { findLoneSurrogate } from '../binary/utf16.js';
import type { TreeDir, TreeProblem } from '../disk-types.js';
import { forEachNode } from './file-tree.js';

/** Characters the Win32 namespace reserves. */
export const WINDOWS_RESERVED_CHARACTERS = '<>:"/\\|?*';
/** Names of devices, reserved in every directory and with any extension ("NUL.txt" is NUL). Windows 10 and later
 *  also treat the superscript digits ¹ ² ³ as digits here. */
const RESERVED_DEVICE_NAMES = new Set([
  'CON', 'PRN', 'AUX', 'NUL', 'CONIN$', 'CONOUT$',
  ...['1', '2', '3', '4', '5', '6', '7', '8', '9', '\u00b9', '\u00b2', '\u00b3'].flatMap((d) => [`COM${d}`, `LPT${d}`]),
]);
/** Longest name component (UTF-16 code units) on NTFS, exFAT and FAT32 long names. */
export const WINDOWS_MAX_NAME_UNITS = 255;

/** Why Windows would refuse `name`, or null when it takes it. */
export function windowsNameProblem(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name === '.' || name === '..') return `${JSON.stringify(name)} is not a name`;
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    if (u < 0x20) return `control character U+${u.toString(16).padStart(4, '0')} is not allowed in a Windows name`;
    if (WINDOWS_RESERVED_CHARACTERS.includes(name[i])) return `character ${JSON.stringify(name[i])} is not allowed in a Windows name (reserved: ${WINDOWS_RESERVED_CHARACTERS})`;
  }
  if (name.endsWith('.') || name.endsWith(' ')) return 'Windows names cannot end in a dot or a space';
  const device = name.split('.')[0].replace(/ +$/, '').toUpperCase();
  if (RESERVED_DEVICE_NAMES.has(device)) return `${device} is a reserved device name on Windows (with any extension)`;
  if (name.length > WINDOWS_MAX_NAME_UNITS) return `name is ${name.length} UTF-16 units long; Windows allows ${WINDOWS_MAX_NAME_UNITS}`;
  const lone = findLoneSurrogate(name);
  if (lone >= 0) return `lone UTF-16 surrogate at index ${lone}: not a Unicode name`;
  return null;
}

/**
 * Every name Windows would refuse, and every group of names in one directory that differ only in case (Windows
 * looks names up case-insensitively: it would show one and hide the rest). `upcase` is the filesystem's own
 * up-case mapping of a name.
 */
export function findNameProblems(root: TreeDir, upcase: (name: string) => string): TreeProblem[] {
  const problems: TreeProblem[] = [];
  const check = (dir: TreeDir, path: string): void => {
    // A name alone under its key is stored as the string itself: a directory of 100,000 names makes no 100,000
    // one-element arrays.
    const byKey = new Map<string, string | string[]>();
    for (const node of dir.entries) {
      const why = windowsNameProblem(node.name);
      if (why) problems.push({ path: `${path}/${node.name}`, reason: why });
      const key = upcase(node.name);
      const same = byKey.get(key);
      if (same === undefined) byKey.set(key, node.name);
      else if (typeof same === 'string') byKey.set(key, [same, node.name]);
      else same.push(node.name);
    }
    for (const names of byKey.values()) {
      if (typeof names !== 'string') problems.push({ path: `${path}/${names[0]}`, reason: `names differ only in case (${names.map((n) => JSON.stringify(n)).join(', ')}): Windows would see one of them` });
    }
  };
  check(root, '');
  forEachNode(root, '', (node, path) => {
    if (node.kind === 'dir') check(node, path);
  });
  return problems;
}

/** `name` up-cased code unit by code unit through a filesystem's up-case table (65,536 entries). */
export function upcaseWith(map: Uint16Array, name: string): string {
  // Built as one array of code units, not by appending a character at a time (a chain of partial strings per name).
  const units = new Array<number>(name.length);
  let changed = false;
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    units[i] = map[u];
    if (units[i] !== u) changed = true;
  }
  return changed ? String.fromCharCode(...units) : name;
}
