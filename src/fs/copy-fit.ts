// Shared by the filesystems' content planners: the error for a tree that does not fit, naming how much is missing.
import { GuestdiskError } from '../errors.js';

export function contentTooLarge(fs: string, neededClusters: number, freeClusters: number, clusterSize: number, volumeSizeBytes: number): GuestdiskError {
  const missing = (neededClusters - freeClusters) * clusterSize;
  return new GuestdiskError(
    'TARGET_TOO_SMALL',
    `${fs}: the files to copy need ${neededClusters} clusters of ${clusterSize} bytes (directories included), the volume has ${freeClusters} free: ` +
      `${missing} bytes more are needed; give a larger --size (or --size +HEADROOM to size the disk from its content)`,
    { neededClusters, freeClusters, clusterSize, volumeSizeBytes, missingBytes: missing },
  );
}
