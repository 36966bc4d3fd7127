/* global window, document, location, fetch, URLSearchParams, TextEncoder */
// Conclave demo: a small conference app on the TRTC Web SDK v5 API (window.TRTC from /sdk/trtc.js).
// Plain browser JavaScript modules, no build step, no framework. This module starts the page and handles the
// join form; the others each own one part: prejoin.js (device check), call.js (room and SDK events),
// controls.js (control bar), tiles.js (layouts), people.js (participants, host controls), chat.js, status.js.

import { initCall, join } from './call.js';
import { initChat } from './chat.js';
import { initControls, syncControls } from './controls.js';
import { $, describeError, randomInt, randomUserId } from './dom.js';
import { initPeople } from './people.js';
import { chosenDevices, initPrejoin, restart, stopPrejoin } from './prejoin.js';
import { state } from './state.js';
import { initStatus } from './status.js';
import { initTiles } from './tiles.js';

const MAX_ROOM_ID = 4294967294;
const USER_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
/** Refusals a user can act on, in words. */
const JOIN_REFUSALS = {
  ROOM_LOCKED: 'The host has locked this room: nobody new can join until it is unlocked.',
  ROOM_FULL: 'This room is full.',
  E2EE_REQUIRED: 'This room requires end-to-end encryption: tick “End-to-end encryption” and join again.',
};
/** Whether the device check was started once (later role changes only restart it). */
let prejoinStarted = false;
const SDK_MISSING =
  'The browser SDK is not available at /sdk/trtc.js. Build it with `npm run build:client` and reload.';

init().catch((err) => showJoinError(`The page failed to start: ${describeError(err)}`));

async function init() {
  const params = new URLSearchParams(location.search);
  const room = params.get('room');
  $('room-id').value = room ?? String(100000 + randomInt(900000));
  $('room-is-string').checked = params.get('str') === '1' || (room !== null && !isNumericRoom(room));
  // A fresh id per tab: two tabs with one userId would kick each other out (TRTC semantics).
  $('user-id').value = params.get('userId') ?? randomUserId();
  $('e2ee').checked = params.get('e2ee') === '1';

  $('join-form').addEventListener('submit', onJoinSubmit);
  $('room-id').addEventListener('input', syncRoomKind);
  for (const radio of document.querySelectorAll('input[name="role"]'))
    radio.addEventListener('change', syncRoleOptions);
  window.addEventListener('conclave:left', () => syncRoleOptions());
  initTiles();
  initControls();
  initPeople();
  initChat();
  initStatus();
  initCall();
  syncRoomKind();
  syncRoleOptions();

  state.config = await fetchJson('/demo/config.json');
  $('dev-banner').hidden = !state.config.dev;
  $('credentials').hidden = state.config.dev;
  if (!state.config.dev && state.config.sdkAppId !== null) $('sdk-app-id').value = String(state.config.sdkAppId);
  if (!window.TRTC) showJoinError(SDK_MISSING);
}

function syncRoomKind() {
  const value = $('room-id').value.trim();
  const forced = value !== '' && !/^\d+$/.test(value);
  if (forced) $('room-is-string').checked = true;
  $('room-is-string').disabled = forced;
}

/** Anchors get the device check; audience members need no devices. */
function syncRoleOptions() {
  const anchor = document.querySelector('input[name="role"]:checked').value === 'anchor';
  $('device-check').hidden = !anchor;
  if (anchor && $('call-screen').hidden) initOrRestartPrejoin();
  else stopPrejoin();
}

function initOrRestartPrejoin() {
  if (prejoinStarted) return restart();
  prejoinStarted = true;
  initPrejoin();
}

async function onJoinSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  hideJoinError();
  const form = readJoinForm();
  if (!form) return;
  if (!window.TRTC) return showJoinError(SDK_MISSING);
  setJoining(true);
  try {
    const credentials = state.config.dev ? await fetchDevUserSig(form.userId) : form;
    // The SDK opens the chosen devices itself; the check's capture must not hold them.
    stopPrejoin();
    await join(form, credentials);
  } catch (err) {
    showJoinError(JOIN_REFUSALS[err?.serverCode] ?? `Could not join: ${describeError(err)}`);
    syncRoleOptions();
  } finally {
    setJoining(false);
  }
}

/** Validates the join form; shows what is wrong and returns undefined when it is not usable. */
function readJoinForm() {
  const roomText = $('room-id').value.trim();
  const userId = $('user-id').value.trim();
  const userName = $('user-name').value.trim();
  const role = document.querySelector('input[name="role"]:checked').value;
  const asString = $('room-is-string').checked;
  const devices = role === 'anchor' ? chosenDevices() : { startCam: false, startMic: false };
  const form = { userId, userName, role, e2ee: $('e2ee').checked, ...devices };

  for (const id of ['room-id', 'user-id', 'user-name']) markInvalid(id, false);
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
  // eslint-disable-next-line no-control-regex
  if (userName.length > 64 || /[\u0000-\u001f\u007f-\u009f]/.test(userName))
    return invalid('user-name', 'A display name is at most 64 characters.');

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

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function isNumericRoom(text) {
  return /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_ROOM_ID;
}
