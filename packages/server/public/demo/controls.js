/* global navigator */
// The call's control bar: microphone, camera, screen share, raise hand, watch only / go on stage. Each action
// runs locked (one at a time); refusals (e.g. MEDIA_DISABLED_BY_HOST while the host muted everyone) are toasts.

import { $, describeError, toast } from './dom.js';
import { isHost, offStage, state } from './state.js';
import { ensureTile, getTile, removeTile, videoView } from './tiles.js';

export function initControls() {
  $('toggle-mic').addEventListener('click', () => guarded(toggleMic));
  $('toggle-cam').addEventListener('click', () => guarded(toggleCam));
  $('toggle-share').addEventListener('click', () => guarded(toggleShare));
  $('switch-role').addEventListener('click', () => guarded(switchRole));
  $('raise-hand').addEventListener('click', () => guarded(toggleHand));
}

/** Opens the camera and microphone chosen before joining (anchors). */
export async function startPublishing({ startCam, startMic }) {
  ensureTile('local', 'main');
  if (startCam) await startCamera();
  if (startMic) await startMic_();
  syncControls();
}

export async function startCamera() {
  try {
    await state.trtc.startLocalVideo({
      view: videoView('local', 'main'),
      option: { mirror: false, ...(state.cameraId ? { cameraId: state.cameraId } : {}) },
    });
    state.camStarted = true;
    state.camOn = true;
    getTile('local:main')?.classList.add('has-video');
  } catch (err) {
    state.camOn = false;
    toast('Camera not started', describeError(err), 'error');
  }
}

async function startMic_() {
  try {
    await state.trtc.startLocalAudio(state.microphoneId ? { option: { microphoneId: state.microphoneId } } : {});
    state.micStarted = true;
    state.micOn = true;
  } catch (err) {
    state.micOn = false;
    toast('Microphone not started', describeError(err), 'error');
  }
}
export { startMic_ as startMic };

/** DEVICE_CLOSED_BY_HOST: the SDK already released the capture; forget it here. */
export function deviceClosed(device) {
  if (device === 'microphone') Object.assign(state, { micStarted: false, micOn: false });
  if (device === 'camera') {
    Object.assign(state, { camStarted: false, camOn: false });
    getTile('local:main')?.classList.remove('has-video');
  }
  if (device === 'screen') {
    state.sharing = false;
    removeTile('local:sub');
  }
  syncControls();
}

async function toggleMic() {
  if (!state.micStarted) await startMic_();
  else {
    await state.trtc.updateLocalAudio({ mute: state.micOn });
    state.micOn = !state.micOn;
  }
}

async function toggleCam() {
  if (!state.camStarted) await startCamera();
  else {
    await state.trtc.updateLocalVideo({ mute: state.camOn });
    state.camOn = !state.camOn;
    getTile('local:main')?.classList.toggle('has-video', state.camOn);
  }
}

async function toggleShare() {
  if (state.sharing) {
    await state.trtc.stopScreenShare();
    state.sharing = false;
    removeTile('local:sub');
    return;
  }
  try {
    await state.trtc.startScreenShare({ view: videoView('local', 'sub') });
    state.sharing = true;
    getTile('local:sub')?.classList.add('has-video');
  } catch (err) {
    removeTile('local:sub');
    // Cancelling the browser's picker is a choice, not an error.
    if (err?.name !== 'NotAllowedError' && !/permission|denied|cancel/i.test(String(err?.message))) throw err;
  }
}

async function switchRole() {
  if (state.role === 'audience') {
    await state.trtc.switchRole('anchor');
    state.role = 'anchor';
    await startPublishing({ startCam: true, startMic: true });
    toast('You are on stage', 'Others can now see and hear you.');
  } else {
    await stopPublishing();
    await state.trtc.switchRole('audience');
    state.role = 'audience';
    toast('You left the stage', 'You are watching as audience.');
  }
}

async function toggleHand() {
  const raised = state.control?.raisedHands.includes(state.userId);
  if (raised) await state.trtc.lowerHand();
  else await state.trtc.raiseHand();
}

/** Stops every local stream (leaving the stage). */
export async function stopPublishing() {
  const trtc = state.trtc;
  if (state.sharing) await trtc.stopScreenShare().catch(() => {});
  if (state.camStarted) await trtc.stopLocalVideo().catch(() => {});
  if (state.micStarted) await trtc.stopLocalAudio().catch(() => {});
  Object.assign(state, { sharing: false, camStarted: false, micStarted: false, camOn: false, micOn: false });
  removeTile('local:main');
  removeTile('local:sub');
}

/** Runs a control action with the controls locked, reporting failures as toasts. */
export async function guarded(action) {
  if (state.busy) return;
  state.busy = true;
  syncControls();
  try {
    await action();
  } catch (err) {
    toast('That did not work', describeError(err), 'error');
  } finally {
    state.busy = false;
    syncControls();
  }
}

/** Brings every control button in line with the state. */
export function syncControls() {
  const anchor = state.role === 'anchor';
  const control = state.control;
  const seatMode = control !== null && control.maxSeats > 0;
  const waiting = offStage();
  setControl('toggle-mic', {
    on: state.micOn,
    icon: state.micOn ? 'i-mic' : 'i-mic-off',
    label: state.micOn ? 'Mute' : 'Unmute',
  });
  setControl('toggle-cam', {
    on: state.camOn,
    icon: state.camOn ? 'i-cam' : 'i-cam-off',
    label: state.camOn ? 'Stop video' : 'Start video',
  });
  setControl('toggle-share', { active: state.sharing, label: state.sharing ? 'Stop sharing' : 'Share screen' });
  setControl('switch-role', { label: anchor ? 'Watch only' : 'Go on stage' });
  const raised = control?.raisedHands.includes(state.userId) ?? false;
  setControl('raise-hand', { active: raised, label: raised ? 'Lower hand' : 'Raise hand' });
  for (const id of ['toggle-mic', 'toggle-cam', 'toggle-share']) {
    $(id).hidden = !anchor;
    $(id).disabled = state.busy || waiting;
    $(id).title = waiting ? 'On-stage mode: raise your hand to speak' : $(id).title;
  }
  $('toggle-share').hidden = !anchor || !navigator.mediaDevices?.getDisplayMedia;
  // In on-stage mode the stage is a seat the host gives; outside it, anyone may switch role.
  $('switch-role').hidden = seatMode && !isHost() && state.role === 'audience' && waiting;
  $('switch-role').disabled = state.busy;
  $('raise-hand').hidden = !seatMode || isHost() || !waiting;
  $('raise-hand').disabled = state.busy;
  $('leave').disabled = state.busy;
  getTile('local:main')?.classList.toggle('mic-muted', !state.micOn);
}

function setControl(id, { on, active, icon, label }) {
  const button = $(id);
  if (on !== undefined) {
    button.classList.toggle('off', !on);
    button.setAttribute('aria-pressed', String(on));
  }
  if (active !== undefined) {
    button.classList.toggle('active', active);
    button.setAttribute('aria-pressed', String(active));
  }
  if (icon) button.querySelector('use').setAttribute('href', `#${icon}`);
  button.querySelector('.ctl-label').textContent = label;
  button.title = label;
}
