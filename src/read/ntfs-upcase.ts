// The volume's own $UpCase (MFT record 10, 128 KiB): what its $I30 indexes are ordered by, so name lookups descend
// the index the way Windows sorted it. A volume whose table cannot be read gets the table mkntfs and Windows write.
import { ATTR_TYPE, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { buildUpcaseTable, UPCASE_TABLE_SIZE_BYTES } from '../fs/ntfs/upcase.js';
import { isGuestdiskError } from '../errors.js';
import { attributeSize, readAttributeBytes } from './ntfs-data.js';
import { findAttribute, type NtfsMft } from './ntfs-mft.js';

export async function readNtfsUpcase(mft: NtfsMft): Promise<Uint8Array> {
  try {
    const file = await mft.loadFile(SYSTEM_FILE.UP_CASE);
    const data = file && findAttribute(file, ATTR_TYPE.DATA);
    if (data && attributeSize(data) === UPCASE_TABLE_SIZE_BYTES) return await readAttributeBytes(mft.volume, mft.geometry.clusterSize, data, UPCASE_TABLE_SIZE_BYTES);
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
  }
  return buildUpcaseTable();
}
