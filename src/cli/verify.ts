// `guestdisk verify` (owned by the inspect/verify work; this stub answers "not implemented").
import { GuestdiskError } from '../errors.js';
import type { CliIo } from './create.js';

export interface VerifyOptions { json?: boolean; sectorSize?: string; expectTable?: string; expectFs?: string; expectLabel?: string }

export async function runVerify(target: string, options: VerifyOptions, io: CliIo): Promise<number> {
  void target; void options; void io;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'verify is not implemented yet');
}
