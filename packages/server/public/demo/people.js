/* global setTimeout */
// The participant list (getUserList) with the hosts' controls: mute all, disable cameras, on-stage mode,
// lock the room; per participant mute, ask to unmute, bring on stage / off stage, make admin, remove. The
// server enforces every rule (docs/conference-control.md); this panel only shows what the user may try.

import { $, el, describeError, icon, toast } from './dom.js';
import { isHost, nameOf, state } from './state.js';

const SEATS = 6; // on-stage mode's seat count
const ROLE_LABELS = { owner: 'Host', admin: 'Co-host' };

/** Runs a control action, reporting a refusal as a toast; `button` is disabled meanwhile. */
async function act(button, action) {
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    toast('That did not work', describeError(err), 'error');
  } finally {
    button.disabled = false;
  }
}

export function initPeople() {
  $('mute-all').addEventListener('click', (e) =>
    act(e.currentTarget, () => state.trtc.disableDeviceForAllUsers('microphone', !state.control.disabled.microphone)),
  );
  $('cams-off').addEventListener('click', (e) =>
    act(e.currentTarget, () => state.trtc.disableDeviceForAllUsers('camera', !state.control.disabled.camera)),
  );
  $('stage-mode').addEventListener('click', (e) =>
    act(e.currentTarget, () => state.trtc.setSeatMode(state.control.maxSeats > 0 ? 0 : SEATS)),
  );
  $('lock-room').addEventListener('click', (e) =>
    act(e.currentTarget, () => state.trtc.lockRoom(!state.control.locked)),
  );
}

let drawn = '';

/**
 * Redraws the list and the host toolbar from the SDK's user list and control state, when they changed since
 * the last drawing (audience members enter without an event, so the page also calls this on a timer).
 */
export function renderPeople() {
  const trtc = state.trtc;
  const control = state.control;
  const list = $('people-list');
  if (!trtc || !control) {
    drawn = '';
    return list.replaceChildren();
  }
  const signature = JSON.stringify([trtc.getUserList(), control, [...state.remoteAudio], state.micOn, state.userId]);
  if (signature === drawn) return;
  drawn = signature;
  const host = isHost();
  $('host-tools').hidden = !host;
  setToggle('mute-all', control.disabled.microphone, 'Allow unmute', 'Mute all');
  setToggle('cams-off', control.disabled.camera, 'Allow cameras', 'Stop all cameras');
  setToggle('stage-mode', control.maxSeats > 0, 'End on-stage mode', 'On-stage mode');
  setToggle('lock-room', control.locked, 'Unlock room', 'Lock room');
  const users = trtc.getUserList();
  $('people-count').textContent = String(users.length);
  $('room-flags').textContent = [
    control.locked ? 'locked' : '',
    control.maxSeats > 0 ? `on-stage mode · ${control.seats.filter((s) => s.userId).length}/${control.maxSeats}` : '',
    control.disabled.microphone ? 'everyone muted' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  // Raised hands first (oldest first), then everyone else in the SDK's order.
  const hands = control.raisedHands;
  users.sort((a, b) => rank(a) - rank(b));
  function rank(u) {
    const hand = hands.indexOf(u.userId);
    return u.userId === state.userId ? -2 : hand >= 0 ? hand : hands.length + 1;
  }
  list.replaceChildren(...users.map((user) => row(user, host, control)));
}

function row(user, host, control) {
  const me = user.userId === state.userId;
  const item = el('li', { className: 'person', attrs: { 'data-user-id': user.userId } });
  const name = el('span', { className: 'person-name', text: `${nameOf(user.userId)}${me ? ' (you)' : ''}` });
  const tags = el('span', { className: 'person-tags' });
  if (ROLE_LABELS[user.roomRole]) tags.append(el('span', { className: 'tag role', text: ROLE_LABELS[user.roomRole] }));
  if (user.seat !== undefined) tags.append(el('span', { className: 'tag seat', text: 'On stage' }));
  if (user.handRaised) tags.append(el('span', { className: 'tag hand', text: '✋ Hand raised' }));
  const audio = me ? state.micOn : state.remoteAudio.has(user.userId);
  const mic = icon(audio ? 'i-mic' : 'i-mic-off', `person-mic ${audio ? '' : 'off'}`);
  item.append(el('span', { className: 'person-main' }, name, tags), mic);
  // The owner can be acted on by nobody; an admin only by the owner (the server says the same).
  const actable =
    host && !me && user.roomRole !== 'owner' && (user.roomRole !== 'admin' || control.ownerId === state.userId);
  if (actable) item.append(actions(user, audio, control));
  return item;
}

function actions(user, audio, control) {
  const box = el('span', { className: 'person-actions' });
  const add = (cls, label, action) => {
    const button = el('button', { className: `btn small ghost ${cls}`, text: label });
    button.type = 'button';
    button.addEventListener('click', () => act(button, action));
    box.append(button);
    return button;
  };
  const trtc = state.trtc;
  const id = user.userId;
  if (user.handRaised) {
    add('act-stage', 'Bring on stage', () => trtc.approveSeat(id));
    add('act-decline', 'Decline', () => trtc.approveSeat(id, false));
  }
  if (user.seat !== undefined) add('act-unstage', 'Off stage', () => trtc.kickUserOffSeat(id));
  if (audio) add('act-mute', 'Mute', () => trtc.closeRemoteDevice(id, 'microphone'));
  else if (control.maxSeats === 0 || user.seat !== undefined)
    add('act-ask', 'Ask to unmute', async () => {
      await trtc.requestRemoteDeviceOpen(id, 'microphone');
      toast('Asked to unmute', `${nameOf(id)} decides whether to turn the microphone on.`);
    });
  if (control.ownerId === state.userId) {
    const admin = user.roomRole === 'admin';
    add('act-admin', admin ? 'Remove co-host' : 'Make co-host', () => trtc.setAdmin(id, !admin));
  }
  // Removing someone takes a second click ("Confirm"), so a slip does not kick.
  const kick = el('button', { className: 'btn small danger-ghost act-kick', text: 'Remove' });
  kick.type = 'button';
  kick.addEventListener('click', () => {
    if (kick.dataset.armed !== '1') {
      kick.dataset.armed = '1';
      kick.textContent = 'Confirm remove';
      setTimeout(() => {
        kick.dataset.armed = '';
        kick.textContent = 'Remove';
      }, 4000);
      return;
    }
    act(kick, () => trtc.kickRemoteUser(id));
  });
  box.append(kick);
  return box;
}

function setToggle(id, on, onLabel, offLabel) {
  const button = $(id);
  button.textContent = on ? onLabel : offLabel;
  button.setAttribute('aria-pressed', String(on));
  button.classList.toggle('active', on);
}
