// Every security id a file's $STANDARD_INFORMATION names (gathered on the MFT walk, ntfs-secure-facts.ts) must be a
// key of $Secure:$SII, and the $SDS entry that $SII entry points at must carry the same id and hash. $SII is
// walked once, a node at a time (root, then each INDX block through $INDEX_ALLOCATION); only the ids files use
// are looked up in $SDS, with one small read each.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, INDEX_ENTRY_FLAG, INDEX_NAME, STREAM_NAME, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { splitIndexEntries, VIEW_INDEX_ENTRY_HEADER } from '../fs/ntfs/index-entry.js';
import { decodeIndexBlock, decodeIndexRoot } from '../fs/ntfs/index-node.js';
import { decodeMftRecord } from '../fs/ntfs/mft-record.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import { SECURITY_DESCRIPTOR_HEADER, SII_INDEX_KEY, type SecurityDescriptorHeader } from '../fs/ntfs/secure.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';
import { MAX_EXAMPLES, mftWalkOf, type MftWalk } from './ntfs-mft-walk.js';
import { errText, loadedRecord, MAX_RUNS, readStream, runsOf, S, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** $SII is a B+ tree a few levels deep; deeper is a loop in damaged data. */
const MAX_SII_DEPTH = 16;
const MAX_NODE_ENTRIES = 8192;

/** $Secure's attributes named `name`, from its base record and any extension records. */
async function secureAttributes(sf: NtfsSystemFiles, walk: MftWalk, name: string): Promise<DecodedAttribute[]> {
  const out = (loadedRecord(sf, SYSTEM_FILE.SECURE)?.attrs ?? []).filter((a) => a.name === name);
  for (const n of walk.extensionsOf.get(SYSTEM_FILE.SECURE) ?? []) {
    const bytes = await sf.readRecord(n);
    if (!bytes) continue;
    const { header, record } = decodeMftRecord(bytes, sf.g.mftRecordSize);
    out.push(...decodeAttributes(record, header.attrsOffset, header.bytesInUse).filter((a) => a.name === name));
  }
  return out;
}

/** The runs of an attribute split over several records, in VCN order. */
function joinedRuns(pieces: readonly DecodedAttribute[]): Run[] {
  return [...pieces].sort((a, b) => a.nonResident!.header.lowestVcn - b.nonResident!.header.lowestVcn)
    .flatMap((a) => decodeRunlist(a.nonResident!.mappingPairs, MAX_RUNS));
}

/** Calls `visit` with every $SII entry's data (the $SDS header it indexes), in key order. */
async function walkSii(sf: NtfsSystemFiles, walk: MftWalk, visit: (key: number, data: SecurityDescriptorHeader) => void): Promise<void> {
  const attrs = await secureAttributes(sf, walk, INDEX_NAME.SII);
  const rootAttr = attrs.find((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.resident);
  if (!rootAttr?.resident) throw new GuestdiskError('CORRUPT_STRUCTURE', 'no resident $SII index root');
  const root = decodeIndexRoot(rootAttr.resident.value);
  const blockSize = root.root.indexBlockSize;
  const vcnBytes = blockSize >= sf.g.clusterSize ? sf.g.clusterSize : 512;
  const allocation = attrs.filter((a) => a.type === ATTR_TYPE.INDEX_ALLOCATION && a.nonResident);
  const runs = allocation.length > 0 ? joinedRuns(allocation) : [];
  const visited = new Set<number>();
  const walkNode = async (entries: Uint8Array, depth: number): Promise<void> => {
    if (depth > MAX_SII_DEPTH) throw new GuestdiskError('CORRUPT_STRUCTURE', `$SII deeper than ${MAX_SII_DEPTH} levels`);
    for (const entry of splitIndexEntries(entries, MAX_NODE_ENTRIES)) {
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.NODE) {
        const vcn = Number(new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.length).getBigUint64(entry.bytes.length - 8, true));
        if (!Number.isSafeInteger(vcn) || visited.has(vcn)) throw new GuestdiskError('CORRUPT_STRUCTURE', `$SII block at VCN ${vcn} is reached twice or cannot exist`);
        visited.add(vcn);
        const bytes = runs.length > 0 ? await readStream(sf.volume, runs, sf.g.clusterSize, vcn * vcnBytes, blockSize) : null;
        if (!bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', `$SII block at VCN ${vcn} is not mapped by $INDEX_ALLOCATION`);
        await walkNode(decodeIndexBlock(bytes, blockSize).entries, depth + 1);
      }
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.END) return;
      const view = VIEW_INDEX_ENTRY_HEADER.decode(entry.bytes);
      const keyEnd = VIEW_INDEX_ENTRY_HEADER.sizeBytes + SII_INDEX_KEY.sizeBytes;
      const dataEnd = view.dataOffset + SECURITY_DESCRIPTOR_HEADER.sizeBytes;
      if (view.keyLength < SII_INDEX_KEY.sizeBytes || keyEnd > entry.bytes.length || dataEnd > entry.bytes.length) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `an $SII entry of ${entry.bytes.length} bytes has no room for its key and data`);
      }
      visit(SII_INDEX_KEY.decode(entry.bytes.subarray(VIEW_INDEX_ENTRY_HEADER.sizeBytes)).securityId, SECURITY_DESCRIPTOR_HEADER.decode(entry.bytes.subarray(view.dataOffset)));
    }
  };
  await walkNode(root.entries, 0);
}

/** Why the $SDS entry `sii` points at is not the descriptor of security id `id`, or null. */
async function sdsProblem(sf: NtfsSystemFiles, sdsRuns: readonly Run[] | null, id: number, sii: SecurityDescriptorHeader): Promise<string | null> {
  if (sii.securityId !== id) return `its $SII entry carries security id ${sii.securityId}`;
  const head = sdsRuns ? await readStream(sf.volume, sdsRuns, sf.g.clusterSize, sii.offset, SECURITY_DESCRIPTOR_HEADER.sizeBytes) : null;
  if (!head) return `$SDS has no entry at offset ${sii.offset}`;
  const sds = SECURITY_DESCRIPTOR_HEADER.decode(head);
  if (sds.securityId !== id || sds.hash !== sii.hash || sds.offset !== sii.offset) {
    return `the $SDS entry at offset ${sii.offset} is security id ${sds.securityId} (hash 0x${sds.hash.toString(16)}), $SII says ${id} (hash 0x${sii.hash.toString(16)})`;
  }
  return null;
}

function listed(items: readonly string[], count: number): string {
  return `${items.join('; ')}${count > MAX_EXAMPLES ? ` and ${count - MAX_EXAMPLES} more` : ''}`;
}

/** Every security id files name is in $Secure:$SII, and its $SDS entry is that descriptor. */
export async function checkSecurityIds(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  if (!loadedRecord(sf, SYSTEM_FILE.SECURE)) return []; // the system-file checks report a missing $Secure
  const walk = await mftWalkOf(sf);
  const used = walk.observed.securityIds;
  if (used.size === 0) return [];
  const found = new Map<number, SecurityDescriptorHeader>();
  try {
    await walkSii(sf, walk, (key, data) => {
      if (used.has(key) && !found.has(key)) found.set(key, data);
    });
  } catch (e) {
    return [reportFinding('NTFS_SECURE_INDEX_BAD', { structure: S, field: '$Secure:$SII', actual: errText(e),
      message: `$Secure's $SII index cannot be walked (${errText(e)}): no file's permissions can be looked up; chkdsk rebuilds $Secure` })];
  }
  let sdsRuns: Run[] | null;
  try {
    sdsRuns = runsOf((await secureAttributes(sf, walk, STREAM_NAME.SDS)).find((a) => a.type === ATTR_TYPE.DATA));
  } catch (e) {
    errText(e);
    sdsRuns = null; // NTFS_SECURE_SDS reports an unreadable $SDS
  }
  const unknown: string[] = [];
  const missing: string[] = [];
  let unknownCount = 0;
  let missingCount = 0;
  for (const [id, use] of [...used].sort((a, b) => a[0] - b[0])) {
    const sii = found.get(id);
    const what = `security id ${id} (${use.count} files, the first record ${use.first})`;
    if (!sii) {
      if (unknownCount++ < MAX_EXAMPLES) unknown.push(what);
      continue;
    }
    const problem = await sdsProblem(sf, sdsRuns, id, sii);
    if (problem !== null && missingCount++ < MAX_EXAMPLES) missing.push(`${what}: ${problem}`);
  }
  const out: InspectFinding[] = [];
  if (unknownCount > 0) {
    out.push(reportFinding('NTFS_SECURITY_ID_UNKNOWN', { structure: S, field: '$STANDARD_INFORMATION security id', actual: listed(unknown, unknownCount),
      message: `${unknownCount} security ids that files name are not in $Secure:$SII (${unknown[0]}): Windows cannot find those files' permissions; chkdsk gives them the default security id` }));
  }
  if (missingCount > 0) {
    out.push(reportFinding('NTFS_SECURITY_DESCRIPTOR_MISSING', { structure: S, field: '$Secure:$SDS', actual: listed(missing, missingCount),
      message: `${missingCount} security ids that files name lead to no matching descriptor in $Secure:$SDS (${missing[0]}): those files get wrong or no permissions; chkdsk rebuilds $Secure` }));
  }
  return out;
}
