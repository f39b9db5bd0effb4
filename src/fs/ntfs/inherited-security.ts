// The security descriptors Windows gives new files and directories on a data volume: what the root directory's
// inheritable ACEs become in a child (MS-DTYP §2.5.3.4.1 "ComputeACL" / "ContainerInheritACEs"; the root descriptor is
// secure.ts rootDescriptor, as Windows' Disk Management formats it). Each is stored once in $Secure:$SDS and named by
// its security id in every copied file's $STANDARD_INFORMATION, as Windows does for files it creates.
//
// A file gets, for every root ACE with OBJECT_INHERIT, that ACE with its generic rights mapped to file rights
// (FILE_GENERIC_READ/WRITE/EXECUTE, FILE_ALL_ACCESS) and the INHERITED flag; a directory gets, for every ACE with
// CONTAINER_INHERIT, the mapped effective ACE and, because the mask is generic, an inherit-only copy that keeps
// passing it down (what Windows shows as "(I)(F)" then "(I)(OI)(CI)(IO)(F)"). Control: DACL_AUTO_INHERITED, as
// Windows sets on inherited DACLs. Owner: BUILTIN\Administrators, group: SYSTEM — what Windows records when an
// administrator's process creates the file and the volume belongs to no machine's user accounts.
import { ACCESS, ACE_FLAG, SE, SECURITY_DESCRIPTOR_REVISION, SID_BUILTIN_ADMINISTRATORS, SID_LOCAL_SYSTEM, tightAcl, type Ace, type SecurityDescriptor } from './security-descriptor.js';
import { FIRST_SECURITY_ID, defaultSharedDescriptors, rootDescriptor } from './secure.js';

/** Security ids of the two descriptors, after mkntfs's 0x100 and 0x101. */
export const COPIED_FILE_SECURITY_ID = FIRST_SECURITY_ID + 2;
export const COPIED_DIRECTORY_SECURITY_ID = FIRST_SECURITY_ID + 3;

/** MS-DTYP §2.4.3 generic rights and their file mapping (FILE_GENERIC_* in winnt.h). */
const { GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL } = ACCESS;
const FILE_GENERIC_READ = 0x00120089;
const FILE_GENERIC_WRITE = 0x00120116;
const FILE_GENERIC_EXECUTE = 0x001200a0;
const FILE_ALL_ACCESS = 0x001f01ff;
const GENERIC_BITS = GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL;

function mapGeneric(mask: number): number {
  let out = mask & ~GENERIC_BITS;
  if (mask & GENERIC_READ) out |= FILE_GENERIC_READ;
  if (mask & GENERIC_WRITE) out |= FILE_GENERIC_WRITE;
  if (mask & GENERIC_EXECUTE) out |= FILE_GENERIC_EXECUTE;
  if (mask & GENERIC_ALL) out |= FILE_ALL_ACCESS;
  return out >>> 0;
}

function inheritedAces(container: boolean): Ace[] {
  const root = rootDescriptor();
  const out: Ace[] = [];
  const inheritFlags = ACE_FLAG.OBJECT_INHERIT | ACE_FLAG.CONTAINER_INHERIT;
  for (const ace of root.dacl?.aces ?? []) {
    if (!('sid' in ace)) continue;
    const wanted = container ? ACE_FLAG.CONTAINER_INHERIT : ACE_FLAG.OBJECT_INHERIT;
    if (!(ace.flags & wanted)) continue;
    out.push({ type: ace.type, flags: ACE_FLAG.INHERITED, mask: mapGeneric(ace.mask), sid: ace.sid });
    if (container && ace.mask & GENERIC_BITS && !(ace.flags & ACE_FLAG.NO_PROPAGATE_INHERIT)) {
      out.push({ type: ace.type, flags: ACE_FLAG.INHERITED | ACE_FLAG.INHERIT_ONLY | (ace.flags & inheritFlags), mask: ace.mask >>> 0, sid: ace.sid });
    }
  }
  return out;
}

function inheritedDescriptor(container: boolean): SecurityDescriptor {
  return {
    revision: SECURITY_DESCRIPTOR_REVISION,
    control: SE.SELF_RELATIVE | SE.DACL_PRESENT | SE.DACL_AUTO_INHERITED,
    owner: SID_BUILTIN_ADMINISTRATORS,
    group: SID_LOCAL_SYSTEM,
    sacl: null,
    dacl: tightAcl(inheritedAces(container)),
  };
}

/** $Secure's descriptors on a volume holding a copied tree: mkntfs's two, then the file and directory ones. */
export function copySharedDescriptors(): readonly { readonly securityId: number; readonly descriptor: SecurityDescriptor }[] {
  return [
    ...defaultSharedDescriptors(),
    { securityId: COPIED_FILE_SECURITY_ID, descriptor: inheritedDescriptor(false) },
    { securityId: COPIED_DIRECTORY_SECURITY_ID, descriptor: inheritedDescriptor(true) },
  ];
}

