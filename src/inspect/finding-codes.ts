// Every finding inspect and verify report, as one table: code, severity, and what it means for a Windows guest.
// A finding's code is a key of this table (FindingCode), and its severity and sentence come only from here; a
// codec check's own code (`GPT_HEADER_CRC`, `FSINFO_LEAD_SIG`) is mapped to a row where it leaves the decoder
// (codeChecks). docs/inspect.md's code table is rendered from this one (renderFindingTable).
import type { Finding, Severity } from '../binary/findings.js';

export interface FindingRow {
  readonly severity: Severity;
  readonly windows: string;
}

export const FINDING_CODES = {
  // ---- the disk as a whole
  NO_PARTITION_TABLE: { severity: 'error', windows: 'Windows shows the disk as "Not Initialized" and offers to initialize it; nothing on it is mounted.' },
  SUPERFLOPPY: { severity: 'error', windows: 'A filesystem on the whole device with no partition table: Windows shows a fixed disk as "Not Initialized" (only removable media are mounted this way), and initializing it destroys the filesystem.' },
  MBR_SIGNATURE_MISSING: { severity: 'error', windows: 'Without 0x55AA at the end of sector 0 Windows ignores the partition records and shows the disk as "Not Initialized".' },
  DISK_SIZE_NOT_SECTOR_MULTIPLE: { severity: 'warning', windows: 'The image is not a whole number of sectors; the hypervisor drops or pads the tail, so structures at the very end may move.' },
  SECTOR_SIZE_MISMATCH: { severity: 'error', windows: 'The partition table was written for the other logical sector size; Windows, reading with this disk\'s sector size, finds no partitions.' },
  // ---- GPT
  GPT_PMBR_MISSING: { severity: 'error', windows: 'Windows needs the protective MBR (0x55AA and a 0xEE record) to read a GPT disk; without it the disk shows as "Not Initialized" or as a foreign MBR disk.' },
  GPT_PMBR_SIZE: { severity: 'warning', windows: 'Windows accepts it, but the UEFI spec wants the 0xEE record to cover the disk minus one sector (0xFFFFFFFF only past 2 TiB); strict tools complain.' },
  GPT_PMBR_HYBRID: { severity: 'warning', windows: 'Besides the 0xEE record the MBR has other partitions (a hybrid MBR): Windows treats the disk as GPT, but other systems may use the MBR records and disagree.' },
  GPT_PRIMARY_HEADER_MISSING: { severity: 'error', windows: 'No GPT header at LBA 1: Windows may recover from the backup, but firmware and most tools see no GPT.' },
  GPT_PRIMARY_HEADER_CRC: { severity: 'error', windows: 'The primary GPT header is damaged: Windows falls back to the backup copy (and may rewrite the primary); tools that read only the primary see no partitions.' },
  GPT_PRIMARY_HEADER_INVALID: { severity: 'error', windows: 'A field of the primary GPT header is out of spec, so readers reject it and have to fall back to the backup.' },
  GPT_PRIMARY_ENTRIES_CRC: { severity: 'error', windows: 'The primary partition entry array does not match its CRC32: readers reject the primary table and fall back to the backup.' },
  GPT_BACKUP_HEADER_MISSING: { severity: 'error', windows: 'No backup GPT header where the primary says: Windows still reads the disk, but a damaged primary could not be recovered.' },
  GPT_BACKUP_HEADER_CRC: { severity: 'error', windows: 'The backup GPT header is damaged: nothing to recover from if the primary is lost; sgdisk and fdisk report the table as corrupt.' },
  GPT_BACKUP_HEADER_INVALID: { severity: 'error', windows: 'A field of the backup GPT header is out of spec: the backup cannot be used for recovery.' },
  GPT_BACKUP_ENTRIES_CRC: { severity: 'error', windows: 'The backup partition entry array does not match its CRC32: the backup cannot be used for recovery.' },
  GPT_USING_BACKUP: { severity: 'error', windows: 'The primary GPT is unusable and the partitions were read from the backup; Windows may do the same, firmware and other tools may not.' },
  GPT_NO_VALID_HEADER: { severity: 'error', windows: 'Neither GPT header is usable: Windows shows the disk as unreadable or "Not Initialized".' },
  GPT_HEADERS_DIFFER: { severity: 'error', windows: 'Primary and backup GPT headers disagree: which one wins depends on the reader; partitions may appear differently in Windows and elsewhere.' },
  GPT_ENTRIES_DIFFER: { severity: 'error', windows: 'Primary and backup partition arrays disagree: a reader falling back to the backup would see different partitions.' },
  GPT_BACKUP_NOT_AT_END: { severity: 'warning', windows: 'The backup GPT is not in the last sector (the disk was grown): Windows reads the disk, but the space after the old end stays unusable until the backup is moved (Disk Management does it when extending; sgdisk -e).' },
  GPT_ALTERNATE_LBA: { severity: 'error', windows: 'The primary GPT header\'s AlternateLBA does not point past the usable space (it names LBA 1 or a sector inside the partitions): readers look for the backup in the wrong place, sfdisk and fdisk report the table as damaged, and a lost primary could not be recovered.' },
  GPT_BACKUP_BEYOND_DISK: { severity: 'error', windows: 'The GPT describes a larger disk than this one (the image was truncated or shrunk): the backup GPT and the end of the partition are gone.' },
  GPT_USABLE_RANGE: { severity: 'error', windows: 'First/last usable LBA overlap the GPT structures or lie outside the disk: Windows may refuse the table.' },
  GPT_ENTRY_ARRAY_BOUNDS: { severity: 'error', windows: 'The partition entry array lies outside the disk, overlaps the usable space, or is implausibly large: the table cannot be read.' },
  GPT_ENTRY_RANGE: { severity: 'error', windows: 'A GPT entry ends before it starts: Windows rejects the table.' },
  GPT_PARTITION_OUTSIDE_USABLE: { severity: 'error', windows: 'A partition lies outside the usable LBA range (over the GPT structures or past the end): Windows rejects the table or the partition.' },
  GPT_ATTRIBUTE_READ_ONLY: { severity: 'error', windows: 'GPT attribute bit 60 (read-only) is set: Windows mounts the volume read-only.' },
  GPT_ATTRIBUTE_HIDDEN: { severity: 'error', windows: 'GPT attribute bit 62 (hidden) is set: Windows mounts no volume for the partition (no drive letter, not in Explorer).' },
  GPT_ATTRIBUTE_NO_DRIVE_LETTER: { severity: 'error', windows: 'GPT attribute bit 63 (no drive letter) is set: Windows does not assign a drive letter automatically.' },
  GPT_ATTRIBUTE_SHADOW_COPY: { severity: 'warning', windows: 'GPT attribute bit 61 (shadow copy) is set: Windows treats the volume as a snapshot, which a data disk is not.' },
  // ---- MBR
  MBR_DISK_SIGNATURE_ZERO: { severity: 'warning', windows: 'The MBR disk signature is 0: Windows writes a new one on first use (the disk changes underneath you), and two such disks collide.' },
  MBR_PARTITION_RECORD_BOOT_INDICATOR: { severity: 'error', windows: 'A boot indicator other than 0x00/0x80: Windows treats the MBR as invalid.' },
  MBR_BEYOND_2TIB: { severity: 'error', windows: 'An MBR partition record cannot address past 2^32 sectors (2 TiB with 512-byte sectors): Windows sees a truncated or invalid partition.' },
  MBR_DISK_BEYOND_2TIB: { severity: 'warning', windows: 'The disk is larger than an MBR can address (2^32 sectors): Windows leaves the rest unallocated; use GPT.' },
  MBR_EXTENDED_CHAIN: { severity: 'error', windows: 'The extended partition\'s EBR chain is broken (loop, out of bounds, or bad signature): Windows lists logical partitions only up to the break.' },
  MBR_TYPE_FS_MISMATCH: { severity: 'warning', windows: 'The MBR type byte does not match the filesystem (NTFS/exFAT 0x07, FAT32 0x0C/0x0B): Windows mounts by content, but other systems and tools trust the type.' },
  // ---- partitions
  PARTITION_BEYOND_DISK: { severity: 'error', windows: 'The partition extends past the end of the disk: Windows rejects it or the volume fails to mount.' },
  PARTITION_OVERLAP: { severity: 'error', windows: 'Two partitions overlap: Windows refuses the table (or one volume corrupts the other).' },
  PARTITION_NOT_ALIGNED: { severity: 'warning', windows: 'The partition does not start on a 1 MiB boundary: Windows mounts it, but I/O on 4K/RAID/SSD storage is slower (Windows itself aligns to 1 MiB).' },
  PARTITION_TYPE_NOT_DATA: { severity: 'error', windows: 'The partition type is not one Windows mounts as a data volume (GPT Basic Data EBD0A0A2-…, MBR 0x07/0x0C/0x0B/0x06/0x0E): Windows gives it no drive letter.' },
  PARTITION_TYPE_SYSTEM: { severity: 'info', windows: 'A Windows system partition (reserved, EFI, recovery, LDM): Windows uses it but does not show it as a drive.' },
  TOO_MANY_PARTITIONS: { severity: 'warning', windows: 'More partitions than Windows handles on one disk (128 GPT entries): the extra ones are not shown; only the first 128 were examined here.' },
  NO_PARTITIONS: { severity: 'error', windows: 'The partition table is empty: Windows shows only unallocated space.' },
  // ---- filesystems (generic; the filesystem inspectors add their own codes)
  FS_NONE: { severity: 'info', windows: 'No filesystem in the partition: Windows shows it as RAW and Explorer offers to format it.' },
  FS_NOT_WINDOWS: { severity: 'error', windows: 'The filesystem is not one Windows reads (ext2/3/4, XFS, Btrfs, swap, LUKS, LVM): Windows shows the partition as RAW and offers to format it.' },
  FS_ENCRYPTED: { severity: 'info', windows: 'A BitLocker volume: Windows asks for the key before mounting it.' },
  FS_SIGNATURE_CONFLICT: { severity: 'warning', windows: 'More than one filesystem signature in the partition (a stale one survived): Windows uses the boot sector, but blkid/wipefs and Linux auto-mounters may pick the wrong type.' },
  FS_BOOT_SECTOR_DAMAGED: { severity: 'error', windows: 'The volume\'s boot sector is unrecognisable but its backup copy exists: Windows shows the volume as RAW until chkdsk (or a repair tool) restores the boot sector from the backup.' },
  FS_DECODE_FAILED: { severity: 'error', windows: 'The filesystem header could not be decoded: Windows would show the volume as RAW or ask to repair it.' },
  FS_INSPECT_INTERNAL_ERROR: { severity: 'error', windows: 'guestdisk could not read this filesystem (a bug in guestdisk, not necessarily in the disk).' },
  // ---- NTFS (src/inspect/fs-ntfs.ts)
  NTFS_BOOT_SECTOR_BAD: { severity: 'error', windows: 'The NTFS boot sector is unusable: Windows shows the volume as RAW (or mounts it from the backup boot sector and has chkdsk rewrite the main one).' },
  NTFS_BACKUP_BOOT_MISSING: { severity: 'error', windows: 'No valid NTFS backup boot sector after the volume: Windows mounts it, but chkdsk wants to fix it and a damaged boot sector could not be recovered.' },
  NTFS_BACKUP_BOOT_DIFFERS: { severity: 'error', windows: 'The NTFS backup boot sector differs from the main one: chkdsk reports the volume as needing repair.' },
  NTFS_VOLUME_TOO_LARGE: { severity: 'error', windows: 'The NTFS volume is larger than its partition: Windows refuses to mount it (RAW).' },
  NTFS_HIDDEN_SECTORS: { severity: 'warning', windows: 'The boot sector\'s hidden sectors are not the partition start (mkntfs on a loop device writes 0): data volumes mount normally, booting from the volume would fail.' },
  NTFS_MFT_UNREADABLE: { severity: 'error', windows: '$MFT cannot be read: Windows cannot mount the volume (RAW) or runs chkdsk.' },
  NTFS_MFT_MIRROR_DIFFERS: { severity: 'error', windows: '$MFTMirr differs from $MFT: chkdsk repairs the volume at the next mount; ntfs-3g refuses to mount it read-write.' },
  NTFS_VOLUME_INFORMATION_MISSING: { severity: 'error', windows: '$Volume has no readable version/flags: Windows treats the volume as corrupt and runs chkdsk.' },
  NTFS_SYSTEM_RECORD_DAMAGED: { severity: 'error', windows: 'An MFT record of a system file has a bad signature or update sequence (torn write): Windows runs chkdsk or refuses to mount the volume.' },
  NTFS_SYSTEM_RECORD_NOT_IN_USE: { severity: 'error', windows: 'A system file\'s MFT record is not marked in use: Windows and ntfs-3g treat the volume as corrupt and chkdsk repairs it.' },
  NTFS_MFT_BITMAP: { severity: 'error', windows: '$MFT:$BITMAP marks system records free: NTFS could reuse them for new files and destroy metadata; chkdsk repairs it.' },
  NTFS_MFT_BITMAP_RECORD_FREE: { severity: 'error', windows: '$MFT:$BITMAP marks file records that are in use free: NTFS may give such a record to a new file and lose the file it holds; chkdsk repairs the bitmap.' },
  NTFS_MFT_BITMAP_RECORD_LEAK: { severity: 'error', windows: '$MFT:$BITMAP marks free file records in use: chkdsk (and ntfsck) report the volume as needing repair, and the records are lost to new files until it frees them.' },
  NTFS_UPCASE_BAD: { severity: 'error', windows: '$UpCase is missing or wrong even for ASCII: file name lookups fail; Windows runs chkdsk and ntfs-3g refuses the volume.' },
  NTFS_ATTRDEF_BAD: { severity: 'error', windows: '$AttrDef lacks the standard attribute definitions: Windows and ntfs-3g cannot create files on the volume.' },
  NTFS_ATTRDEF_NONSTANDARD: { severity: 'warning', windows: '$AttrDef differs from the standard definitions: Windows uses it, but attribute limits or flags may not be what it expects.' },
  NTFS_LOGFILE_BAD: { severity: 'error', windows: '$LogFile has neither valid restart pages nor the empty (0xFF) pattern: Windows runs chkdsk; ntfs-3g refuses to mount read-write.' },
  NTFS_SECURE_SDS: { severity: 'error', windows: '$Secure:$SDS has no valid first security descriptor: files lose their permissions until chkdsk rebuilds $Secure.' },
  NTFS_SECURE_INDEX_BAD: { severity: 'error', windows: 'A $Secure index root ($SII or $SDH) is damaged: ntfs-3g refuses to mount the volume (a bad $SII) or cannot give files new permissions, and Windows runs chkdsk, which rebuilds $Secure.' },
  NTFS_ROOT_INDEX_BAD: { severity: 'error', windows: 'The root directory\'s index block is damaged: Windows cannot list the volume and runs chkdsk.' },
  NTFS_BITMAP_CLEAR: { severity: 'error', windows: '$Bitmap marks clusters of system files free (or is unreadable): NTFS could overwrite metadata with new data; chkdsk repairs it.' },
  NTFS_BITMAP_LEAK: { severity: 'error', windows: '$Bitmap marks clusters in use that no file uses: chkdsk reports the volume as inconsistent and frees them; until then the space is lost.' },
  NTFS_BITMAP_FILE_CLUSTERS_FREE: { severity: 'error', windows: '$Bitmap marks clusters that files use free: NTFS may give them to new data and silently overwrite those files; chkdsk repairs the bitmap.' },
  NTFS_RECORD_DAMAGED: { severity: 'error', windows: 'An in-use MFT record of a file has a torn update sequence or an attribute that leaves the record: the file cannot be opened, and chkdsk deletes or repairs it.' },
  NTFS_EXTENSION_RECORD_ORPHAN: { severity: 'error', windows: 'An extension MFT record names a base record that is free, is itself an extension, or has another sequence number: the attributes it holds belong to no file; chkdsk frees the record.' },
  NTFS_CLUSTER_CROSS_LINKED: { severity: 'error', windows: 'Two attributes (of one file or of two) claim the same clusters: writing one overwrites the other; chkdsk reports cross-linked files and gives the clusters to one of them.' },
  NTFS_RUN_BEYOND_VOLUME: { severity: 'error', windows: 'A file\'s run list points past the last cluster of the volume: reading it fails with an I/O error; chkdsk truncates the file.' },
  NTFS_LINK_COUNT: { severity: 'error', windows: 'A file\'s link count is not its number of names: deleting a name may free a file that still has other names; chkdsk corrects the count.' },
  NTFS_ATTRIBUTE_SIZES: { severity: 'error', windows: 'A non-resident attribute breaks initialized size ≤ data size ≤ allocated size: reads past the allocation fail or return stale bytes; chkdsk corrects the sizes.' },
  NTFS_INDEX_DAMAGED: { severity: 'error', windows: 'A directory index (its root, an INDX block or an entry) cannot be decoded: Explorer lists the directory partly or not at all; chkdsk rebuilds the index.' },
  NTFS_INDEX_ENTRY_ORPHAN: { severity: 'error', windows: 'A directory entry names an MFT record that is free, an extension record, or reused (another sequence number): opening the name fails or opens the wrong file; chkdsk deletes the entry.' },
  NTFS_INDEX_ORDER: { severity: 'error', windows: 'A directory index holds entries out of $UpCase collation order: Windows finds names by binary search, so some listed files cannot be opened by name; chkdsk sorts the index.' },
  NTFS_INDEX_BITMAP: { severity: 'error', windows: 'A directory uses an index block its $I30 $BITMAP marks free: NTFS may reuse the block for new entries and lose the ones in it; chkdsk repairs the bitmap.' },
  NTFS_FILE_NOT_INDEXED: { severity: 'error', windows: 'A file carries a name ($FILE_NAME) that its directory\'s index does not hold: the file is invisible in Explorer though it uses space; chkdsk re-indexes it or moves it to found.000.' },
  NTFS_INDEX_ENTRY_MISMATCH: { severity: 'error', windows: 'Index entries naming a file do not match its $FILE_NAME attributes (another parent, name or namespace, or one entry too many): the listing and the file disagree; chkdsk corrects the index.' },
  NTFS_PARENT_REFERENCE_BAD: { severity: 'error', windows: 'A file\'s $FILE_NAME names a parent that is not an in-use directory (a free or reused record): the file belongs to no directory; chkdsk moves it to found.000.' },
  NTFS_INDEX_BLOCK_UNREACHED: { severity: 'error', windows: 'A directory\'s $I30 $BITMAP marks an index block in use that no node of the index reaches: names left in it are invisible to lookups, and the block is never reused; chkdsk reports the index bitmap as wrong and frees the block.' },
  NTFS_ATTRIBUTE_LIST_ENTRY_BAD: { severity: 'error', windows: 'A file\'s $ATTRIBUTE_LIST names an attribute that is not where it says (a free record, another file\'s record, a stale sequence number, or a record without that attribute) or names one twice: Windows cannot open that stream, name or part of the data, and may refuse the whole file; chkdsk repairs the list or deletes the attribute.' },
  NTFS_ATTRIBUTE_NOT_LISTED: { severity: 'error', windows: 'An attribute in one of a file\'s extension records is missing from its $ATTRIBUTE_LIST (or the file has none): Windows finds attributes only through the list, so that stream, name or part of the data is lost; chkdsk frees the extension record or repairs the list.' },
  NTFS_SECURITY_ID_UNKNOWN: { severity: 'error', windows: 'A file\'s $STANDARD_INFORMATION names a security id that $Secure:$SII does not hold: Windows cannot find the file\'s permissions and denies access; chkdsk replaces it with the default security id.' },
  NTFS_SECURITY_DESCRIPTOR_MISSING: { severity: 'error', windows: 'A security id files use is in $Secure:$SII, but the $SDS entry it points at is missing or is another descriptor: Windows applies wrong or no permissions to those files; chkdsk rebuilds $Secure.' },
  NTFS_DIRTY: { severity: 'warning', windows: 'The NTFS dirty flag is set: Windows runs chkdsk on the volume at the next boot or mount.' },
  // ---- exFAT (src/inspect/fs-exfat.ts)
  EXFAT_BOOT_SECTOR_BAD: { severity: 'error', windows: 'The main exFAT boot sector is unusable: the backup region (sectors 12–23) is used; Windows may mount from it, other readers see a broken volume.' },
  EXFAT_BOOT_CHECKSUM: { severity: 'error', windows: 'The main exFAT boot region does not match its checksum (sector 11): Windows and fsck.exfat reject it and fall back to the backup region, if valid.' },
  EXFAT_BACKUP_BOOT_DIFFERS: { severity: 'error', windows: 'The exFAT backup boot region (sectors 12–23) differs from the main one: a damaged main region could not be recovered correctly.' },
  EXFAT_BACKUP_BOOT_CHECKSUM: { severity: 'error', windows: 'The exFAT backup boot region (sectors 12–23) does not match its own checksum (sector 23): fsck.exfat reports the volume, and a damaged main region could not be restored from it.' },
  EXFAT_VOLUME_TOO_LARGE: { severity: 'error', windows: 'The exFAT volume is larger than its partition: Windows refuses to mount it.' },
  EXFAT_PARTITION_OFFSET: { severity: 'warning', windows: 'PartitionOffset does not match the partition start: Windows ignores it for data volumes (0 is allowed), but it is wrong.' },
  EXFAT_UPCASE_CHECKSUM: { severity: 'error', windows: 'The up-case table does not match its checksum: Windows reports the volume as corrupt.' },
  EXFAT_ALLOCATION_BITMAP: { severity: 'error', windows: 'The allocation bitmap entry is missing or wrong: Windows cannot allocate space and reports the volume as corrupt.' },
  EXFAT_BITMAP_METADATA_FREE: { severity: 'error', windows: 'The allocation bitmap marks clusters of the bitmap, up-case table or root directory free: Windows may give them to a new file and overwrite the volume\'s metadata; chkdsk repairs it.' },
  EXFAT_ROOT_DIRECTORY: { severity: 'error', windows: 'The root directory cannot be read: Windows shows the volume as corrupt or RAW.' },
  EXFAT_ROOT_METADATA_MISSING: { severity: 'error', windows: 'The root directory lacks its bitmap or up-case entry: Windows refuses the volume.' },
  EXFAT_VOLUME_GUID_ENTRY_SET_CHECKSUM: { severity: 'error', windows: 'The optional Volume GUID entry fails its set checksum, which makes the entry set invalid by the exFAT spec: checkers report the root directory as corrupt, and the GUID cannot be trusted.' },
  EXFAT_VOLUME_GUID_ENTRY_INVALID: { severity: 'error', windows: 'The optional Volume GUID entry has fields the exFAT spec forbids (a SecondaryCount other than 0): checkers report the root directory as corrupt.' },
  EXFAT_VOLUME_LABEL: { severity: 'error', windows: 'The volume label entry is malformed: Windows shows no or a garbled label and chkdsk wants to fix it.' },
  EXFAT_ENTRY_SET_CHECKSUM: { severity: 'error', windows: 'A file\'s entry set does not match its SetChecksum: Windows treats the set as corrupt and hides the file or directory; chkdsk and fsck.exfat report it.' },
  EXFAT_NAME_HASH: { severity: 'error', windows: 'A file\'s NameHash does not match its up-cased name: Windows may not find the file when it is opened by name (it compares hashes first); fsck.exfat reports the file as corrupted and chkdsk rewrites the hash.' },
  EXFAT_CROSS_LINKED: { severity: 'error', windows: 'A cluster belongs to two files or directories, or to one and the volume\'s metadata (or a chain loops): writing one overwrites the other; chkdsk reports it.' },
  EXFAT_CHAIN_INVALID: { severity: 'error', windows: 'A file\'s or directory\'s clusters leave the heap, or its FAT chain ends early or reaches a free or bad cluster: Windows reads wrong data or fails the read; chkdsk truncates the file.' },
  EXFAT_BITMAP_IN_USE_FREE: { severity: 'error', windows: 'Clusters a file, directory or the metadata uses are free in the allocation bitmap: Windows may hand them to a new file and overwrite the data; chkdsk repairs it.' },
  EXFAT_BITMAP_LEAK: { severity: 'warning', windows: 'Clusters marked used in the allocation bitmap are used by nothing: the space is lost until chkdsk frees it (fsck.exfat does not report it).' },
  EXFAT_VOLUME_DIRTY: { severity: 'warning', windows: 'The exFAT VolumeDirty flag is set: Windows checks the volume before using it.' },
  // ---- FAT12/16/32 (src/inspect/fs-fat32.ts)
  FAT_VOLUME_TOO_LARGE: { severity: 'error', windows: 'The FAT volume is larger than its partition: Windows refuses to mount it.' },
  FAT_HIDDEN_SECTORS: { severity: 'warning', windows: 'BPB_HiddSec is not the partition start: data volumes mount, booting from the volume would fail.' },
  FAT_TYPE_LAYOUT: { severity: 'error', windows: 'The cluster count and the boot sector layout disagree on FAT12/16/32: Windows reads it as the type the cluster count says, and the volume appears corrupt.' },
  FAT_BOOT_SECTOR_INVALID: { severity: 'error', windows: 'A FAT32 boot sector field that must be 0 is not (BPB_RootEntCnt, BPB_TotSec16): fsck.fat and chkdsk report the volume as damaged, and readers that trust the field see the wrong layout.' },
  FAT_FATS_DIFFER: { severity: 'error', windows: 'The FAT copies differ (every copy is compared with the first, whole): chkdsk reports and repairs the volume.' },
  FAT_BACKUP_BOOT_DIFFERS: { severity: 'error', windows: 'The FAT32 backup boot sector (sector 6) differs from sector 0: chkdsk reports the volume as needing repair.' },
  FAT_FSINFO_SIGNATURE: { severity: 'error', windows: 'The FSInfo sector\'s signatures are wrong: Windows ignores its hints and chkdsk reports the volume.' },
  FAT_FSINFO_FREE_COUNT: { severity: 'warning', windows: 'The FSInfo free-cluster count is wrong: Windows shows wrong free space until chkdsk recounts.' },
  FAT_FSINFO_NEXT_FREE: { severity: 'warning', windows: 'The FSInfo next-free hint names no cluster of the volume (and is not 0xFFFFFFFF, "unknown"): Windows ignores it and searches the FAT from the start; fsck.fat and chkdsk correct it.' },
  FAT_ROOT_CHAIN: { severity: 'error', windows: 'The root directory\'s cluster chain is broken (a loop, a cluster marked bad, a link past the volume): Windows cannot list the volume and chkdsk wants to repair it.' },
  FAT_ROOT_CLUSTER_FREE: { severity: 'error', windows: 'A cluster of the root directory is marked free in the FAT: Windows may give it to a new file and overwrite the root directory; chkdsk repairs it.' },
  FAT_CHAIN_SIZE_MISMATCH: { severity: 'error', windows: 'A file\'s cluster chain is longer or shorter than its size needs: chkdsk truncates the file or frees the extra clusters, and the end of the file may read as garbage.' },
  FAT_CROSS_LINKED: { severity: 'error', windows: 'A cluster belongs to two files or directories (or a chain loops): writing one overwrites the other; chkdsk reports cross-linked files.' },
  FAT_CHAIN_INVALID: { severity: 'error', windows: 'A file\'s or directory\'s chain reaches a cluster marked free or bad, or outside the volume: Windows reads past the end of the data, may hand the free cluster to a new file, and chkdsk truncates the chain.' },
  FAT_LOST_CLUSTERS: { severity: 'error', windows: 'Clusters allocated in the FAT that no file or directory reaches (lost chains): the space is gone until chkdsk frees them or saves them as FOUND.000 files.' },
  FAT_LFN_CHECKSUM: { severity: 'warning', windows: 'A long name\'s checksum does not match the 8.3 entry after it: Windows ignores the orphan long name and shows the short 8.3 name instead.' },
  FAT_LABEL_MISMATCH: { severity: 'warning', windows: 'The boot-sector label and the root-directory label differ: Windows shows the root-directory one, other tools the boot-sector one.' },
  // ---- expectations (verify --expect-*)
  EXPECT_TABLE_MISMATCH: { severity: 'error', windows: 'The partition table is not the kind asked for with --expect-table.' },
  EXPECT_FS_MISMATCH: { severity: 'error', windows: 'The filesystem is not the one asked for with --expect-fs.' },
  EXPECT_LABEL_MISMATCH: { severity: 'error', windows: 'The volume label Windows would show differs from --expect-label.' },
} as const satisfies Record<string, FindingRow>;

export type FindingCode = keyof typeof FINDING_CODES;

/** A finding as inspect/verify report it: where on the disk, and what it means for a Windows guest. */
export interface InspectFinding {
  /** From the code's row. */
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly structure: string;
  readonly field?: string;
  /** Byte offset on the disk (inside a filesystem inspector: on the volume, until volume.ts places it). */
  readonly offsetBytes?: number;
  readonly expected?: string;
  readonly actual?: string;
  readonly message: string;
  /** One sentence: what Windows does with a disk that has this problem (from the code's row). */
  readonly windows: string;
  /** Partition number the finding is about (absent: the disk or its table). */
  readonly partition?: number;
  /** Logical sector of the structure concerned, when it has one. */
  readonly lba?: number;
}

/** What a check knows about a problem; the code's row adds severity and meaning. */
export type FindingFacts = Omit<InspectFinding, 'severity' | 'code' | 'windows'>;

export function windowsMeaning(code: FindingCode): string {
  return FINDING_CODES[code].windows;
}

export function severityOf(code: FindingCode): Severity {
  return FINDING_CODES[code].severity;
}

/** The one way to make a finding: severity and meaning from the table. */
export function reportFinding(code: FindingCode, facts: FindingFacts): InspectFinding {
  const row: FindingRow = FINDING_CODES[code];
  return { severity: row.severity, code, ...facts, windows: row.windows };
}

/**
 * A codec check's findings as findings of row `code` (the decoder's own code, field and values kept in the text):
 * where a decoder's finding enters a report. `offsetBaseBytes` places the structure's relative offsets.
 */
export function codeChecks(code: FindingCode, checks: readonly Finding[], where: Omit<FindingFacts, 'structure' | 'message'> & { offsetBaseBytes?: number; prefix?: string } = {}): InspectFinding[] {
  const { offsetBaseBytes, prefix, ...place } = where;
  return checks.map((f) => reportFinding(code, {
    structure: f.structure,
    ...(f.field !== undefined ? { field: f.field } : {}),
    ...(f.offsetBytes !== undefined ? { offsetBytes: (offsetBaseBytes ?? 0) + f.offsetBytes } : {}),
    ...(f.expected !== undefined ? { expected: f.expected } : {}),
    ...(f.actual !== undefined ? { actual: f.actual } : {}),
    ...place,
    message: `${prefix ?? ''}${f.message}`,
  }));
}

/** Moves a volume-relative finding onto the disk: its offset, the partition, the sector. */
export function placeFinding(f: InspectFinding, where: { offsetBaseBytes: number; sectorSize: number; partition?: number }): InspectFinding {
  const offsetBytes = f.offsetBytes !== undefined ? where.offsetBaseBytes + f.offsetBytes : undefined;
  return {
    ...f,
    ...(offsetBytes !== undefined ? { offsetBytes, lba: Math.floor(offsetBytes / where.sectorSize) } : {}),
    ...(where.partition !== undefined ? { partition: where.partition } : {}),
  };
}

/** docs/inspect.md's code table, rendered from FINDING_CODES (the docs test compares it cell by cell). */
export function renderFindingTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = ['| code | severity | meaning for a Windows guest |', '|---|---|---|'];
  for (const [code, row] of Object.entries(FINDING_CODES) as [FindingCode, FindingRow][]) lines.push(`| \`${code}\` | ${row.severity} | ${cell(row.windows)} |`);
  return `${lines.join('\n')}\n`;
}
