/**
 * Advanced permission control (trtc.md §2): when an app turns it on, a PrivateMapKey's privilege bits govern
 * entering, switching role, publishing and receiving. The caller verifies the token; these checks only read
 * the bitmap. When the app has it off, nothing here is enforced.
 */
import { ConclaveError } from '@conclave/protocol';
import type { MediaKind, StreamType } from '@conclave/protocol';
import { PrivilegeBits, requirePrivilege } from '../auth/index.ts';
import type { PrivilegeBit } from '../auth/index.ts';

/** Throws PRIVATE_MAP_KEY_REQUIRED when control is on and no privileges came with the request. */
export function requirePrivateMapKey(control: boolean, privileges: number | undefined): void {
  if (control && privileges === undefined) throw new ConclaveError('PRIVATE_MAP_KEY_REQUIRED');
}

/** Entering needs EnterRoom, and also CreateRoom when the room does not exist yet. */
export function checkEntry(control: boolean, privileges: number | undefined, creatingRoom: boolean): void {
  requirePrivateMapKey(control, privileges);
  if (!control || privileges === undefined) return;
  requirePrivilege(privileges, PrivilegeBits.EnterRoom);
  if (creatingRoom) requirePrivilege(privileges, PrivilegeBits.CreateRoom);
}

/**
 * switchRole must carry a fresh PrivateMapKey (TRTC's rule); it must still allow being in the room. What the
 * new role may publish or receive is then decided by its send/receive bits at publish and receive time.
 */
export function checkRoleSwitch(control: boolean, privileges: number | undefined): void {
  requirePrivateMapKey(control, privileges);
  if (control && privileges !== undefined) requirePrivilege(privileges, PrivilegeBits.EnterRoom);
}

/** The bit that allows publishing a stream: a sub stream (screen share, with its audio if any) needs SendSubStream. */
export function sendPrivilegeFor(kind: MediaKind, streamType: StreamType): PrivilegeBit {
  if (streamType === 'sub') return PrivilegeBits.SendSubStream;
  return kind === 'audio' ? PrivilegeBits.SendAudio : PrivilegeBits.SendVideo;
}

/** The bit that allows receiving a stream. */
export function receivePrivilegeFor(kind: MediaKind, streamType: StreamType): PrivilegeBit {
  if (streamType === 'sub') return PrivilegeBits.ReceiveSubStream;
  return kind === 'audio' ? PrivilegeBits.ReceiveAudio : PrivilegeBits.ReceiveVideo;
}

/** Throws PRIVILEGE_MISSING when control is on and `privileges` lacks `bit`. */
export function checkPrivilege(control: boolean, privileges: number | undefined, bit: PrivilegeBit): void {
  if (!control) return;
  requirePrivilege(privileges ?? 0, bit);
}
