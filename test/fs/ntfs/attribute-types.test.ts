import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ATTR_TYPE, COLLATION, FILE_ATTR, FILE_ATTR_VALID_FLAGS, MFT_RECORD_FLAG, NTFS_RECORD_SIGNATURE, SYSTEM_FILE,
} from '../../../src/fs/ntfs/attribute-types.js';
import { decodeAttrDef } from '../../../src/fs/ntfs/attrdef.js';
import { makeTempDir } from '../../helpers/tools.js';
import { run, text, mkntfsVolume } from './reference.js';

const tmp = makeTempDir('ntfs-attr-types-');
test.after(() => tmp.remove());



test('ATTR_TYPE: every name and code matches the $AttrDef mkntfs writes ("$" + name → type), END is 0xffffffff', () => {
  const defs = decodeAttrDef(run('ntfscat', [mkntfsVolume(tmp.path), '$AttrDef']));
  const fromVolume = Object.fromEntries(defs.map((d) => [d.name.slice(1), d.type]));
  const ours = Object.fromEntries(Object.entries(ATTR_TYPE).filter(([k]) => k !== 'END'));
  assert.equal(ours, fromVolume);
  assert.is(ATTR_TYPE.END, 0xffffffff);
});

test('attribute type codes sleuthkit prints for $Secure and the root match ATTR_TYPE', () => {
  const secure = text(run('istat', [mkntfsVolume(tmp.path), '9']));
  assert.match(secure, new RegExp(`\\$STANDARD_INFORMATION \\(${ATTR_TYPE.STANDARD_INFORMATION}-`));
  assert.match(secure, new RegExp(`\\$FILE_NAME \\(${ATTR_TYPE.FILE_NAME}-`));
  assert.match(secure, new RegExp(`\\$DATA \\(${ATTR_TYPE.DATA}-\\d+\\)\\s+Name: \\$SDS`));
  assert.match(secure, new RegExp(`\\$INDEX_ROOT \\(${ATTR_TYPE.INDEX_ROOT}-\\d+\\)\\s+Name: \\$SII`));
  const root = text(run('istat', [mkntfsVolume(tmp.path), String(SYSTEM_FILE.ROOT)]));
  assert.match(root, new RegExp(`\\$SECURITY_DESCRIPTOR \\(${ATTR_TYPE.SECURITY_DESCRIPTOR}-`));
  assert.match(root, new RegExp(`\\$INDEX_ALLOCATION \\(${ATTR_TYPE.INDEX_ALLOCATION}-\\d+\\)\\s+Name: \\$I30`));
  assert.match(root, new RegExp(`\\$BITMAP \\(${ATTR_TYPE.BITMAP}-\\d+\\)\\s+Name: \\$I30`));
  const volume = text(run('istat', [mkntfsVolume(tmp.path), String(SYSTEM_FILE.VOLUME)]));
  assert.match(volume, new RegExp(`\\$VOLUME_NAME \\(${ATTR_TYPE.VOLUME_NAME}-`));
  assert.match(volume, new RegExp(`\\$VOLUME_INFORMATION \\(${ATTR_TYPE.VOLUME_INFORMATION}-`));
});

test('FILE_ATTR values match the flags ntfsinfo decodes on mkntfs system files', () => {
  const flagsOf = (record: number): { names: string[]; value: number } => {
    const line = /File attributes:\s+([A-Z_0-9 ]*)\((0x[0-9a-f]+)\)/.exec(text(run('ntfsinfo', ['-i', String(record), mkntfsVolume(tmp.path)])));
    if (!line) throw new Error(`ntfsinfo -i ${record}: no file attributes line`);
    return { names: line[1].trim().split(/\s+/), value: Number(line[2]) };
  };
  assert.equal(flagsOf(SYSTEM_FILE.UP_CASE), { names: ['HIDDEN', 'SYSTEM'], value: FILE_ATTR.HIDDEN | FILE_ATTR.SYSTEM });
  assert.equal(flagsOf(SYSTEM_FILE.SECURE), { names: ['HIDDEN', 'SYSTEM', 'VIEW_INDEX'], value: FILE_ATTR.HIDDEN | FILE_ATTR.SYSTEM | FILE_ATTR.VIEW_INDEX_PRESENT });
  assert.equal(flagsOf(SYSTEM_FILE.ROOT).value, FILE_ATTR.HIDDEN | FILE_ATTR.SYSTEM | FILE_ATTR.ARCHIVE);
  assert.is(FILE_ATTR.I30_INDEX_PRESENT, 0x10000000);
  assert.is(FILE_ATTR_VALID_FLAGS & FILE_ATTR.DEVICE, 0, 'the valid mask excludes DEVICE');
});

test('record flags and signatures: $Secure is IN_USE | IS_VIEW_INDEX, "FILE" reads as NTFS_RECORD_SIGNATURE.FILE', () => {
  const mft = run('ntfscat', [mkntfsVolume(tmp.path), '$MFT']);
  const view = new DataView(mft.buffer, mft.byteOffset, mft.length);
  assert.is(view.getUint32(0, true), NTFS_RECORD_SIGNATURE.FILE);
  assert.is(view.getUint16(SYSTEM_FILE.SECURE * 1024 + 0x16, true), MFT_RECORD_FLAG.IN_USE | MFT_RECORD_FLAG.IS_VIEW_INDEX);
  assert.is(view.getUint16(SYSTEM_FILE.ROOT * 1024 + 0x16, true), MFT_RECORD_FLAG.IN_USE | MFT_RECORD_FLAG.IS_DIRECTORY);
  const root = run('icat', [mkntfsVolume(tmp.path), `${SYSTEM_FILE.ROOT}-${ATTR_TYPE.INDEX_ALLOCATION}`]);
  assert.is(new DataView(root.buffer, root.byteOffset).getUint32(0, true), NTFS_RECORD_SIGNATURE.INDX);
  const rootIndex = run('icat', [mkntfsVolume(tmp.path), `${SYSTEM_FILE.ROOT}-${ATTR_TYPE.INDEX_ROOT}`]);
  const rv = new DataView(rootIndex.buffer, rootIndex.byteOffset);
  assert.is(rv.getUint32(0, true), ATTR_TYPE.FILE_NAME, '$I30 indexes FILE_NAME');
  assert.is(rv.getUint32(4, true), COLLATION.FILE_NAME);
});

test.run();
