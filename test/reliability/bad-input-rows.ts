// The bad-input table (docs/reliability.md, "Bad input"): every row is run by bad-input-cli.test.ts, and the
// doc's table is checked against these rows, so the two cannot drift.
import type { ErrorCode } from '../../src/errors.js';

export interface CliRow {
  /** First column of the doc's table. */
  readonly id: string;
  /** What is wrong, in words (the doc's second column). */
  readonly input: string;
  /** argv after `guestdisk`; {new} is a path that does not exist, {existing} a 64 MiB guestdisk image (NTFS),
   *  {blank} a 64 MiB file of zeros, {empty} a 0-byte file, {dir} the test's directory. */
  readonly argv: readonly string[];
  /** null: a usage error from the option parser (no JSON error object). */
  readonly code: ErrorCode | null;
  readonly exit: number;
  /** A piece of the message, as a regular expression. */
  readonly message: RegExp;
  /** Environment variables for this row (added to the test's own). */
  readonly env?: Readonly<Record<string, string>>;
}

const BAD_SURROGATE_UTF8 = '\xed\xa0\x80'; // CESU-8 of U+D800: not UTF-8; Node reads it as U+FFFD U+FFFD U+FFFD

export const CLI_ROWS: readonly CliRow[] = [
  // sizes
  { id: 'size-zero', input: '`--size 0`', argv: ['create', '{new}', '--size', '0'], code: 'INVALID_SPEC', exit: 2, message: /must be positive/ },
  { id: 'size-negative', input: '`--size -5M`', argv: ['create', '{new}', '--size=-5M'], code: 'INVALID_SPEC', exit: 2, message: /cannot read "-5M" as a size/ },
  { id: 'size-unit', input: 'unknown unit `--size 64MX`', argv: ['create', '{new}', '--size', '64MX'], code: 'INVALID_SPEC', exit: 2, message: /unknown unit "MX"/ },
  { id: 'size-fraction', input: 'not whole bytes `--size 1.0000001K`', argv: ['create', '{new}', '--size', '1.0000001K'], code: 'INVALID_SPEC', exit: 2, message: /not a whole number of bytes/ },
  { id: 'size-not-sector', input: 'not a multiple of the sector (`--size 1000000`)', argv: ['create', '{new}', '--size', '1000000'], code: 'INVALID_SPEC', exit: 2, message: /not a multiple of the 512-byte sector/ },
  { id: 'size-not-sector-4k', input: 'not a multiple of a 4096-byte sector (`--size 67109376 --sector-size 4096`)', argv: ['create', '{new}', '--size', '67109376', '--sector-size', '4096'], code: 'INVALID_SPEC', exit: 2, message: /not a multiple of the 4096-byte sector/ },
  { id: 'size-unsafe', input: 'beyond 2^53 − 1 bytes (`--size 8P`): refused, not rounded', argv: ['create', '{new}', '--size', '8P', '--fs', 'none'], code: 'INVALID_SPEC', exit: 2, message: /beyond 9007199254740991 bytes/ },
  { id: 'size-inexact', input: 'a decimal that is not whole bytes (`--size 1.00000000000000001T`): refused, not rounded', argv: ['create', '{new}', '--size', '1.00000000000000001T'], code: 'INVALID_SPEC', exit: 2, message: /not a whole number of bytes/ },
  { id: 'size-digits', input: 'a 31-digit size', argv: ['create', '{new}', '--size', `1${'0'.repeat(30)}`], code: 'INVALID_SPEC', exit: 2, message: /beyond 9007199254740991 bytes/ },
  { id: 'size-below-table', input: 'smaller than a GPT and a 1 MiB partition (`--size 1M`)', argv: ['create', '{new}', '--size', '1M'], code: 'TARGET_TOO_SMALL', exit: 3, message: /too small for a 1 MiB-aligned GPT partition/ },
  { id: 'size-below-fat32', input: 'smaller than FAT32 allows (`--size 20M --fs fat32`)', argv: ['create', '{new}', '--size', '20M', '--fs', 'fat32'], code: 'TARGET_TOO_SMALL', exit: 3, message: /FAT32 needs at least 65525 clusters/ },
  { id: 'size-below-fat32-4k', input: 'smaller than FAT32 allows with 4096-byte sectors (`--size 200M`)', argv: ['create', '{new}', '--size', '200M', '--fs', 'fat32', '--sector-size', '4096'], code: 'TARGET_TOO_SMALL', exit: 3, message: /FAT32 needs at least 65525 clusters/ },
  { id: 'size-beyond-mbr', input: 'larger than MBR can address (`--size 3T --table mbr`)', argv: ['create', '{new}', '--size', '3T', '--table', 'mbr', '--fs', 'none'], code: 'INVALID_SPEC', exit: 2, message: /use --table gpt/ },
  { id: 'size-beyond-mbr-4k', input: 'larger than MBR can address with 4096-byte sectors (`--size 17T`)', argv: ['create', '{new}', '--size', '17T', '--table', 'mbr', '--sector-size', '4096', '--fs', 'none'], code: 'INVALID_SPEC', exit: 2, message: /use --table gpt/ },
  { id: 'size-beyond-fat32', input: 'larger than FAT32 can address (`--size 3T --fs fat32`)', argv: ['create', '{new}', '--size', '3T', '--fs', 'fat32'], code: 'UNSUPPORTED_GEOMETRY', exit: 6, message: /BPB_TotSec32 holds at most/ },
  { id: 'size-shrink', input: '`--size` smaller than the existing image', argv: ['create', '{existing}', '--force', '--size', '32M'], code: 'INVALID_SPEC', exit: 2, message: /never shrinks a file/ },
  { id: 'size-missing', input: 'a new image without `--size`', argv: ['create', '{new}'], code: 'INVALID_SPEC', exit: 2, message: /does not exist: give --size/ },
  // sector and cluster sizes
  { id: 'sector-1024', input: '`--sector-size 1024`', argv: ['create', '{new}', '--size', '64M', '--sector-size', '1024'], code: 'INVALID_SPEC', exit: 2, message: /Allowed choices are 512, 4096/ },
  { id: 'cluster-exfat-3000', input: 'exFAT cluster not a power of two', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'exfat', '--cluster-size', '3000'], code: 'INVALID_SPEC', exit: 2, message: /exFAT cluster size 3000/ },
  { id: 'cluster-fat32-64k', input: 'FAT32 cluster of 64 KiB', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--cluster-size', '64K'], code: 'INVALID_SPEC', exit: 2, message: /FAT32 cluster size 65536 is not valid/ },
  { id: 'cluster-ntfs-4m', input: 'NTFS cluster above 2 MiB', argv: ['create', '{existing}', '--force', '--size', '64M', '--cluster-size', '4M'], code: 'INVALID_SPEC', exit: 2, message: /NTFS cluster size 4194304/ },
  { id: 'cluster-below-sector', input: 'NTFS cluster smaller than a 4096-byte sector', argv: ['create', '{new}', '--size', '64M', '--sector-size', '4096', '--cluster-size', '512'], code: 'INVALID_SPEC', exit: 2, message: /NTFS cluster size 512/ },
  { id: 'cluster-zero', input: '`--cluster-size 0`', argv: ['create', '{new}', '--size', '64M', '--cluster-size', '0'], code: 'INVALID_SPEC', exit: 2, message: /cluster size: must be positive/ },
  { id: 'cluster-no-fs', input: '`--cluster-size` with `--fs none`', argv: ['create', '{new}', '--size', '64M', '--fs', 'none', '--cluster-size', '4K'], code: 'INVALID_SPEC', exit: 2, message: /need a filesystem/ },
  // labels
  { id: 'label-fat32-long', input: 'FAT32 label of 12 characters', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--label', 'ABCDEFGHIJKL'], code: 'INVALID_SPEC', exit: 2, message: /longer than 11 characters/ },
  { id: 'label-fat32-char', input: 'FAT32 label with `*`', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--label', 'A*B'], code: 'INVALID_SPEC', exit: 2, message: /"\*" is not allowed/ },
  { id: 'label-fat32-non-ascii', input: 'FAT32 label with `é`', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--label', 'é'], code: 'INVALID_SPEC', exit: 2, message: /only ASCII/ },
  { id: 'label-fat32-bad-utf8', input: 'FAT32 label whose argv bytes are not UTF-8 (a CESU-8 lone surrogate)', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--label', BAD_SURROGATE_UTF8], code: 'INVALID_SPEC', exit: 2, message: /FAT32 label/ },
  { id: 'label-ntfs-long', input: 'NTFS label of 33 UTF-16 units', argv: ['create', '{existing}', '--force', '--size', '64M', '--label', 'x'.repeat(33)], code: 'INVALID_SPEC', exit: 2, message: /33 UTF-16 units, at most 32/ },
  { id: 'label-ntfs-char', input: 'NTFS label with `/`', argv: ['create', '{existing}', '--force', '--size', '64M', '--label', 'a/b'], code: 'INVALID_SPEC', exit: 2, message: /contains "\/"/ },
  { id: 'label-ntfs-control', input: 'NTFS label with U+0001', argv: ['create', '{existing}', '--force', '--size', '64M', '--label', 'a\u0001b'], code: 'INVALID_SPEC', exit: 2, message: /NTFS label/ },
  { id: 'label-exfat-long', input: 'exFAT label of 12 UTF-16 units', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'exfat', '--label', 'x'.repeat(12)], code: 'INVALID_SPEC', exit: 2, message: /at most 11/ },
  { id: 'label-exfat-char', input: 'exFAT label with `"`', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'exfat', '--label', 'a"b'], code: 'INVALID_SPEC', exit: 2, message: /may not contain U\+0022/ },
  { id: 'label-fat32-del', input: 'FAT32 label with DEL (U+007F): escaped in the message', argv: ['create', '{new}', '--size', '64M', '--fs', 'fat32', '--label', 'a\u007fb'], code: 'INVALID_SPEC', exit: 2, message: /FAT32 label "a\\u007fb"/ },
  { id: 'label-ntfs-del', input: 'NTFS label with DEL (U+007F): escaped in the message', argv: ['create', '{new}', '--size', '64M', '--label', 'a\u007fb'], code: 'INVALID_SPEC', exit: 2, message: /NTFS label contains "\\u007f" at index 1/ },
  { id: 'label-no-fs', input: '`--label` with `--fs none`', argv: ['create', '{new}', '--size', '64M', '--fs', 'none', '--label', 'x'], code: 'INVALID_SPEC', exit: 2, message: /need a filesystem/ },
  { id: 'partition-name-long', input: 'GPT partition name of 37 units', argv: ['create', '{new}', '--size', '64M', '--partition-name', 'y'.repeat(37)], code: 'INVALID_SPEC', exit: 2, message: /GPT holds 36/ },
  { id: 'partition-name-mbr', input: '`--partition-name` with `--table mbr` (an MBR has no names)', argv: ['create', '{new}', '--size', '64M', '--table', 'mbr', '--partition-name', 'x'], code: 'INVALID_SPEC', exit: 2, message: /names a GPT partition/ },
  // options
  { id: 'target-dev-alone', input: '`--target-dev` without `--attach`', argv: ['create', '{new}', '--size', '64M', '--target-dev', 'vdc'], code: 'INVALID_SPEC', exit: 2, message: /--target-dev only applies with --attach/ },
  { id: 'persistent-alone', input: '`--persistent` without `--attach`', argv: ['create', '{new}', '--size', '64M', '--persistent'], code: 'INVALID_SPEC', exit: 2, message: /--persistent only applies with --attach/ },
  { id: 'bus-cache-alone', input: '`--bus`, `--cache` without `--attach`', argv: ['create', '{new}', '--size', '64M', '--bus', 'sata', '--cache', 'none'], code: 'INVALID_SPEC', exit: 2, message: /--bus, --cache only apply with --attach/ },
  { id: 'print-xml-alone', input: '`--print-xml` without `--attach`', argv: ['create', '{new}', '--size', '64M', '--print-xml'], code: 'INVALID_SPEC', exit: 2, message: /--print-xml only applies with --attach/ },
  { id: 'attach-no-virsh', input: '`--attach` with no `virsh` on PATH: refused before writing', argv: ['create', '{new}', '--size', '64M', '--attach', 'win'], env: { PATH: '/nonexistent' }, code: 'HOST_COMMAND_FAILED', exit: 10, message: /needs virsh .* not on PATH; nothing was written/ },
  { id: 'option-unknown', input: 'unknown option `--bogus`', argv: ['create', '{new}', '--size', '64M', '--bogus'], code: 'INVALID_SPEC', exit: 2, message: /unknown option '--bogus'/ },
  { id: 'option-table', input: '`--table foo`', argv: ['create', '{new}', '--size', '64M', '--table', 'foo'], code: 'INVALID_SPEC', exit: 2, message: /Allowed choices are gpt, mbr/ },
  { id: 'option-fs', input: '`--fs ext4`', argv: ['create', '{new}', '--size', '64M', '--fs', 'ext4'], code: 'INVALID_SPEC', exit: 2, message: /Allowed choices are ntfs, exfat, fat32, none/ },
  { id: 'command-unknown', input: 'unknown command', argv: ['frobnicate', '{new}'], code: null, exit: 2, message: /unknown command/ },
  { id: 'target-missing', input: 'no TARGET', argv: ['create', '--size', '64M'], code: 'INVALID_SPEC', exit: 2, message: /missing TARGET/ },
  // seed and timestamp
  { id: 'seed-empty', input: '`--seed ""`', argv: ['create', '{new}', '--size', '64M', '--seed', ''], code: 'INVALID_SPEC', exit: 2, message: /--seed must not be empty/ },
  { id: 'timestamp-garbage', input: '`--timestamp yesterday`', argv: ['create', '{new}', '--size', '64M', '--timestamp', 'yesterday'], code: 'INVALID_SPEC', exit: 2, message: /cannot read timestamp/ },
  { id: 'timestamp-no-zone', input: 'ISO 8601 without a zone (local time differs between hosts)', argv: ['create', '{new}', '--size', '64M', '--timestamp', '2024-01-31T12:00:00'], code: 'INVALID_SPEC', exit: 2, message: /without a zone/ },
  { id: 'timestamp-date-only', input: 'a date without a time or zone', argv: ['create', '{new}', '--size', '64M', '--timestamp', '2024-01-31'], code: 'INVALID_SPEC', exit: 2, message: /cannot read timestamp "2024-01-31"/ },
  { id: 'timestamp-fraction', input: '`--timestamp 1.5` (not whole seconds, not a date)', argv: ['create', '{new}', '--size', '64M', '--timestamp', '1.5'], code: 'INVALID_SPEC', exit: 2, message: /cannot read timestamp "1.5"/ },
  { id: 'timestamp-slashes', input: '`--timestamp 5/6/7`', argv: ['create', '{new}', '--size', '64M', '--timestamp', '5/6/7'], code: 'INVALID_SPEC', exit: 2, message: /cannot read timestamp "5\/6\/7"/ },
  { id: 'timestamp-words', input: '`--timestamp "Feb 30 2024"`', argv: ['create', '{new}', '--size', '64M', '--timestamp', 'Feb 30 2024'], code: 'INVALID_SPEC', exit: 2, message: /cannot read timestamp "Feb 30 2024"/ },
  { id: 'timestamp-feb-30', input: 'an ISO 8601 day that does not exist (`2024-02-30T00:00:00Z`)', argv: ['create', '{new}', '--size', '64M', '--timestamp', '2024-02-30T00:00:00Z'], code: 'INVALID_SPEC', exit: 2, message: /out of range/ },
  { id: 'sde-junk', input: '`SOURCE_DATE_EPOCH=junk` in the environment', argv: ['create', '{new}', '--size', '64M'], env: { SOURCE_DATE_EPOCH: 'junk' }, code: 'INVALID_SPEC', exit: 2, message: /SOURCE_DATE_EPOCH="junk" \(from the environment\) is not integer Unix seconds/ },
  { id: 'sde-iso', input: '`SOURCE_DATE_EPOCH` in ISO form (its specification allows integers only)', argv: ['create', '{new}', '--size', '64M'], env: { SOURCE_DATE_EPOCH: '2024-01-31T12:00:00Z' }, code: 'INVALID_SPEC', exit: 2, message: /SOURCE_DATE_EPOCH="2024-01-31T12:00:00Z"/ },
  { id: 'timestamp-negative', input: 'timestamp before 1970', argv: ['create', '{new}', '--size', '64M', '--timestamp=-1'], code: 'INVALID_SPEC', exit: 2, message: /before 1970/ },
  { id: 'timestamp-fat32-1970', input: 'FAT32 timestamp before 1980', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--timestamp', '1979-12-31T23:59:58Z'], code: 'INVALID_SPEC', exit: 2, message: /1980/ },
  { id: 'timestamp-fat32-2108', input: 'FAT32 timestamp after 2107', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'fat32', '--timestamp', '2108-01-01T00:00:00Z'], code: 'INVALID_SPEC', exit: 2, message: /2107/ },
  { id: 'timestamp-exfat-1970', input: 'exFAT timestamp before 1980', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'exfat', '--timestamp', '1970-01-01T00:00:00Z'], code: 'INVALID_SPEC', exit: 2, message: /1980/ },
  { id: 'timestamp-exfat-2108', input: 'exFAT timestamp after 2107', argv: ['create', '{existing}', '--force', '--size', '64M', '--fs', 'exfat', '--timestamp', '2108-01-01T00:00:00Z'], code: 'INVALID_SPEC', exit: 2, message: /2107/ },
  { id: 'timestamp-ntfs-huge', input: 'NTFS timestamp past year 30828 (`--timestamp 99999999999999`)', argv: ['create', '{existing}', '--force', '--size', '64M', '--timestamp', '99999999999999'], code: 'INVALID_SPEC', exit: 2, message: /timestamp/ },
  { id: 'timestamp-ntfs-huge-dry-run', input: 'the same with `--dry-run` (was exit 70 before c2d2b38)', argv: ['create', '{new}', '--size', '64M', '--timestamp', '99999999999999', '--dry-run'], code: 'INVALID_SPEC', exit: 2, message: /timestamp/ },
  // existing data
  { id: 'existing-data', input: 'an image that holds a disk, without `--force`', argv: ['create', '{existing}', '--size', '64M'], code: 'TARGET_HAS_DATA', exit: 5, message: /already holds data.*use --force/ },
  { id: 'existing-grow', input: 'growing an existing image without `--force`', argv: ['create', '{blank}', '--size', '128M'], code: 'TARGET_HAS_DATA', exit: 5, message: /needs --force/ },
  // target kinds that need no setup (the others are in bad-target.test.ts)
  { id: 'target-empty-file', input: 'a 0-byte file without `--size`', argv: ['create', '{empty}'], code: 'INVALID_SPEC', exit: 2, message: /is an empty file \(0 bytes\): give --size/ },
  { id: 'existing-unrecognised', input: 'a file whose first MiB holds bytes of no known format, without `--force`', argv: ['create', '{random}'], code: 'TARGET_HAS_DATA', exit: 5, message: /unrecognised data \(a non-zero byte at 0, in the first MiB\)/ },
  { id: 'target-directory', input: 'TARGET is a directory', argv: ['create', '{dir}', '--size', '64M'], code: 'INVALID_SPEC', exit: 2, message: /is a directory/ },
  { id: 'target-char-device', input: 'TARGET is a character device (`/dev/null`)', argv: ['create', '/dev/null', '--size', '64M'], code: 'INVALID_SPEC', exit: 2, message: /character device/ },
  { id: 'target-no-parent', input: 'TARGET in a directory that does not exist', argv: ['create', '{dir}/no-such-dir/x.img', '--size', '64M'], code: 'IO_FAILED', exit: 9, message: /no-such-dir/ },
];
