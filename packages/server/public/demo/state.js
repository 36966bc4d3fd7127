// The demo's page state, shared by its modules. `trtc` is the SDK client while in a room.

export const state = {
  config: { dev: false, sdkAppId: null },
  trtc: null,
  userId: '',
  userName: '',
  roomLabel: '',
  role: 'anchor',
  /** Devices picked in the pre-join check (undefined: the browser's default). */
  cameraId: undefined,
  microphoneId: undefined,
  micOn: false,
  camOn: false,
  micStarted: false,
  camStarted: false,
  sharing: false,
  busy: false,
  e2ee: false,
  /** userIds of remote users whose audio is available. */
  remoteAudio: new Set(),
  /** The room's conference-control state (ROOM_CONTROL_CHANGED). */
  control: null,
};

/** Whether this user is the room's owner or an admin (a host). */
export function isHost(userId = state.userId) {
  const c = state.control;
  return c !== null && (c.ownerId === userId || c.adminIds.includes(userId));
}

/** Whether the room is in on-stage mode and this user may not publish (not a host, not on a seat). */
export function offStage() {
  const c = state.control;
  return c !== null && c.maxSeats > 0 && !isHost() && !c.seats.some((s) => s.userId === state.userId);
}

/** The name to show for a user: its display name when it gave one. */
export function nameOf(userId) {
  if (userId === state.userId) return state.userName || userId;
  const user = state.trtc?.getUserList().find((u) => u.userId === userId);
  return user?.userName ?? userId;
}
