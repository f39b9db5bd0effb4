// $UpCase: the 64 Ki-entry upper-case table (work in progress; signatures fixed for the formatter).
import { GuestdiskError } from '../../errors.js';
const notYet = (what: string): never => { throw new GuestdiskError('NOT_IMPLEMENTED', `${what}: not yet`); };
export function buildUpcaseTable(): Uint8Array { return notYet('buildUpcaseTable'); }
export function buildUpcaseInfo(upcaseTable: Uint8Array): Uint8Array { void upcaseTable; return notYet('buildUpcaseInfo'); }
export function upcaseUnit(table: Uint8Array, unit: number): number { void table; void unit; return notYet('upcaseUnit'); }
export function compareNtfsNames(table: Uint8Array, a: string, b: string): number { void table; void a; void b; return notYet('compareNtfsNames'); }
