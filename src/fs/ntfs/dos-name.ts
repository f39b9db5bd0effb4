// Whether a long name is already a DOS (8.3) name, so that its one $FILE_NAME can be in the Win32-and-DOS namespace
// as Windows writes it (ntfs-3g libntfs-3g/unistr.c ntfs_names_are_equal / dir.c ntfs_set_ntfs_dos_name; the
// 8.3 rules of fatgen103 §"Short names"): one to eight characters, optionally a dot and one to three more, only
// upper-case letters, digits and the punctuation DOS allows. No short names are generated for other names:
// Windows creates none on new data volumes.
const DOS_CHAR = "[A-Z0-9!#$%&'()\\-@^_`{}~]";
const DOS_NAME = new RegExp(`^${DOS_CHAR}{1,8}(\\.${DOS_CHAR}{1,3})?$`);

export function isDosName(name: string): boolean {
  return DOS_NAME.test(name);
}
