// The system files, MFT records 0–26, built in the order mkntfs builds them (ntfs-3g ntfsprogs/mkntfs.c
// mkntfs_create_root_structures), because that order decides the attribute instance numbers, which attributes
// stay resident and where each non-resident one is allocated. Differences from mkntfs, by design:
// - serial, times and hidden sectors come from the plan; the boot code is our own stub;
// - records 16–23 carry their own record number (mkntfs leaves 0 there), every record has USN 1;
// - attribute padding is zero (mkntfs leaves stale bytes of the moved end marker in it);
// - INDX records have USN 1 (mkntfs: 3, from protecting the block twice).
import { ATTR_TYPE, COLLATION, FILE_ATTR, FILE_NAME_NAMESPACE, MFT_RECORD_FLAG, RESIDENT_ATTR_IS_INDEXED, SYSTEM_FILE } from './attribute-types.js';
import { encodeNonResidentAttribute, encodeResidentAttribute, type EncodedAttribute } from './attributes/attribute-header.js';
import { encodeFileName } from './attributes/file-name.js';
import { encodeStandardInformation } from './attributes/standard-information.js';
import { encodeVolumeInformation } from './attributes/volume-information.js';
import { encodeVolumeName } from './attributes/volume-name.js';
import { buildAttrDef } from './attrdef.js';
import { collateFileNames } from './collation.js';
import { encodeEndIndexEntry, encodeFileIndexEntry, encodeViewIndexEntry } from './index-entry.js';
import { encodeIndexBlock, encodeIndexRoot } from './index-node.js';
import { createClusterAllocator, type Extent } from './cluster-allocator.js';
import { encodeMftRecord, mftRecordBytesInUse } from './mft-record.js';
import { encodeMftRef, encodeNtfsTime } from './ntfs-time.js';
import { BOOT_FILE_BYTES, type NtfsPlan } from './volume-plan.js';
import { buildQuotaIndexes } from './quota.js';
import type { Run } from './runlist.js';
import { buildSecure, buildSecureFrom, securityDescriptorAttributeFor, securityIdForRecord, type IndexKeyData } from './secure.js';
import { STANDARD_UPCASE_CRC64, buildUpcaseInfo, buildUpcaseTable } from './upcase.js';
import { GuestdiskError } from '../../errors.js';
import { contentTooLarge } from '../copy-fit.js';
import { throwTreeProblems } from '../file-tree.js';
import { buildDirectoryIndex } from './directory-index.js';
import { copySharedDescriptors } from './inherited-security.js';
import {
  FIRST_USER_RECORD, allocatePopulation, indexEntryBytes, populatedRecordCount, nonResidentBudgetBytes, planIndexBlocks, populationClusters, shapePopulation,
  sortedDirectoryNames, type NtfsPopulation, type PopulationGeometry,
} from './populate-plan.js';
import { childIndexEntries } from './populate-record.js';

/** Number of system records mkntfs creates for NTFS 3.1 (0–26). */
export const NTFS_SYSTEM_RECORDS = 27;
const FIRST_EXTEND_CHILD = 24;
const INDX_USN = 1;

/** A stream's bytes and where its clusters are; `bytes` shorter than the allocation means zeros after it. */
export interface PlacedData {
  readonly what: string;
  readonly runs: readonly Run[];
  readonly bytes: Uint8Array;
}

export interface SystemFiles {
  /** the first records of $MFT:$DATA, protected: all of them for an empty volume; records below
   *  FIRST_USER_RECORD when a tree is copied (populate-format.ts makes the rest as it writes them) */
  readonly mft: Uint8Array;
  /** records in $MFT:$DATA (its data size / record size) */
  readonly mftRecordCount: number;
  /** where the $MFT bitmap lives: one cluster after $Boot, or elsewhere when a big MFT needs more */
  readonly mftBitmapRuns: readonly Run[];
  /** the copied tree's records and clusters, null for an empty volume */
  readonly population: NtfsPopulation | null;
  /** the up-case table ($UpCase:$DATA), which orders every index */
  readonly upcase: Uint8Array;
  /** with a copied tree: the root's system entries and the room of its $INDEX_ROOT, to make its INDX blocks again */
  readonly rootIndex: { readonly systemEntries: readonly { name: string; entry: Uint8Array }[]; readonly roomBytes: number } | null;
  readonly mftClusters: number;
  readonly mftBitmap: Uint8Array;
  readonly mftBitmapLcn: number;
  readonly mftMirrClusters: number;
  readonly bootClusters: number;
  readonly logFileClusters: number;
  /** $Bitmap:$DATA size (bytes) and its runs; its content is made in pieces from `allocated` */
  readonly lcnBitmapBytes: number;
  readonly lcnBitmapRuns: readonly Run[];
  /** every non-resident stream we place with content, except $MFT, $MFTMirr, $LogFile, $Bitmap and $Boot */
  readonly placed: readonly PlacedData[];
  /** clusters in use, sorted; includes $Bitmap's padding bits past the last cluster */
  readonly allocated: readonly Extent[];
}

interface RecordState {
  attributes: EncodedAttribute[];
  nextInstance: number;
  flags: number;
  linkCount: number;
  sequenceNumber: number;
  inUse: boolean;
}

const align8 = (n: number): number => (n + 7) & ~7;
const roundUp = (n: number, unit: number): number => Math.ceil(n / unit) * unit;

export function buildSystemFiles(plan: NtfsPlan): SystemFiles {
  const cs = plan.clusterSize;
  const rs = plan.mftRecordSize;
  const time = encodeNtfsTime(plan.timestamp);
  const upcase = buildUpcaseTable();
  const geometry: PopulationGeometry = { mftRecordSize: rs, indexRecordSize: plan.indexRecordSize, clusterSize: cs, clusterCount: plan.clusterCount, upcase };
  let population: NtfsPopulation | null = null;
  if (plan.files) {
    const shaped = shapePopulation(plan.files.root, geometry);
    throwTreeProblems(shaped.problems, 'NTFS cannot hold the files to copy');
    population = shaped.population;
  }

  // Fixed placements (mkntfs_initialize_bitmaps / _rl_mft / _rl_logfile / _rl_boot).
  const lcnBitmapBytes = align8(Math.ceil(plan.clusterCount / 8));
  const mftSize = population ? roundUp((FIRST_USER_RECORD + populatedRecordCount(population)) * rs, cs) : Math.max(NTFS_SYSTEM_RECORDS * rs, cs);
  const mftRecordCount = mftSize / rs;
  const mftClusters = Math.ceil(mftSize / cs);
  const bootClusters = Math.ceil(BOOT_FILE_BYTES / cs);
  const mftBitmapLcn = bootClusters;
  const mftBitmapBytes = align8(Math.ceil(mftRecordCount / 8));
  if (plan.mftLcn + mftClusters > plan.mftMirrLcn) {
    // $MFT is one run from its fixed start; $MFTMirr sits in the middle of the volume.
    const short = (plan.mftLcn + mftClusters - plan.mftMirrLcn) * cs * 2;
    throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: ${mftRecordCount} MFT records (${mftSize} bytes) do not fit before $MFTMirr in the middle of the volume: ${short} bytes more are needed; give a larger --size`, {
      mftRecords: mftRecordCount, missingBytes: short,
    });
  }
  // The MFT zone must hold at least the MFT itself; files go after it.
  const alloc = createClusterAllocator(plan.clusterCount, Math.max(plan.mftZoneEndLcn, plan.mftLcn + mftClusters));
  alloc.allocateAt(plan.clusterCount, lcnBitmapBytes * 8 - plan.clusterCount); // bits past the volume read as used
  const mftMirrClusters = Math.ceil((4 * rs) / cs);
  const logFileClusters = plan.logFileSizeBytes / cs;
  alloc.allocateAt(plan.mftLcn, mftClusters);
  // mkntfs's one cluster after $Boot, while it holds the bitmap (8 × cluster size records); else a run of its own.
  const mftBitmapRuns: Run[] = mftBitmapBytes <= cs ? [{ lcn: mftBitmapLcn, length: 1 }] : [];
  if (mftBitmapBytes <= cs) alloc.allocateAt(mftBitmapLcn, 1);
  alloc.allocateAt(plan.mftMirrLcn, mftMirrClusters);
  alloc.allocateAt(plan.logFileLcn, logFileClusters);
  alloc.allocateAt(0, bootClusters);
  if (mftBitmapBytes > cs) mftBitmapRuns.push(...alloc.allocateScattered(Math.ceil(mftBitmapBytes / cs), '$MFT bitmap'));

  const records: RecordState[] = [];
  for (let i = 0; i < NTFS_SYSTEM_RECORDS; i++) {
    records.push({
      attributes: [],
      nextInstance: 0,
      flags: 0,
      linkCount: 0,
      sequenceNumber: i === 0 || i >= FIRST_EXTEND_CHILD ? 1 : i,
      inUse: i < SYSTEM_FILE.FIRST_USER || i >= FIRST_EXTEND_CHILD,
    });
  }
  const placed: PlacedData[] = [];
  const add = (i: number, make: (instance: number) => EncodedAttribute): void => {
    const r = records[i];
    r.attributes.push(make(r.nextInstance));
    r.nextInstance++;
  };
  const bytesInUse = (i: number): number => mftRecordBytesInUse(rs, records[i].attributes);
  const unnamedDataNonResident = (i: number): boolean =>
    records[i].attributes.some((a) => a.type === ATTR_TYPE.DATA && a.name === '' && a.bytes[8] === 1);

  const addNonResident = (i: number, type: number, name: string, bytes: Uint8Array, what: string): void => {
    const runs = alloc.allocateScattered(Math.ceil(bytes.length / cs), what);
    placed.push({ what, runs, bytes });
    add(i, (instance) =>
      encodeNonResidentAttribute({ type, name, instance, runs, allocatedSize: roundUp(bytes.length, cs), dataSize: bytes.length, initializedSize: bytes.length }),
    );
  };
  const addResident = (i: number, type: number, name: string, value: Uint8Array, residentFlags = 0): void =>
    add(i, (instance) => encodeResidentAttribute({ type, name, instance, value, residentFlags }));
  /** mkntfs add_attr_data: resident only if it leaves 512 bytes of the record free. */
  const addData = (i: number, name: string, value: Uint8Array, what: string): void => {
    if (bytesInUse(i) + 24 + value.length > Math.min(rs, rs - 512)) addNonResident(i, ATTR_TYPE.DATA, name, value, what);
    else addResident(i, ATTR_TYPE.DATA, name, value);
  };
  /** mkntfs add_attr_sd: resident if it fits at all. */
  const addSecurityDescriptor = (i: number): void => {
    const sd = securityDescriptorAttributeFor(i);
    if (!sd) return;
    if (bytesInUse(i) + 24 + sd.length > rs) addNonResident(i, ATTR_TYPE.SECURITY_DESCRIPTOR, '', sd, `$SECURITY_DESCRIPTOR of record ${i}`);
    else addResident(i, ATTR_TYPE.SECURITY_DESCRIPTOR, '', sd);
  };
  const addPositioned = (i: number, type: number, name: string, runs: Run[], dataSize: number, initializedSize: number): void =>
    add(i, (instance) =>
      encodeNonResidentAttribute({
        type,
        name,
        instance,
        runs,
        allocatedSize: runs.reduce((n, r) => n + r.length, 0) * cs,
        dataSize,
        initializedSize,
      }),
    );

  // $STANDARD_INFORMATION for all 27 records first (instance 0 everywhere).
  for (let i = 0; i < NTFS_SYSTEM_RECORDS; i++) {
    let fileAttributes = FILE_ATTR.HIDDEN | FILE_ATTR.SYSTEM;
    if (i === SYSTEM_FILE.ROOT) fileAttributes |= FILE_ATTR.ARCHIVE;
    if (i === SYSTEM_FILE.SECURE) fileAttributes |= FILE_ATTR.VIEW_INDEX_PRESENT;
    if (i >= FIRST_EXTEND_CHILD) fileAttributes |= FILE_ATTR.ARCHIVE | FILE_ATTR.VIEW_INDEX_PRESENT;
    const value = encodeStandardInformation({
      creationTime: time,
      lastDataChangeTime: time,
      lastMftChangeTime: time,
      lastAccessTime: time,
      fileAttributes,
      maximumVersions: 0,
      versionNumber: 0,
      classId: 0,
      ownerId: 0,
      securityId: securityIdForRecord(i),
      quotaCharged: 0,
      usn: 0,
    });
    addResident(i, ATTR_TYPE.STANDARD_INFORMATION, '', value);
  }

  // $FILE_NAME values and their $I30 entries (root directory and $Extend).
  const rootEntries: { name: string; entry: Uint8Array }[] = [];
  const extendEntries: { name: string; entry: Uint8Array }[] = [];
  const link = (
    i: number,
    parent: 'root' | 'extend',
    name: string,
    allocatedSize: number,
    dataSize: number,
    fileAttributes: number,
  ): void => {
    const parentRef = parent === 'root' ? encodeMftRef(SYSTEM_FILE.ROOT, SYSTEM_FILE.ROOT) : encodeMftRef(SYSTEM_FILE.EXTEND, SYSTEM_FILE.EXTEND);
    // mkntfs create_hardlink: a resident (or missing) unnamed $DATA reports its size rounded to 8.
    const fnAllocated = parent === 'extend' || (allocatedSize !== 0 && unnamedDataNonResident(i)) ? allocatedSize : align8(dataSize);
    const value = encodeFileName({
      parentDirectory: parentRef,
      creationTime: time,
      lastDataChangeTime: time,
      lastMftChangeTime: time,
      lastAccessTime: time,
      allocatedSize: fnAllocated,
      dataSize,
      fileAttributes,
      reparsePointTag: 0,
      fileNameType: FILE_NAME_NAMESPACE.WIN32_AND_DOS,
      fileName: name,
    });
    records[i].linkCount++;
    addResident(i, ATTR_TYPE.FILE_NAME, '', value, RESIDENT_ATTR_IS_INDEXED);
    const ref = encodeMftRef(i, records[i].sequenceNumber);
    (parent === 'root' ? rootEntries : extendEntries).push({ name, entry: encodeFileIndexEntry(ref, value) });
  };
  const hiddenSystem = FILE_ATTR.HIDDEN | FILE_ATTR.SYSTEM;

  // Root directory (5): ".", its security descriptor, $I30 with the entries in one INDX block.
  const ROOT = SYSTEM_FILE.ROOT;
  records[ROOT].flags |= MFT_RECORD_FLAG.IS_DIRECTORY;
  link(ROOT, 'root', '.', 0, 0, hiddenSystem | FILE_ATTR.I30_INDEX_PRESENT);
  addSecurityDescriptor(ROOT);
  // mkntfs's root index: one INDX block, filled at the end when every system file is linked. With a copied tree,
  // as many blocks as its entries need: counted now from the names' sizes, built at the end.
  let rootBlocks = 1;
  const I30_ATTR_BYTES = 24 + 8; // resident header and the name "$I30"
  const rootRoom = (base: number) => (blocks: number): number =>
    rs - base - I30_ATTR_BYTES - (blocks > 0 ? nonResidentBudgetBytes(3, 8) + I30_ATTR_BYTES + align8(Math.ceil(blocks / 64) * 8) : 0);
  const rootBase = bytesInUse(ROOT);
  if (population) {
    const names = sortedDirectoryNames(population.root, true, upcase);
    rootBlocks = planIndexBlocks(names.map(indexEntryBytes), geometry, rootRoom(rootBase));
    population.rootIndexBlocks = rootBlocks;
  }
  const rootIndexRoot = encodeIndexRoot({
    type: ATTR_TYPE.FILE_NAME,
    collationRule: COLLATION.FILE_NAME,
    indexBlockSize: plan.indexRecordSize,
    clusterSize: cs,
    entries: [encodeEndIndexEntry(rootBlocks > 0 ? 0 : null)],
    large: rootBlocks > 0,
  });
  addResident(ROOT, ATTR_TYPE.INDEX_ROOT, '$I30', rootIndexRoot);
  let indxRuns: Run[] = [];
  if (rootBlocks > 0) {
    const i30Bitmap = new Uint8Array(8);
    i30Bitmap[0] = 1;
    addResident(ROOT, ATTR_TYPE.BITMAP, '$I30', i30Bitmap);
    const indexBytes = rootBlocks * plan.indexRecordSize;
    indxRuns = alloc.allocateScattered(Math.ceil(indexBytes / cs), 'root $I30 index block');
    add(ROOT, (instance) =>
      encodeNonResidentAttribute({
        type: ATTR_TYPE.INDEX_ALLOCATION,
        name: '$I30',
        instance,
        runs: indxRuns,
        allocatedSize: roundUp(indexBytes, cs),
        dataSize: indexBytes,
        initializedSize: indexBytes,
      }),
    );
  }
  if (population) population.rootIndexRuns = indxRuns;

  // $MFT (0)
  addPositioned(SYSTEM_FILE.MFT, ATTR_TYPE.DATA, '', [{ lcn: plan.mftLcn, length: mftClusters }], mftSize, mftSize);
  link(SYSTEM_FILE.MFT, 'root', '$MFT', roundUp(mftSize, cs), mftSize, hiddenSystem);
  addPositioned(SYSTEM_FILE.MFT, ATTR_TYPE.BITMAP, '', mftBitmapRuns, mftBitmapBytes, mftBitmapBytes);
  // $MFTMirr (1)
  const mirrBytes = mftMirrClusters * cs;
  addPositioned(SYSTEM_FILE.MFT_MIRR, ATTR_TYPE.DATA, '', [{ lcn: plan.mftMirrLcn, length: mftMirrClusters }], mirrBytes, mirrBytes);
  link(SYSTEM_FILE.MFT_MIRR, 'root', '$MFTMirr', mirrBytes, mirrBytes, hiddenSystem);
  // $LogFile (2)
  const logBytes = plan.logFileSizeBytes;
  addPositioned(SYSTEM_FILE.LOG_FILE, ATTR_TYPE.DATA, '', [{ lcn: plan.logFileLcn, length: logFileClusters }], logBytes, logBytes);
  link(SYSTEM_FILE.LOG_FILE, 'root', '$LogFile', logBytes, logBytes, hiddenSystem);
  // $AttrDef (4)
  const attrDef = buildAttrDef();
  addData(SYSTEM_FILE.ATTR_DEF, '', attrDef, '$AttrDef');
  link(SYSTEM_FILE.ATTR_DEF, 'root', '$AttrDef', roundUp(attrDef.length, cs), attrDef.length, hiddenSystem);
  addSecurityDescriptor(SYSTEM_FILE.ATTR_DEF);
  // $Bitmap (6): always non-resident (Windows 2003 rejects a resident one, says mkntfs)
  const lcnBitmapRuns = alloc.allocateScattered(Math.ceil(lcnBitmapBytes / cs), '$Bitmap');
  add(SYSTEM_FILE.BITMAP, (instance) =>
    encodeNonResidentAttribute({
      type: ATTR_TYPE.DATA,
      instance,
      runs: lcnBitmapRuns,
      allocatedSize: roundUp(lcnBitmapBytes, cs),
      dataSize: lcnBitmapBytes,
      initializedSize: lcnBitmapBytes,
    }),
  );
  link(SYSTEM_FILE.BITMAP, 'root', '$Bitmap', roundUp(lcnBitmapBytes, cs), lcnBitmapBytes, hiddenSystem);
  // $Boot (7)
  addPositioned(SYSTEM_FILE.BOOT, ATTR_TYPE.DATA, '', [{ lcn: 0, length: bootClusters }], BOOT_FILE_BYTES, BOOT_FILE_BYTES);
  link(SYSTEM_FILE.BOOT, 'root', '$Boot', roundUp(BOOT_FILE_BYTES, cs), BOOT_FILE_BYTES, hiddenSystem);
  addSecurityDescriptor(SYSTEM_FILE.BOOT);
  // $Volume (3)
  link(SYSTEM_FILE.VOLUME, 'root', '$Volume', 0, 0, hiddenSystem);
  addSecurityDescriptor(SYSTEM_FILE.VOLUME);
  addResident(SYSTEM_FILE.VOLUME, ATTR_TYPE.DATA, '', new Uint8Array(0));
  addResident(SYSTEM_FILE.VOLUME, ATTR_TYPE.VOLUME_NAME, '', encodeVolumeName(plan.label));
  addResident(SYSTEM_FILE.VOLUME, ATTR_TYPE.VOLUME_INFORMATION, '', encodeVolumeInformation({ reserved: new Uint8Array(8), majorVer: 3, minorVer: 1, flags: 0 }));
  // $BadClus (8): $Bad, one sparse run over the whole volume
  const volumeBytes = plan.clusterCount * cs;
  addPositioned(SYSTEM_FILE.BAD_CLUS, ATTR_TYPE.DATA, '$Bad', [{ lcn: null, length: plan.clusterCount }], volumeBytes, 0);
  addResident(SYSTEM_FILE.BAD_CLUS, ATTR_TYPE.DATA, '', new Uint8Array(0));
  link(SYSTEM_FILE.BAD_CLUS, 'root', '$BadClus', 0, 0, hiddenSystem);
  // $Secure (9): $SDS and the $SDH/$SII view indexes
  const SECURE = SYSTEM_FILE.SECURE;
  records[SECURE].flags |= MFT_RECORD_FLAG.IS_VIEW_INDEX;
  link(SECURE, 'root', '$Secure', 0, 0, hiddenSystem | FILE_ATTR.VIEW_INDEX_PRESENT);
  const secure = population ? buildSecureFrom(copySharedDescriptors()) : buildSecure();
  addData(SECURE, '$SDS', secure.sds.subarray(0, secure.sdsDataSizeBytes), '$Secure:$SDS');
  addViewIndex(SECURE, '$SDH', COLLATION.NTOFS_SECURITY_HASH, secure.sdhEntries);
  addViewIndex(SECURE, '$SII', COLLATION.NTOFS_ULONG, secure.siiEntries);
  // $UpCase (10) and its $Info
  addData(SYSTEM_FILE.UP_CASE, '', upcase, '$UpCase');
  addData(SYSTEM_FILE.UP_CASE, '$Info', buildUpcaseInfo(upcase, STANDARD_UPCASE_CRC64), '$UpCase:$Info');
  link(SYSTEM_FILE.UP_CASE, 'root', '$UpCase', roundUp(upcase.length, cs), upcase.length, hiddenSystem);
  // $Extend (11): a directory whose $I30 stays resident (Windows 2003 wants that, says mkntfs)
  const EXTEND = SYSTEM_FILE.EXTEND;
  records[EXTEND].flags |= MFT_RECORD_FLAG.IS_DIRECTORY;
  link(EXTEND, 'root', '$Extend', 0, 0, hiddenSystem | FILE_ATTR.I30_INDEX_PRESENT);
  // Reserved records 12–15: empty $DATA and a security descriptor each.
  for (let i = SYSTEM_FILE.RESERVED12; i < SYSTEM_FILE.FIRST_USER; i++) {
    addResident(i, ATTR_TYPE.DATA, '', new Uint8Array(0));
    addSecurityDescriptor(i);
  }
  // $Quota (24), $ObjId (25), $Reparse (26) inside $Extend.
  const extendFlags = hiddenSystem | FILE_ATTR.ARCHIVE | FILE_ATTR.VIEW_INDEX_PRESENT;
  const quota = buildQuotaIndexes(plan.timestamp);
  const extendChildren: [number, string, [string, number, readonly IndexKeyData[]][]][] = [
    [24, '$Quota', [['$Q', COLLATION.NTOFS_ULONG, quota.q], ['$O', COLLATION.NTOFS_SID, quota.o]]],
    [25, '$ObjId', [['$O', COLLATION.NTOFS_ULONGS, []]]],
    [26, '$Reparse', [['$R', COLLATION.NTOFS_ULONGS, []]]],
  ];
  for (const [i, name, indexes] of extendChildren) {
    records[i].flags |= MFT_RECORD_FLAG.IS_4 | MFT_RECORD_FLAG.IS_VIEW_INDEX;
    link(i, 'extend', name, 0, 0, extendFlags);
    for (const [indexName, collation, entries] of indexes) addViewIndex(i, indexName, collation, entries);
  }
  // $Extend's $I30 was created before its children in mkntfs; its instance number is 2 either way.
  const upcaseOrder = (a: { name: string }, b: { name: string }): number => collateFileNames(upcase, a.name, b.name);
  addResident(
    EXTEND,
    ATTR_TYPE.INDEX_ROOT,
    '$I30',
    encodeIndexRoot({
      type: ATTR_TYPE.FILE_NAME,
      collationRule: COLLATION.FILE_NAME,
      indexBlockSize: plan.indexRecordSize,
      clusterSize: cs,
      entries: [...extendEntries.sort(upcaseOrder).map((e) => e.entry), encodeEndIndexEntry(null)],
      large: false,
    }),
  );
  // The root directory's index, now that every system file is linked.
  let rootIndex: SystemFiles['rootIndex'] = null;
  if (population) {
    const ctx = { mftRecordSize: rs, clusterSize: cs, indexRecordSize: plan.indexRecordSize, timestamp: plan.timestamp, upcase, population };
    const entries = [...rootEntries, ...childIndexEntries(population.root, ROOT, ctx)].sort(upcaseOrder).map((e) => e.entry);
    const index = buildDirectoryIndex({ entries, indexBlockSize: plan.indexRecordSize, clusterSize: cs, rootRoomBytes: rootRoom(rootBase)(rootBlocks) });
    if (index.blocks.length !== rootBlocks) throw new Error(`internal: root index has ${index.blocks.length} blocks, planned ${rootBlocks}`);
    // Same instances as the placeholders; the INDX blocks are made again when written (populate-format.ts).
    const attrs = records[ROOT].attributes;
    const replace = (type: number, value: Uint8Array): void => {
      const at = attrs.findIndex((a) => a.type === type);
      attrs[at] = encodeResidentAttribute({ type, name: '$I30', instance: attrs[at].bytes[14] | (attrs[at].bytes[15] << 8), value });
    };
    replace(ATTR_TYPE.INDEX_ROOT, index.rootValue);
    if (index.bitmap) replace(ATTR_TYPE.BITMAP, index.bitmap);
    rootIndex = { systemEntries: rootEntries, roomBytes: rootRoom(rootBase)(rootBlocks) };
  } else {
    const indexBlock = encodeIndexBlock({
      indexBlockSize: plan.indexRecordSize,
      vcn: 0,
      entries: [...rootEntries.sort(upcaseOrder).map((e) => e.entry), encodeEndIndexEntry(null)],
      leaf: true,
      usn: INDX_USN,
    });
    placed.push({ what: 'root $I30 index block', runs: indxRuns, bytes: indexBlock });
  }

  function addViewIndex(i: number, name: string, collationRule: number, entries: readonly IndexKeyData[]): void {
    addResident(
      i,
      ATTR_TYPE.INDEX_ROOT,
      name,
      encodeIndexRoot({
        type: 0,
        collationRule,
        indexBlockSize: plan.indexRecordSize,
        clusterSize: cs,
        entries: [...entries.map((e) => encodeViewIndexEntry(e.key, e.data, e.padding)), encodeEndIndexEntry(null)],
        large: false,
      }),
    );
  }

  // The copied tree's clusters, after every system file's.
  if (population) {
    const free = plan.clusterCount - alloc.extents().reduce((n, e) => n + Math.max(0, Math.min(e.lcn + e.length, plan.clusterCount) - e.lcn), 0);
    const needed = populationClusters(population, geometry);
    if (needed > free) throw contentTooLarge('NTFS', needed, free, cs, plan.volumeSizeBytes);
    allocatePopulation(population, geometry, alloc);
  }

  // $MFT: the 27 records, then (when a cluster holds more) empty records as mkntfs formats them. With a copied
  // tree only the records below FIRST_USER_RECORD are built here; the others are made as they are written.
  const headRecords = population ? FIRST_USER_RECORD : mftRecordCount;
  const mft = new Uint8Array(headRecords * rs);
  const mftBitmap = new Uint8Array(mftBitmapBytes);
  if (population) {
    for (let i = FIRST_USER_RECORD; i < FIRST_USER_RECORD + populatedRecordCount(population); i++) mftBitmap[i >> 3] |= 1 << (i & 7);
  }
  for (let i = 0; i < headRecords; i++) {
    const r = records[i];
    if (r?.inUse) mftBitmap[i >> 3] |= 1 << (i & 7);
    mft.set(
      encodeMftRecord({
        recordSize: rs,
        recordNumber: i,
        sequenceNumber: r ? r.sequenceNumber : i,
        linkCount: r ? r.linkCount : 0,
        flags: r ? (r.inUse ? MFT_RECORD_FLAG.IN_USE : 0) | r.flags : 0,
        nextAttrInstance: r ? r.nextInstance : 0,
        attributes: r ? r.attributes : [],
      }),
      i * rs,
    );
  }
  return {
    mft,
    mftRecordCount,
    mftBitmapRuns,
    population,
    upcase,
    rootIndex,
    mftClusters,
    mftBitmap,
    mftBitmapLcn,
    mftMirrClusters,
    bootClusters,
    logFileClusters,
    lcnBitmapBytes,
    lcnBitmapRuns,
    placed,
    allocated: alloc.extents(),
  };
}

/** Built once per plan object: planNtfs builds it to prove everything fits, and formatNtfs, handed the same plan
 *  by writeDisk, reuses it instead of building it (and its garbage) a second time. Pure: same plan, same value. */
const built = new WeakMap<NtfsPlan, SystemFiles>();

/** Everything the formatter writes, derived from the plan alone (also run by planNtfs to prove it fits). */
export function layoutVolume(plan: NtfsPlan): SystemFiles {
  let files = built.get(plan);
  if (!files) {
    files = buildSystemFiles(plan);
    built.set(plan, files);
  }
  return files;
}

/** Clusters in use on the volume the plan describes (system files and any copied tree). */
export function ntfsUsedClusters(plan: NtfsPlan): number {
  return layoutVolume(plan).allocated.reduce((n, e) => n + Math.max(0, Math.min(e.lcn + e.length, plan.clusterCount) - e.lcn), 0);
}
