// Signs that Windows did not leave an NTFS volume cleanly: the dirty flag in $Volume, a $LogFile whose restart area
// is not marked clean (a crash, or Fast Startup's hybrid shutdown), a hibernation file with a live image. What is
// read may then be stale or half-written; reading goes on, with a warning (ntfs-3g refuses to mount such volumes
// read-write for the same reasons).
import { ATTR_TYPE, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeVolumeInformation, VOLUME_FLAG, VOLUME_INFORMATION } from '../fs/ntfs/attributes/volume-information.js';
import { decodeVolumeName } from '../fs/ntfs/attributes/volume-name.js';
import { decodeLogFileState } from '../fs/ntfs/logfile.js';
import { isGuestdiskError } from '../errors.js';
import { attributeSize, readAttributeBytes } from './ntfs-data.js';
import { findAttribute, type NtfsFile, type NtfsMft } from './ntfs-mft.js';
import type { VolumeWarning } from './types.js';

/** The restart page lies in the log's first 4 KiB. */
const LOGFILE_RESTART_BYTES = 4096;
/** hiberfil.sys signatures of a hibernated system ("hibr", and "HIBR" as Windows 8+ write it). */
const HIBERNATION_SIGNATURES = ['hibr', 'HIBR'];

export async function readNtfsWarnings(mft: NtfsMft, findInRoot: (name: string) => Promise<{ file: NtfsFile } | null>): Promise<{ label: string | null; warnings: VolumeWarning[] }> {
  const warnings: VolumeWarning[] = [];
  const cs = mft.geometry.clusterSize;
  let label: string | null = null;
  const volume = await mft.loadFile(SYSTEM_FILE.VOLUME);
  if (volume) {
    const name = findAttribute(volume, ATTR_TYPE.VOLUME_NAME);
    label = name?.resident ? decodeVolumeName(name.resident) : '';
    const info = findAttribute(volume, ATTR_TYPE.VOLUME_INFORMATION);
    if (info?.resident && info.resident.length >= VOLUME_INFORMATION.sizeBytes && (decodeVolumeInformation(info.resident).flags & VOLUME_FLAG.IS_DIRTY)) {
      warnings.push({ code: 'NTFS_DIRTY', message: 'the volume is marked dirty (Windows stopped without closing it, or found damage): Windows runs chkdsk before using it; what is read may be incomplete' });
    }
  }
  const log = await mft.loadFile(SYSTEM_FILE.LOG_FILE);
  const logData = log && findAttribute(log, ATTR_TYPE.DATA);
  if (logData && attributeSize(logData) >= LOGFILE_RESTART_BYTES) {
    try {
      const state = decodeLogFileState(await readAttributeBytes(mft.metadata, cs, logData, LOGFILE_RESTART_BYTES, 0, LOGFILE_RESTART_BYTES));
      if (state.kind === 'restart' && !state.clean) {
        warnings.push({ code: 'NTFS_LOGFILE_NOT_CLEAN', message: `$LogFile (version ${state.header.majorVer}.${state.header.minorVer}) is not marked clean: Windows was stopped with changes still in its journal (a crash, or Fast Startup); files may be stale until Windows mounts the volume again` });
      }
    } catch (e) {
      if (!isGuestdiskError(e)) throw e;
      warnings.push({ code: 'NTFS_LOGFILE_NOT_CLEAN', message: `$LogFile's restart page is unreadable (${e.message}): the journal state is unknown` });
    }
  }
  const hiberfil = await findInRoot('hiberfil.sys');
  const hiberData = hiberfil && findAttribute(hiberfil.file, ATTR_TYPE.DATA);
  if (hiberData && attributeSize(hiberData) >= 4) {
    const head = new TextDecoder('latin1').decode(await readAttributeBytes(mft.metadata, cs, hiberData, 4, 0, 4));
    if (HIBERNATION_SIGNATURES.includes(head)) {
      warnings.push({ code: 'NTFS_HIBERNATED', message: `hiberfil.sys holds a hibernated Windows ("${head}"): files changed since then are only in that image and the volume will be rolled back when Windows resumes` });
    }
  }
  return { label, warnings };
}
