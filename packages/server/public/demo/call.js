/* global window, history, location, navigator, URL, URLSearchParams, setInterval, clearInterval, setTimeout */
// Entering and leaving the room, and the SDK events that drive the call screen's panels.

import { chatOpened, clearChat, onTextMessage } from './chat.js';
import { deviceClosed, startCamera, startMic, startPublishing, syncControls } from './controls.js';
import { $, describeError, toast } from './dom.js';
import { renderPeople } from './people.js';
import { offStage, nameOf, state } from './state.js';
import { onNetworkQuality, resetStatus, setConnection, setSecurityCode, showE2ee } from './status.js';
import { ensureTile, getTile, layout, onVolumes, removeAllTiles, removeTile, renameTiles, videoView } from './tiles.js';

const KICK_REASONS = {
  banned: 'You were removed from the room.',
  room_disband: 'The room was closed.',
};
const DEVICE_NAMES = { microphone: 'microphone', camera: 'camera', screen: 'screen share' };
let peopleTimer;

export function initCall() {
  $('leave').addEventListener('click', () => leave('You left the room.'));
  $('copy-link').addEventListener('click', copyInviteLink);
  $('toggle-people').addEventListener('click', () => toggleSide('people'));
  $('toggle-chat').addEventListener('click', () => toggleSide('chat'));
  $('close-side').addEventListener('click', () => toggleSide(null));
  window.addEventListener('pagehide', () => state.trtc?.exitRoom().catch(() => {}));
}

/** Enters the room with the join form's choices; throws (after cleaning up) when it could not. */
export async function join(form, { sdkAppId, userSig }) {
  const TRTC = window.TRTC;
  const trtc = TRTC.create();
  Object.assign(state, {
    trtc,
    userId: form.userId,
    userName: form.userName,
    role: form.role,
    e2ee: form.e2ee,
    cameraId: form.cameraId,
    microphoneId: form.microphoneId,
    control: null,
    roomLabel: form.strRoomId !== undefined ? `Room “${form.strRoomId}”` : `Room ${form.roomId}`,
  });
  subscribe(trtc, TRTC.EVENT);
  trtc.enableAudioVolumeEvaluation(300);
  try {
    await trtc.enterRoom({
      sdkAppId,
      userId: form.userId,
      userSig,
      ...(form.strRoomId !== undefined ? { strRoomId: form.strRoomId } : { roomId: form.roomId }),
      role: form.role,
      scene: 'rtc',
      ...(form.userName ? { userName: form.userName } : {}),
      ...(form.e2ee ? { e2ee: { mode: 'managed' } } : {}),
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  state.control = trtc.getRoomControlState() ?? null;
  history.replaceState(null, '', inviteLink(form));
  showCallScreen();
  await showE2ee();
  if (state.role === 'anchor' && !offStage()) await startPublishing(form);
  else if (state.role === 'anchor' && offStage())
    toast('On-stage mode', 'Raise your hand to ask the host for a place on stage.', 'info', 8000);
  refresh();
}

function subscribe(trtc, E) {
  trtc.on(E.REMOTE_USER_ENTER, ({ userId, userName }) => {
    ensureTile(userId, 'main', userName);
    if (userName) renameTiles(userId, userName);
    refresh();
  });
  trtc.on(E.REMOTE_USER_EXIT, ({ userId }) => {
    state.remoteAudio.delete(userId);
    removeTile(`${userId}:main`);
    removeTile(`${userId}:sub`);
    // The SDK forgets the user right after this event: redraw the list once it did.
    setTimeout(refresh, 0);
  });
  trtc.on(E.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
    ensureTile(userId, streamType, nameOf(userId));
    trtc
      .startRemoteVideo({ userId, streamType, view: videoView(userId, streamType) })
      .then(() => getTile(`${userId}:${streamType}`)?.classList.add('has-video'))
      .catch((err) =>
        toast(
          `Could not show ${nameOf(userId)}'s ${streamType === 'sub' ? 'screen' : 'video'}`,
          describeError(err),
          'error',
        ),
      );
  });
  trtc.on(E.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
    trtc.stopRemoteVideo({ userId, streamType }).catch(() => {});
    if (streamType === 'sub') removeTile(`${userId}:sub`);
    else getTile(`${userId}:main`)?.classList.remove('has-video');
  });
  trtc.on(E.REMOTE_AUDIO_AVAILABLE, ({ userId }) => {
    state.remoteAudio.add(userId);
    ensureTile(userId, 'main', nameOf(userId)).classList.remove('mic-muted');
    refresh();
  });
  trtc.on(E.REMOTE_AUDIO_UNAVAILABLE, ({ userId }) => {
    state.remoteAudio.delete(userId);
    getTile(`${userId}:main`)?.classList.add('mic-muted');
    refresh();
  });
  trtc.on(E.AUDIO_VOLUME, ({ result }) => onVolumes(result));
  trtc.on(E.NETWORK_QUALITY, onNetworkQuality);
  trtc.on(E.CONNECTION_STATE_CHANGED, ({ state: connection }) => setConnection(connection));
  trtc.on(E.SCREEN_SHARE_STOPPED, () => deviceClosed('screen'));
  trtc.on(E.ROOM_CONTROL_CHANGED, onControlChanged);
  trtc.on(E.DEVICE_CLOSED_BY_HOST, ({ device, userId }) => {
    deviceClosed(device);
    if (userId) toast(`${nameOf(userId)} turned off your ${DEVICE_NAMES[device]}`, '', 'warn', 6000);
    refresh();
  });
  trtc.on(E.DEVICE_OPEN_REQUEST, ({ userId, device, accept, reject }) =>
    toast(`${nameOf(userId)} asks you to turn on your ${DEVICE_NAMES[device]}`, '', 'warn', 60_000, [
      {
        label: 'Turn on',
        primary: true,
        onClick: () =>
          accept()
            .then(() => becomeAnchor())
            .then(() => (device === 'microphone' ? startMic() : startCamera()))
            .then(refresh)
            .catch((err) => toast('That did not work', describeError(err), 'error')),
      },
      { label: 'Not now', onClick: () => reject().catch(() => {}) },
    ]),
  );
  trtc.on(E.DEVICE_OPEN_REQUEST_ANSWERED, ({ userId, device, accepted }) =>
    toast(`${nameOf(userId)} ${accepted ? 'accepted' : 'declined'}`, `Request to turn on the ${DEVICE_NAMES[device]}.`),
  );
  trtc.on(E.TEXT_MESSAGE, onTextMessage);
  trtc.on(E.E2EE_SECURITY_CODE_CHANGED, ({ code }) => setSecurityCode(code));
  trtc.on(E.E2EE_PEER_KEY_CHANGED, ({ userId }) =>
    toast(`${nameOf(userId)}'s encryption key changed`, 'Compare the security code before trusting it.', 'warn', 10000),
  );
  trtc.on(E.KICKED_OUT, ({ reason, message }) => {
    toast('Removed from the room', KICK_REASONS[reason] ?? message ?? `Reason: ${reason}`, 'error', 10000);
    teardown().then(showJoinScreen);
  });
  trtc.on(E.AUTOPLAY_FAILED, ({ userId, resume }) =>
    toast(`The browser blocked ${nameOf(userId)}'s audio`, '', 'warn', 15000, [
      { label: 'Play audio', primary: true, onClick: () => resume().catch(() => {}) },
    ]),
  );
  trtc.on(E.ERROR, (err) => toast('Something went wrong', describeError(err), 'error'));
}

/** ROOM_CONTROL_CHANGED: tell the user what changed for them, then redraw. */
function onControlChanged(control) {
  const before = state.control;
  state.control = control;
  const seatedNow = control.seats.some((s) => s.userId === state.userId);
  const seatedBefore = before?.seats.some((s) => s.userId === state.userId) ?? false;
  if (before && control.maxSeats > 0 && seatedNow && !seatedBefore) onStage();
  else if (before && before.maxSeats > 0 && seatedBefore && !seatedNow && control.maxSeats > 0)
    toast('You are off stage', 'Raise your hand to speak again.', 'info');
  if (before && before.maxSeats === 0 && control.maxSeats > 0 && offStage())
    toast('On-stage mode', 'Only people on stage can speak. Raise your hand to ask.', 'info', 8000);
  if (before && !before.disabled.microphone && control.disabled.microphone && !isHostNow(control))
    toast('The host muted everyone', 'You can unmute when the host allows it.', 'warn');
  refresh();
}

function isHostNow(control) {
  return control.ownerId === state.userId || control.adminIds.includes(state.userId);
}

/** An audience member switches to anchor before opening a device (a host asked, or a seat was given). */
async function becomeAnchor() {
  if (state.role !== 'audience') return;
  await state.trtc.switchRole('anchor');
  state.role = 'anchor';
  ensureTile('local', 'main');
}

/** Given a seat: become an anchor (seats do not change TRTC roles) and offer to open the devices. */
async function onStage() {
  try {
    await becomeAnchor();
    ensureTile('local', 'main');
    toast('You are on stage', 'Turn on your microphone or camera to speak.', 'info', 8000);
  } catch (err) {
    toast('Could not go on stage', describeError(err), 'error');
  }
  refresh();
}

/** Redraws what depends on the room's users and control state. */
function refresh() {
  syncControls();
  renderPeople();
  updateCounts();
  layout();
}

function updateCounts() {
  const people = state.trtc?.getUserList().length ?? 1;
  $('participant-count').textContent =
    `${people} ${people === 1 ? 'person' : 'people'}${state.role === 'audience' ? ' · watching as audience' : ''}`;
}

function toggleSide(tab) {
  const side = $('side');
  const open = tab !== null && (side.hidden || side.dataset.tab !== tab);
  side.hidden = !open;
  if (open) side.dataset.tab = tab;
  $('people-panel').hidden = !open || tab !== 'people';
  $('chat-panel').hidden = !open || tab !== 'chat';
  $('toggle-people').classList.toggle('active', open && tab === 'people');
  $('toggle-chat').classList.toggle('active', open && tab === 'chat');
  if (open && tab === 'chat') {
    chatOpened();
    $('chat-input').focus();
  }
  layout();
}

async function leave(message) {
  if (!state.trtc) return;
  await teardown();
  showJoinScreen();
  if (message) toast(message, '');
}

/** Leaves the room (if in one) and forgets everything about it. */
export async function teardown() {
  const trtc = state.trtc;
  state.trtc = null;
  clearInterval(peopleTimer);
  if (trtc) {
    await trtc.exitRoom().catch(() => {});
    try {
      await trtc.destroy();
    } catch {
      // Already destroyed (e.g. after KICKED_OUT): nothing left to release.
    }
  }
  removeAllTiles();
  state.remoteAudio.clear();
  Object.assign(state, {
    sharing: false,
    camStarted: false,
    micStarted: false,
    micOn: false,
    camOn: false,
    control: null,
  });
  renderPeople();
  clearChat();
  resetStatus();
}

function showCallScreen() {
  $('join-screen').hidden = true;
  $('call-screen').hidden = false;
  $('room-label').textContent = state.roomLabel;
  setConnection('CONNECTED');
  // Audience members enter without an event: look at the user list now and then.
  peopleTimer = setInterval(() => {
    renderPeople();
    updateCounts();
  }, 2000);
  refresh();
}

function showJoinScreen() {
  $('call-screen').hidden = true;
  $('join-screen').hidden = false;
  window.dispatchEvent(new window.Event('conclave:left'));
}

async function copyInviteLink() {
  const link = new URL(location.href);
  link.searchParams.delete('userId');
  try {
    await navigator.clipboard.writeText(link.href);
    toast('Invite link copied', 'Anyone who opens it joins this room.');
  } catch {
    toast('Invite link', link.href, 'info', 10000);
  }
}

function inviteLink(form) {
  const params = new URLSearchParams({ room: form.strRoomId ?? String(form.roomId) });
  if (form.strRoomId !== undefined && /^\d+$/.test(form.strRoomId)) params.set('str', '1');
  if (form.e2ee) params.set('e2ee', '1');
  return `${location.pathname}?${params}`;
}
