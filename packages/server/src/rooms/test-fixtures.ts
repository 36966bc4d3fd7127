/** Shared set-up of the rooms/ tests: a movable clock, a directory on it, and an event log. */
import assert from 'node:assert/strict';
import { ConclaveError } from '@conclave/protocol';
import type { ErrorCode, Role, Scene } from '@conclave/protocol';
import { RoomDirectory } from './room-directory.ts';
import type { AdmitRequest, AdmitResult, RoomDirectoryOptions } from './room-directory.ts';
import type { RoomKey } from './room-key.ts';

/** A clock the test moves by hand. */
export class ManualClock {
  time = 1_700_000_000_000;
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Numeric room 123 of app 1400000001. */
export const ROOM: RoomKey = { sdkAppId: 1400000001, roomId: 123 };

/** A directory on a manual clock, recording every event as `name:detail`. */
export function setup(options: RoomDirectoryOptions = {}) {
  const clock = new ManualClock();
  const directory = new RoomDirectory({ now: clock.now, ...options });
  const events: string[] = [];
  directory.on('roomcreated', (room) => events.push(`roomcreated:${room.id}`));
  directory.on('roomclosed', (room) => events.push(`roomclosed:${room.id}`));
  directory.on('participantjoined', (_room, p) => events.push(`joined:${p.userId}`));
  directory.on('participantleft', (_room, p, reason) => events.push(`left:${p.userId}:${reason}`));
  directory.on('rolechanged', (_room, p, previous) => events.push(`role:${p.userId}:${previous}->${p.role}`));
  directory.on('streamadded', (_room, s) => events.push(`streamadded:${s.id}`));
  directory.on('streamremoved', (_room, s) => events.push(`streamremoved:${s.id}`));
  let sessions = 0;
  const admit = (userId: string, extra: Partial<AdmitRequest> & { role?: Role; scene?: Scene } = {}): AdmitResult =>
    directory.admit({
      key: ROOM,
      userId,
      role: 'anchor',
      scene: 'rtc',
      sessionId: `s${++sessions}`,
      privilegeControl: false,
      ...extra,
    });
  return { clock, directory, events, admit };
}

/** assert.throws for a ConclaveError with this code. */
export function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof ConclaveError && e.code === code);
}
