// $AttrDef (work in progress; signatures fixed for the formatter).
import { GuestdiskError } from '../../errors.js';
export function buildAttrDef(): Uint8Array { throw new GuestdiskError('NOT_IMPLEMENTED', 'buildAttrDef: not yet'); }
