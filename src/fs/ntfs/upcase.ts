// $UpCase (MFT record 10): the 65,536-entry UTF-16 upper-case table, its `$Info` stream, and the $I30 file-name
// collation that uses it. Sources: ntfs-3g libntfs-3g/unistr.c (ntfs_upcase_table_build, ntfs_names_full_collate),
// ntfsprogs/mkntfs.c (struct UPCASEINFO, crc64), libyal "NTFS" §"Case folding (upcase) table".
//
// The table is what mkntfs 2022.10.3 writes: Windows XP's case pairs plus the additions of Windows 6.0 (Vista) and
// 6.1 (Windows 7). It is generated here from case-mapping rules (ranges with a delta and a step), applied in order
// to the identity map; test/fs/ntfs/upcase.test.ts proves the result byte-identical to `ntfscat $UpCase` of a
// fresh mkntfs volume (sha256 in fixtures/ntfs-tables/README.md).
import { GuestdiskError, hex } from '../../errors.js';
import { defineStruct, expectEqual, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

/** Entries in the table (one per UTF-16 code unit). */
export const UPCASE_ENTRY_COUNT = 0x10000;
/** Size of the $UpCase $DATA stream in bytes. */
export const UPCASE_TABLE_SIZE_BYTES = UPCASE_ENTRY_COUNT * 2;

/**
 * One case-mapping rule: for unit = first, first+step, … ≤ last, upcase(unit) = (unit + delta) mod 2^16.
 * A delta of 0 restores the identity (later Windows versions dropped some mappings).
 */
type CaseRule = readonly [first: number, last: number, delta: number, step: number];

/** Contiguous lower-case blocks whose capitals sit at a fixed distance (Latin, Greek, Cyrillic, Armenian, …). */
const XP_BLOCKS: readonly CaseRule[] = [
  [0x0061, 0x007a, -0x20, 1], [0x00e0, 0x00f6, -0x20, 1], [0x00f8, 0x00fe, -0x20, 1],
  [0x0256, 0x0257, -0xcd, 1], [0x028a, 0x028b, -0xd9, 1], [0x03ac, 0x03ac, -0x26, 1],
  [0x03ad, 0x03af, -0x25, 1], [0x03b1, 0x03c1, -0x20, 1], [0x03c2, 0x03c2, -0x1f, 1],
  [0x03c3, 0x03cb, -0x20, 1], [0x03cc, 0x03cc, -0x40, 1], [0x03cd, 0x03ce, -0x3f, 1],
  [0x0430, 0x044f, -0x20, 1], [0x0451, 0x045c, -0x50, 1], [0x045e, 0x045f, -0x50, 1],
  [0x0561, 0x0586, -0x30, 1], [0x1f00, 0x1f07, 0x08, 1], [0x1f10, 0x1f15, 0x08, 1],
  [0x1f20, 0x1f27, 0x08, 1], [0x1f30, 0x1f37, 0x08, 1], [0x1f40, 0x1f45, 0x08, 1],
  [0x1f51, 0x1f51, 0x08, 1], [0x1f53, 0x1f53, 0x08, 1], [0x1f55, 0x1f55, 0x08, 1],
  [0x1f57, 0x1f57, 0x08, 1], [0x1f60, 0x1f67, 0x08, 1], [0x1f70, 0x1f71, 0x4a, 1],
  [0x1f72, 0x1f75, 0x56, 1], [0x1f76, 0x1f77, 0x64, 1], [0x1f78, 0x1f79, 0x80, 1],
  [0x1f7a, 0x1f7b, 0x70, 1], [0x1f7c, 0x1f7d, 0x7e, 1], [0x1fb0, 0x1fb1, 0x08, 1],
  [0x1fd0, 0x1fd1, 0x08, 1], [0x1fe0, 0x1fe1, 0x08, 1], [0x1fe5, 0x1fe5, 0x07, 1],
  [0x2170, 0x217f, -0x10, 1], [0x24d0, 0x24e9, -0x1a, 1], [0xff41, 0xff5a, -0x20, 1],
];

/** Alternating capital/small pairs (capital on the even unit): each odd unit in the range maps to the one before. */
const XP_PAIRS: readonly (readonly [firstCapital: number, lastSmall: number])[] = [
  [0x0100, 0x012f], [0x0132, 0x0137], [0x0139, 0x0149], [0x014a, 0x0178], [0x0179, 0x017e], [0x018b, 0x018b],
  [0x01a0, 0x01a6], [0x01b3, 0x01b7], [0x01cd, 0x01dd], [0x01de, 0x01ef], [0x01f4, 0x01f5], [0x01fa, 0x0218],
  [0x03e2, 0x03ef], [0x0460, 0x0481], [0x0490, 0x04bf], [0x04bf, 0x04bf], [0x04c1, 0x04c4], [0x04c7, 0x04c8],
  [0x04cb, 0x04cc], [0x04d0, 0x04eb], [0x04ee, 0x04f5], [0x04f8, 0x04f9], [0x1e00, 0x1e95], [0x1ea0, 0x1ef9],
];

/** Single small letters whose capital is not at a regular distance: [small, capital]. */
const XP_SINGLES: readonly (readonly [small: number, capital: number])[] = [
  [0x00ff, 0x0178], [0x0183, 0x0182], [0x0185, 0x0184], [0x0188, 0x0187], [0x018c, 0x018b], [0x0192, 0x0191],
  [0x0199, 0x0198], [0x01a8, 0x01a7], [0x01ad, 0x01ac], [0x01b0, 0x01af], [0x01b9, 0x01b8], [0x01bd, 0x01bc],
  [0x01c6, 0x01c4], [0x01c9, 0x01c7], [0x01cc, 0x01ca], [0x01dd, 0x018e], [0x01f3, 0x01f1], [0x0253, 0x0181],
  [0x0254, 0x0186], [0x0259, 0x018f], [0x025b, 0x0190], [0x0260, 0x0193], [0x0263, 0x0194], [0x0268, 0x0197],
  [0x0269, 0x0196], [0x026f, 0x019c], [0x0272, 0x019d], [0x0275, 0x019f], [0x0283, 0x01a9], [0x0288, 0x01ae],
  [0x0292, 0x01b7],
];

/** Mappings Windows 6.0 (Vista) added to the XP table. */
const VISTA_RULES: readonly CaseRule[] = [
  [0x037b, 0x037d, 0x82, 1], [0x1f80, 0x1f87, 0x08, 1], [0x1f90, 0x1f97, 0x08, 1], [0x1fa0, 0x1fa7, 0x08, 1],
  [0x2c30, 0x2c5e, -0x30, 1], [0x2d00, 0x2d25, -0x1c60, 1], [0x2c68, 0x2c6c, -1, 2], [0x0219, 0x021f, -1, 2],
  [0x0223, 0x0233, -1, 2], [0x0247, 0x024f, -1, 2], [0x03d9, 0x03e1, -1, 2], [0x048b, 0x048f, -1, 2],
  [0x04fb, 0x0513, -1, 2], [0x2c81, 0x2ce3, -1, 2], [0x03f8, 0x03fb, -1, 3], [0x04c6, 0x04ce, -1, 4],
  [0x023c, 0x0242, -1, 6], [0x04ed, 0x04f7, -1, 10], [0x0450, 0x045d, -0x50, 13], [0x2c61, 0x2c76, -1, 21],
  [0x1fcc, 0x1ffc, -9, 48], [0x0180, 0x0180, 0xc3, 1], [0x0195, 0x0195, 0x61, 1], [0x019a, 0x019a, 0xa3, 1],
  [0x019e, 0x019e, 0x82, 1], [0x01bf, 0x01bf, 0x38, 1], [0x01f9, 0x01f9, -1, 1], [0x023a, 0x023a, 0x2a2b, 1],
  [0x023e, 0x023e, 0x2a28, 1], [0x026b, 0x026b, 0x29f7, 1], [0x027d, 0x027d, 0x29e7, 1], [0x0280, 0x0280, -0xda, 1],
  [0x0289, 0x0289, -0x45, 1], [0x028c, 0x028c, -0x47, 1], [0x03f2, 0x03f2, 7, 1], [0x04cf, 0x04cf, -0x0f, 1],
  [0x1d7d, 0x1d7d, 0xee6, 1], [0x1fb3, 0x1fb3, 9, 1], [0x214e, 0x214e, -0x1c, 1], [0x2184, 0x2184, -1, 1],
];

/** Changes of Windows 6.1 (Windows 7), applied after Vista's: some new pairs, some mappings undone (delta 0). */
const WIN7_RULES: readonly CaseRule[] = [
  [0x023a, 0x023e, 0, 4], [0x0250, 0x0250, 0x2a1f, 2], [0x0251, 0x0251, 0x2a1c, 2], [0x0271, 0x0271, 0x29fd, 2],
  [0x0371, 0x0373, -1, 2], [0x0377, 0x0377, -1, 2], [0x03c2, 0x03c2, 0, 2], [0x03d7, 0x03d7, -8, 2],
  [0x0515, 0x0523, -1, 2], [0x1d79, 0x1d79, 0x8a04, 2], [0x1efb, 0x1eff, -1, 2], [0x1fc3, 0x1ff3, 9, 48],
  [0x1fcc, 0x1ffc, 0, 48], [0x2c65, 0x2c65, -0x2a2b, 2], [0x2c66, 0x2c66, -0x2a28, 2], [0x2c73, 0x2c73, -1, 2],
  [0xa641, 0xa65f, -1, 2], [0xa663, 0xa66d, -1, 2], [0xa681, 0xa697, -1, 2], [0xa723, 0xa72f, -1, 2],
  [0xa733, 0xa76f, -1, 2], [0xa77a, 0xa77c, -1, 2], [0xa77f, 0xa787, -1, 2], [0xa78c, 0xa78c, -1, 2],
];

/** Every rule in the order it is applied; a later rule overrides an earlier one for the same unit. */
function caseRules(): CaseRule[] {
  return [
    ...XP_BLOCKS,
    ...XP_PAIRS.map(([capital, lastSmall]): CaseRule => [capital + 1, lastSmall, -1, 2]),
    ...XP_SINGLES.map(([small, capital]): CaseRule => [small, small, capital - small, 1]),
    ...VISTA_RULES,
    ...WIN7_RULES,
  ];
}

/** The $UpCase $DATA stream (131,072 bytes, LE u16 per unit), as mkntfs writes it. */
export function buildUpcaseTable(): Uint8Array {
  const units = new Uint16Array(UPCASE_ENTRY_COUNT);
  for (let unit = 0; unit < UPCASE_ENTRY_COUNT; unit++) units[unit] = unit;
  for (const [first, last, delta, step] of caseRules()) {
    for (let unit = first; unit <= last; unit += step) units[unit] = (unit + delta) & 0xffff;
  }
  const table = new Uint8Array(UPCASE_TABLE_SIZE_BYTES);
  for (let unit = 0; unit < UPCASE_ENTRY_COUNT; unit++) {
    table[2 * unit] = units[unit] & 0xff;
    table[2 * unit + 1] = units[unit] >>> 8;
  }
  return table;
}

/** Upper case of one UTF-16 code unit according to `table` (an $UpCase stream); units past its end map to themselves. */
export function upcaseUnit(table: Uint8Array, unit: number): number {
  const at = 2 * unit;
  if (at + 1 >= table.length) return unit;
  return table[at] | (table[at + 1] << 8);
}

/**
 * $I30 order (COLLATION_FILE_NAME) as ntfs-3g's ntfs_names_full_collate(CASE_SENSITIVE): compare upper-cased units;
 * if one name is a prefix of the other (ignoring case) the shorter sorts first; names equal ignoring case are then
 * ordered by their raw units. Returns -1, 0 or 1.
 */
export function compareNtfsNames(table: Uint8Array, a: string, b: string): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const ua = upcaseUnit(table, a.charCodeAt(i));
    const ub = upcaseUnit(table, b.charCodeAt(i));
    if (ua !== ub) return ua < ub ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < common; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  return 0;
}

// ---- $UpCase:$Info ----------------------------------------------------------------------------------------------

/**
 * `$Info` stream of $UpCase (Windows 8 and later; mkntfs.c struct UPCASEINFO). chkdsk compares the CRC with the
 * table and warns about an "obsolete" table when it differs. mkntfs leaves the version fields 0.
 */
export const UPCASE_INFO = defineStruct('UpcaseInfo', 0x20, {
  len:       { offset: 0x00, type: 'u32' },           // size of this structure, 0x20
  filler:    { offset: 0x04, type: 'u32' },           // reserved, 0
  crc:       { offset: 0x08, type: 'bytes', length: 8 }, // CRC-64 of the table, little-endian
  osMajor:   { offset: 0x10, type: 'u32' },
  osMinor:   { offset: 0x14, type: 'u32' },
  build:     { offset: 0x18, type: 'u32' },
  packMajor: { offset: 0x1c, type: 'u16' },
  packMinor: { offset: 0x1e, type: 'u16' },
});
export type UpcaseInfo = StructValue<typeof UPCASE_INFO>;

/** Reflected polynomial of the $Info CRC-64 (mkntfs.c crc64: "ECMA-182"), initial value and final XOR all ones. */
const UPCASE_CRC64_POLY_HI = 0x9a6c9329;
const UPCASE_CRC64_POLY_LO = 0xac4bc9b5;

let crcTable: { hi: Uint32Array; lo: Uint32Array } | null = null;

function crc64Table(): { hi: Uint32Array; lo: Uint32Array } {
  if (crcTable) return crcTable;
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let h = 0;
    let l = i;
    for (let bit = 0; bit < 8; bit++) {
      const carry = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h >>>= 1;
      if (carry) {
        h = (h ^ UPCASE_CRC64_POLY_HI) >>> 0;
        l = (l ^ UPCASE_CRC64_POLY_LO) >>> 0;
      }
    }
    hi[i] = h;
    lo[i] = l;
  }
  crcTable = { hi, lo };
  return crcTable;
}

/** The CRC-64 mkntfs stores in $Info, as 8 little-endian bytes (the value does not fit a safe number). */
export function upcaseCrc64(bytes: Uint8Array): Uint8Array {
  const { hi: tHi, lo: tLo } = crc64Table();
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const index = (lo ^ bytes[i]) & 0xff;
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ tLo[index]) >>> 0;
    hi = ((hi >>> 8) ^ tHi[index]) >>> 0;
  }
  hi = ~hi >>> 0;
  lo = ~lo >>> 0;
  const out = new Uint8Array(8);
  for (let i = 0; i < 4; i++) {
    out[i] = (lo >>> (8 * i)) & 0xff;
    out[4 + i] = (hi >>> (8 * i)) & 0xff;
  }
  return out;
}

export function encodeUpcaseInfo(info: UpcaseInfo): Uint8Array {
  return UPCASE_INFO.encode(info);
}

/**
 * CRC-64 of the table buildUpcaseTable() makes (the one mkntfs and Windows write), as upcaseCrc64 gives it. The
 * table never changes, so neither does its CRC; a unit test recomputes it. Pinned because the 128 KiB loop runs
 * once per process, before the JIT has warmed up, and cost ~8 ms of a ~130 ms `create`.
 */
export const STANDARD_UPCASE_CRC64 = Uint8Array.of(0x0c, 0x69, 0x1b, 0x6b, 0x77, 0x7e, 0xdc, 0xda);

/**
 * The $UpCase:$Info stream exactly as mkntfs writes it: length, CRC-64 of the table, version fields 0.
 * `crc` may be passed when the caller knows it (STANDARD_UPCASE_CRC64 for the standard table).
 */
export function buildUpcaseInfo(upcaseTable: Uint8Array, crc: Uint8Array = upcaseCrc64(upcaseTable)): Uint8Array {
  if (upcaseTable.length !== UPCASE_TABLE_SIZE_BYTES) {
    throw new GuestdiskError('INVALID_SPEC', `$UpCase table: expected ${UPCASE_TABLE_SIZE_BYTES} bytes, got ${upcaseTable.length}`, {
      expected: UPCASE_TABLE_SIZE_BYTES,
      actual: upcaseTable.length,
    });
  }
  return encodeUpcaseInfo({
    len: UPCASE_INFO.sizeBytes,
    filler: 0,
    crc,
    osMajor: 0,
    osMinor: 0,
    build: 0,
    packMajor: 0,
    packMinor: 0,
  });
}

/** Findings for an $Info value; with the table, also whether its CRC matches (what chkdsk checks). */
export function checkUpcaseInfo(info: UpcaseInfo, upcaseTable?: Uint8Array): Finding[] {
  const findings = expectEqual(UPCASE_INFO, info, 'len', UPCASE_INFO.sizeBytes);
  if (upcaseTable) {
    const expected = upcaseCrc64(upcaseTable);
    if (expected.some((b, i) => b !== info.crc[i])) {
      const show = (b: Uint8Array): string => `0x${[...b].reverse().map((x) => hex(x, 2).slice(2)).join('')}`;
      findings.push({
        severity: 'error',
        code: 'UPCASE_INFO_CRC',
        structure: UPCASE_INFO.name,
        field: 'crc',
        offsetBytes: UPCASE_INFO.fields.crc.offset,
        expected: show(expected),
        actual: show(info.crc),
        message: `$UpCase:$Info CRC-64: expected ${show(expected)}, found ${show(info.crc)}`,
      });
    }
  }
  return findings;
}

export function decodeUpcaseInfo(bytes: Uint8Array, upcaseTable?: Uint8Array): UpcaseInfo {
  const info = UPCASE_INFO.decode(bytes);
  throwFirst(checkUpcaseInfo(info, upcaseTable));
  return info;
}
