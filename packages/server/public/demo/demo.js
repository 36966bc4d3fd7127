/* global window, document, navigator, location, history, fetch, crypto, ResizeObserver, setTimeout, clearTimeout, URL, URLSearchParams, TextEncoder */
// Conclave demo page: a small video-call UI on the TRTC Web SDK v5 API (window.TRTC from /sdk/trtc.js).
// Plain browser JavaScript, no build step, no framework.

const $ = (id) => document.getElementById(id);

const MAX_ROOM_ID = 4294967294;
const USER_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const SPEAKING_VOLUME = 8; // AUDIO_VOLUME is 0..100; below this is background noise.
const AVATAR_COLORS = ['#4f6bff', '#e5484d', '#30a46c', '#f5a524', '#8e4ec6', '#0091ff', '#d6409f', '#12a594'];
const CONNECTION_LABELS = {
  DISCONNECTED: 'Disconnected',
  CONNECTING: 'Connecting…',
  CONNECTED: 'Connected',
  RECONNECTING: 'Reconnecting…',
};
const KICK_REASONS = {
  kick: 'You joined this room somewhere else (another tab or device), so this session was closed.',
  banned: 'You were removed from the room.',
  room_disband: 'The room was closed.',
};

/** Page state. `trtc` is the SDK client while in a room. */
const state = {
  config: { dev: false, sdkAppId: null },
  trtc: null,
  userId: '',
  roomLabel: '',
  role: 'anchor',
  micOn: true,
  camOn: true,
  micStarted: false,
  camStarted: false,
  sharing: false,
  busy: false,
  /** key (`local:main`, `<userId>:sub`, …) → tile element. */
  tiles: new Map(),
  /** userIds of remote users in the room. */
  remoteUsers: new Set(),
};

// ---------------------------------------------------------------- start-up

init().catch((err) => showJoinError(`The page failed to start: ${describeError(err)}`));

async function init() {
  const params = new URLSearchParams(location.search);
  const room = params.get('room');
  $('room-id').value = room ?? String(100000 + randomInt(900000));
  $('room-is-string').checked = params.get('str') === '1' || (room !== null && !isNumericRoom(room));
  // A fresh id per tab: two tabs with one userId would kick each other out (TRTC semantics).
  $('user-id').value = params.get('userId') ?? randomUserId();

  $('join-form').addEventListener('submit', onJoinSubmit);
  $('room-id').addEventListener('input', syncRoomKind);
  for (const radio of document.querySelectorAll('input[name="role"]'))
    radio.addEventListener('change', syncRoleOptions);
  $('toggle-mic').addEventListener('click', () => guarded(toggleMic));
  $('toggle-cam').addEventListener('click', () => guarded(toggleCam));
  $('toggle-share').addEventListener('click', () => guarded(toggleShare));
  $('switch-role').addEventListener('click', () => guarded(switchRole));
  $('leave').addEventListener('click', () => guarded(() => leave('You left the room.')));
  $('copy-link').addEventListener('click', copyInviteLink);
  new ResizeObserver(layoutGrid).observe($('stage'));
  window.addEventListener('pagehide', () => state.trtc?.exitRoom().catch(() => {}));
  syncRoomKind();
  syncRoleOptions();

  state.config = await fetchJson('/demo/config.json');
  $('dev-banner').hidden = !state.config.dev;
  $('credentials').hidden = state.config.dev;
  if (!state.config.dev && state.config.sdkAppId !== null) $('sdk-app-id').value = String(state.config.sdkAppId);
  if (!window.TRTC) {
    showJoinError('The browser SDK is not available at /sdk/trtc.js. Build it with `npm run build:client` and reload.');
  }
}

function syncRoomKind() {
  const value = $('room-id').value.trim();
  const forced = value !== '' && !/^\d+$/.test(value);
  if (forced) $('room-is-string').checked = true;
  $('room-is-string').disabled = forced;
}

function syncRoleOptions() {
  const anchor = document.querySelector('input[name="role"]:checked').value === 'anchor';
  $('device-options').hidden = !anchor;
}

// ---------------------------------------------------------------- joining

async function onJoinSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  hideJoinError();
  const form = readJoinForm();
  if (!form) return;

  const TRTC = window.TRTC;
  if (!TRTC) {
    showJoinError('The browser SDK is not available at /sdk/trtc.js. Build it with `npm run build:client` and reload.');
    return;
  }

  setJoining(true);
  try {
    const { sdkAppId, userSig } = state.config.dev ? await fetchDevUserSig(form.userId) : form;
    const trtc = TRTC.create();
    state.trtc = trtc;
    state.userId = form.userId;
    state.role = form.role;
    state.micOn = form.role === 'anchor' && form.startMic;
    state.camOn = form.role === 'anchor' && form.startCam;
    state.roomLabel = form.strRoomId !== undefined ? `Room “${form.strRoomId}”` : `Room ${form.roomId}`;
    subscribe(trtc, TRTC);
    trtc.enableAudioVolumeEvaluation(300);

    await trtc.enterRoom({
      sdkAppId,
      userId: form.userId,
      userSig,
      ...(form.strRoomId !== undefined ? { strRoomId: form.strRoomId } : { roomId: form.roomId }),
      role: form.role,
      scene: 'rtc',
    });
    history.replaceState(null, '', inviteLink(form));
    showCallScreen();
    if (state.role === 'anchor') await startPublishing();
  } catch (err) {
    await teardown();
    showJoinScreen();
    showJoinError(`Could not join: ${describeError(err)}`);
  } finally {
    setJoining(false);
  }
}

/** Validates the join form; shows what is wrong and returns undefined when it is not usable. */
function readJoinForm() {
  const roomText = $('room-id').value.trim();
  const userId = $('user-id').value.trim();
  const role = document.querySelector('input[name="role"]:checked').value;
  const asString = $('room-is-string').checked;
  const form = { userId, role, startCam: $('start-cam').checked, startMic: $('start-mic').checked };

  markInvalid('room-id', false);
  markInvalid('user-id', false);
  if (roomText === '') return invalid('room-id', 'Enter a room ID.');
  if (asString) {
    if (new TextEncoder().encode(roomText).length > 64)
      return invalid('room-id', 'A string room ID is at most 64 bytes.');
    form.strRoomId = roomText;
  } else {
    if (!isNumericRoom(roomText)) return invalid('room-id', `A numeric room ID is 1 to ${MAX_ROOM_ID}.`);
    form.roomId = Number(roomText);
  }
  if (!USER_ID_RE.test(userId)) return invalid('user-id', 'The user ID is 1-32 letters, digits, “_” or “-”.');

  if (!state.config.dev) {
    const sdkAppId = Number($('sdk-app-id').value.trim());
    if (!Number.isInteger(sdkAppId) || sdkAppId <= 0) return invalid('sdk-app-id', 'Enter your SDKAppID.');
    const userSig = $('user-sig').value.trim();
    if (userSig === '') return invalid('user-sig', 'Paste a UserSig signed for this user ID.');
    form.sdkAppId = sdkAppId;
    form.userSig = userSig;
  }
  return form;
}

function invalid(fieldId, message) {
  markInvalid(fieldId, true);
  $(fieldId).focus();
  showJoinError(message);
  return undefined;
}

function markInvalid(fieldId, on) {
  $(fieldId).setAttribute('aria-invalid', String(on));
}

async function fetchDevUserSig(userId) {
  const response = await fetch('/dev/usersig', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `The server could not sign a UserSig (${response.status})`);
  return body;
}

async function startPublishing() {
  addLocalTile();
  if (state.camOn) await startCamera();
  if (state.micOn) await startMic();
  syncControls();
}

async function startCamera() {
  try {
    await state.trtc.startLocalVideo({ view: localTile().querySelector('.tile-video'), option: { mirror: false } });
    state.camStarted = true;
    state.camOn = true;
    localTile().classList.add('has-video');
  } catch (err) {
    state.camOn = false;
    toast('Camera unavailable', describeError(err), 'error');
  }
}

async function startMic() {
  try {
    await state.trtc.startLocalAudio();
    state.micStarted = true;
    state.micOn = true;
  } catch (err) {
    state.micOn = false;
    toast('Microphone unavailable', describeError(err), 'error');
  }
}

// ---------------------------------------------------------------- SDK events

function subscribe(trtc, TRTC) {
  const E = TRTC.EVENT;
  trtc.on(E.REMOTE_USER_ENTER, ({ userId }) => {
    state.remoteUsers.add(userId);
    ensureTile(userId, 'main');
    updateCounts();
  });
  trtc.on(E.REMOTE_USER_EXIT, ({ userId }) => {
    state.remoteUsers.delete(userId);
    removeTile(`${userId}:main`);
    removeTile(`${userId}:sub`);
    updateCounts();
  });
  trtc.on(E.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
    const tile = ensureTile(userId, streamType);
    trtc
      .startRemoteVideo({ userId, streamType, view: tile.querySelector('.tile-video') })
      .then(() => tile.classList.add('has-video'))
      .catch((err) =>
        toast(`Could not show ${userId}'s ${streamType === 'sub' ? 'screen' : 'video'}`, describeError(err), 'error'),
      );
  });
  trtc.on(E.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
    trtc.stopRemoteVideo({ userId, streamType }).catch(() => {});
    if (streamType === 'sub') removeTile(`${userId}:sub`);
    else state.tiles.get(`${userId}:main`)?.classList.remove('has-video');
  });
  trtc.on(E.REMOTE_AUDIO_AVAILABLE, ({ userId }) => ensureTile(userId, 'main').classList.remove('mic-muted'));
  trtc.on(E.REMOTE_AUDIO_UNAVAILABLE, ({ userId }) => state.tiles.get(`${userId}:main`)?.classList.add('mic-muted'));
  trtc.on(E.AUDIO_VOLUME, ({ result }) => {
    const speaking = new Set(
      result.filter((r) => r.volume >= SPEAKING_VOLUME).map((r) => (r.userId === '' ? 'local' : r.userId)),
    );
    for (const [key, tile] of state.tiles) {
      const [owner, streamType] = key.split(':');
      if (streamType === 'main') tile.classList.toggle('speaking', speaking.has(owner));
    }
  });
  trtc.on(E.CONNECTION_STATE_CHANGED, ({ state: connection }) => setConnectionBadge(connection));
  trtc.on(E.SCREEN_SHARE_STOPPED, () => {
    state.sharing = false;
    removeTile('local:sub');
    syncControls();
  });
  trtc.on(E.KICKED_OUT, ({ reason }) => {
    toast('Removed from the room', KICK_REASONS[reason] ?? `Reason: ${reason}`, 'error', 10000);
    teardown().then(showJoinScreen);
  });
  trtc.on(E.AUTOPLAY_FAILED, ({ userId }) =>
    toast(`The browser blocked ${userId}'s audio`, 'Click anywhere on the page to hear them.', 'warn', 10000),
  );
  trtc.on(E.ERROR, (err) => toast('Something went wrong', describeError(err), 'error'));
}

// ---------------------------------------------------------------- controls

async function toggleMic() {
  if (!state.micStarted) await startMic();
  else {
    await state.trtc.updateLocalAudio({ mute: state.micOn });
    state.micOn = !state.micOn;
  }
  syncControls();
}

async function toggleCam() {
  if (!state.camStarted) await startCamera();
  else {
    await state.trtc.updateLocalVideo({ mute: state.camOn });
    state.camOn = !state.camOn;
    localTile().classList.toggle('has-video', state.camOn);
  }
  syncControls();
}

async function toggleShare() {
  if (state.sharing) {
    await state.trtc.stopScreenShare();
    state.sharing = false;
    removeTile('local:sub');
  } else {
    const tile = ensureTile('local', 'sub');
    try {
      await state.trtc.startScreenShare({ view: tile.querySelector('.tile-video') });
      state.sharing = true;
      tile.classList.add('has-video');
    } catch (err) {
      removeTile('local:sub');
      // Cancelling the browser's picker is a choice, not an error.
      if (err?.name !== 'NotAllowedError' && !/permission|denied|cancel/i.test(String(err?.message))) {
        toast('Screen sharing failed', describeError(err), 'error');
      }
    }
  }
  syncControls();
}

async function switchRole() {
  if (state.role === 'audience') {
    await state.trtc.switchRole('anchor');
    state.role = 'anchor';
    state.camOn = true;
    state.micOn = true;
    await startPublishing();
    toast('You are on stage', 'Others can now see and hear you.');
  } else {
    await stopPublishing();
    await state.trtc.switchRole('audience');
    state.role = 'audience';
    toast('You left the stage', 'You are watching as audience.');
  }
  syncControls();
}

async function stopPublishing() {
  const trtc = state.trtc;
  if (state.sharing) await trtc.stopScreenShare().catch(() => {});
  if (state.camStarted) await trtc.stopLocalVideo().catch(() => {});
  if (state.micStarted) await trtc.stopLocalAudio().catch(() => {});
  Object.assign(state, { sharing: false, camStarted: false, micStarted: false, camOn: false, micOn: false });
  removeTile('local:main');
  removeTile('local:sub');
}

async function leave(message) {
  if (!state.trtc) return;
  await teardown();
  showJoinScreen();
  if (message) toast(message, '');
}

/** Leaves the room (if in one) and forgets everything about it. */
async function teardown() {
  const trtc = state.trtc;
  state.trtc = null;
  if (trtc) {
    await trtc.exitRoom().catch(() => {});
    try {
      trtc.destroy();
    } catch {
      // Already destroyed (e.g. after KICKED_OUT): nothing left to release.
    }
  }
  for (const key of [...state.tiles.keys()]) removeTile(key);
  state.remoteUsers.clear();
  Object.assign(state, { sharing: false, camStarted: false, micStarted: false });
}

/** Runs a control action with the controls locked, reporting failures as toasts. */
async function guarded(action) {
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

function syncControls() {
  const anchor = state.role === 'anchor';
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
  for (const id of ['toggle-mic', 'toggle-cam', 'toggle-share']) {
    $(id).hidden = !anchor;
    $(id).disabled = state.busy;
  }
  $('toggle-share').hidden = !anchor || !navigator.mediaDevices?.getDisplayMedia;
  $('switch-role').disabled = state.busy;
  $('leave').disabled = state.busy;
  state.tiles.get('local:main')?.classList.toggle('mic-muted', !state.micOn);
  updateCounts();
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

function setConnectionBadge(connection) {
  const badge = $('connection-badge');
  badge.dataset.state = connection;
  badge.textContent = CONNECTION_LABELS[connection] ?? connection;
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
  if (form.strRoomId !== undefined && isNumericRoom(form.strRoomId)) params.set('str', '1');
  return `${location.pathname}?${params}`;
}

// ---------------------------------------------------------------- tiles and layout

function addLocalTile() {
  const tile = ensureTile('local', 'main');
  tile.classList.add('camera');
  return tile;
}

function localTile() {
  return state.tiles.get('local:main') ?? addLocalTile();
}

/** The tile of `owner`'s stream (`local` for this page's own), created on first use. */
function ensureTile(owner, streamType) {
  const key = `${owner}:${streamType}`;
  const existing = state.tiles.get(key);
  if (existing) return existing;
  const tile = $('tile-template').content.firstElementChild.cloneNode(true);
  const local = owner === 'local';
  const name = local ? state.userId : owner;
  tile.dataset.key = key;
  tile.classList.toggle('local', local);
  tile.classList.toggle('screen', streamType === 'sub');
  tile.querySelector('.tile-name').textContent =
    streamType === 'sub' ? `${local ? 'You' : name} · screen` : local ? `${name} (you)` : name;
  const initials = tile.querySelector('.initials');
  initials.textContent = initialsOf(name);
  initials.style.setProperty('--avatar', AVATAR_COLORS[hash(name) % AVATAR_COLORS.length]);
  // Local first, screens next to their owner; remote users in arrival order.
  const grid = $('grid');
  const owners = streamType === 'sub' ? state.tiles.get(`${owner}:main`) : undefined;
  if (local && streamType === 'main') grid.prepend(tile);
  else if (owners) owners.after(tile);
  else grid.append(tile);
  state.tiles.set(key, tile);
  layoutGrid();
  return tile;
}

function removeTile(key) {
  const tile = state.tiles.get(key);
  if (!tile) return;
  tile.remove();
  state.tiles.delete(key);
  layoutGrid();
}

/** Sizes tiles so they fill the stage at 16:9: tries every column count and keeps the largest tile. */
function layoutGrid() {
  const grid = $('grid');
  const count = grid.children.length;
  const empty = $('empty-state');
  if (state.trtc && state.remoteUsers.size === 0) {
    empty.textContent =
      state.role === 'anchor'
        ? 'You are the only one here. Share the invite link to bring others in.'
        : 'Waiting for someone to start their camera or microphone…';
    empty.hidden = false;
  } else empty.hidden = true;
  if (count === 0) return;
  const gap = parseFloat(window.getComputedStyle(grid).columnGap) || 12;
  const { width, height } = grid.getBoundingClientRect();
  let best = 0;
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const w = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * (16 / 9));
    best = Math.max(best, w);
  }
  grid.style.setProperty('--tile-w', `${Math.max(120, Math.floor(best))}px`);
}

function updateCounts() {
  const people = state.remoteUsers.size + 1;
  $('participant-count').textContent =
    `${people} ${people === 1 ? 'person' : 'people'}${state.role === 'audience' ? ' · watching as audience' : ''}`;
  layoutGrid();
}

// ---------------------------------------------------------------- screens, toasts, helpers

function showCallScreen() {
  $('join-screen').hidden = true;
  $('call-screen').hidden = false;
  $('room-label').textContent = state.roomLabel;
  setConnectionBadge('CONNECTED');
  syncControls();
  layoutGrid();
}

function showJoinScreen() {
  $('call-screen').hidden = true;
  $('join-screen').hidden = false;
}

function setJoining(joining) {
  state.busy = joining;
  $('join-button').disabled = joining;
  $('join-button').textContent = joining ? 'Joining…' : 'Join room';
  if (!joining) syncControls();
}

function showJoinError(message) {
  $('join-error').textContent = message;
  $('join-error').hidden = false;
}

function hideJoinError() {
  $('join-error').hidden = true;
}

function toast(title, detail, kind = 'info', ms = 5000) {
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const strong = document.createElement('strong');
  strong.textContent = title;
  el.append(strong);
  if (detail) el.append(document.createTextNode(detail));
  $('toasts').append(el);
  const timer = setTimeout(() => el.remove(), ms);
  el.addEventListener('click', () => {
    clearTimeout(timer);
    el.remove();
  });
}

/** A human sentence for an RtcError, a server error or anything else thrown. */
function describeError(err) {
  if (err === null || err === undefined) return 'Unknown error';
  const message = err.message ?? String(err);
  return typeof err.code === 'number' || typeof err.code === 'string' ? `${message} (${err.code})` : message;
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function isNumericRoom(text) {
  return /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_ROOM_ID;
}

function randomInt(below) {
  return crypto.getRandomValues(new Uint32Array(1))[0] % below;
}

function randomUserId() {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  let id = 'user_';
  for (let i = 0; i < 6; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

function initialsOf(name) {
  const parts = name
    .replace(/^user_/, '')
    .split(/[_-]+/)
    .filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? name).slice(0, 1)) || '?';
}

function hash(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
