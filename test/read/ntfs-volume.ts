// One NTFS volume made here by mkntfs and filled through ntfs-3g (streams_interface=windows), shared by the NTFS
// read tests: nested and Unicode names, a 10,000-entry directory (a multi-level $I30 index), big and fragmented
// files, sparse files, LZNT1-compressed files (ntfs-3g compresses what is written inside a directory carrying
// FILE_ATTRIBUTE_COMPRESSED), alternate data streams (one file with enough of them for an $ATTRIBUTE_LIST), hard
// links, an Interix symlink (ntfs-3g's `ln -s`), Windows symlinks and a junction (reparse data set through
// system.ntfs_reparse_data), names differing only in case (POSIX namespace), a DOS 8.3 alias, a read-only file,
// deletions and renames.
import { join } from 'node:path';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';

export interface NtfsFixture {
  readonly image: string;
  readonly mountpoint: string;
  remove(): void;
}

/** IO_REPARSE_TAG_SYMLINK / MOUNT_POINT buffers ([MS-FSCC] §2.1.2.4, §2.1.2.5) as setfattr hex. */
export function reparseHex(tag: 'symlink' | 'junction', substitute: string, print: string, relative = false): string {
  const s = Buffer.from(substitute, 'utf16le');
  const p = Buffer.from(print, 'utf16le');
  const names = Buffer.alloc(tag === 'symlink' ? 12 : 8);
  names.writeUInt16LE(0, 0);
  names.writeUInt16LE(s.length, 2);
  names.writeUInt16LE(s.length, 4);
  names.writeUInt16LE(p.length, 6);
  if (tag === 'symlink') names.writeUInt32LE(relative ? 1 : 0, 8);
  const data = Buffer.concat([names, s, p]);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(tag === 'symlink' ? 0xa000000c : 0xa0000003, 0);
  header.writeUInt16LE(data.length, 4);
  return `0x${Buffer.concat([header, data]).toString('hex')}`;
}

export const MANY_ENTRIES = 10_000;

const POPULATE = String.raw`
set -e
cd "$1"
mkdir -p docs/deeper/deepest "Ünïcödé dïr"
printf 'hello world\n' > docs/readme.txt
printf 'meta' > 'docs/readme.txt:meta'
head -c 200000 /dev/urandom > 'docs/readme.txt:big stream'
printf 'x' > "Ünïcödé dïr/名前.txt"
printf 'deep' > docs/deeper/deepest/file.txt
head -c 24000000 /dev/urandom > big.bin
ln big.bin big-hardlink.bin
truncate -s 64M sparse.bin
printf 'middle' | dd of=sparse.bin bs=1 seek=40000000 conv=notrunc status=none
mkdir compressed
setfattr -n system.ntfs_attrib_be -v 0x00000800 compressed
yes 'compressible line of text' | head -c 3000000 > compressed/text.txt
head -c 1000000 /dev/urandom > compressed/random.bin
{ yes abc | head -c 100000; head -c 70000 /dev/urandom; head -c 200000 /dev/zero; yes xyz | head -c 5000; } > compressed/mixed.bin
printf 'small' > compressed/small.txt
touch attrlist.txt
i=0; while [ $i -lt 60 ]; do head -c 150 /dev/zero | tr '\0' "$((i % 10))" > "attrlist.txt:stream$i"; i=$((i+1)); done
i=0; while [ $i -lt 40 ]; do head -c 65536 /dev/urandom >> frag-a.bin; head -c 65536 /dev/urandom >> frag-b.bin; i=$((i+1)); done
ln -s docs/readme.txt interix-link
touch winlink winlink-relative; mkdir junction
setfattr -n system.ntfs_reparse_data -v "$2" winlink
setfattr -n system.ntfs_reparse_data -v "$3" winlink-relative
setfattr -n system.ntfs_reparse_data -v "$4" junction
printf 'upper' > Case.txt
printf 'lower' > case.txt
printf 'long' > 'Long File Name.txt'
setfattr -n system.ntfs_dos_name -v 'LONGFI~1.TXT' 'Long File Name.txt'
printf 'ro' > readonly.txt
setfattr -n system.ntfs_attrib_be -v 0x00000021 readonly.txt
mkdir churn
i=0; while [ $i -lt 300 ]; do printf "$i" > churn/file$i.txt; i=$((i+1)); done
i=0; while [ $i -lt 300 ]; do rm churn/file$i.txt; i=$((i+2)); done
mv churn/file1.txt churn/renamed-one.txt
mv docs/deeper/deepest docs/moved-deepest
touch -d '2001-02-03 04:05:06.789' docs/readme.txt
mkdir many
python3 - "$5" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    with open(f"many/entry-{i:05d}-with-a-longer-name.txt", "w") as f:
        if i % 1000 == 0: f.write(str(i))
PY
`;

/** The volume, with 512-byte sectors unless asked (`sectorSize: 4096` is mkntfs -s 4096: a 4Kn volume). */
export function makeNtfsFixture(options: { sectorSize?: 512 | 4096 } = {}): NtfsFixture {
  for (const t of ['mkntfs', 'ntfs-3g', 'setfattr', 'python3', 'truncate']) requireTool(t);
  const dir = makeTempDir('guestdisk-read-ntfs-');
  const image = join(dir.path, 'ntfs.img');
  const mountpoint = join(dir.path, 'mnt');
  mustRun('truncate', ['-s', '512M', image]);
  mustRun('mkntfs', ['-q', '-F', '-Q', '-L', 'ReadTest', ...(options.sectorSize ? ['-s', String(options.sectorSize)] : []), image]);
  mustRun('mkdir', [mountpoint]);
  mustRun('ntfs-3g', ['-o', 'streams_interface=windows', image, mountpoint]);
  try {
    mustRun('bash', ['-c', POPULATE, 'populate', mountpoint,
      reparseHex('symlink', '\\??\\C:\\Windows\\System32', 'C:\\Windows\\System32'),
      reparseHex('symlink', '..\\docs\\readme.txt', '..\\docs\\readme.txt', true),
      reparseHex('junction', '\\??\\C:\\Users\\Public', 'C:\\Users\\Public'),
      String(MANY_ENTRIES)], { timeoutMs: 600_000 });
  } finally {
    mustRun('umount', [mountpoint]);
  }
  return {
    image,
    mountpoint,
    remove: () => {
      try { mustRun('umount', [mountpoint]); } catch { /* not mounted */ }
      dir.remove();
    },
  };
}
