// `guestdisk inspect` (owned by the inspect/verify work; this stub answers "not implemented").
import { GuestdiskError } from '../errors.js';
import type { CliIo } from './create.js';

export interface InspectOptions { json?: boolean; sectorSize?: string }

export async function runInspect(target: string, options: InspectOptions, io: CliIo): Promise<number> {
  void target; void options; void io;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'inspect is not implemented yet');
}
