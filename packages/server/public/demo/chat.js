// The chat panel: sendTextMessage out, TEXT_MESSAGE in. Messages live only in this page (the server relays
// them and stores nothing); the panel keeps the last MAX_MESSAGES.

import { $, el, describeError, toast } from './dom.js';
import { nameOf, state } from './state.js';

const MAX_MESSAGES = 200;
const MAX_LENGTH = 500; // the server's limit
let unread = 0;

export function initChat() {
  $('chat-input').maxLength = MAX_LENGTH;
  $('chat-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('chat-input');
    const text = input.value.trim();
    if (text === '' || !state.trtc) return;
    input.disabled = true;
    try {
      await state.trtc.sendTextMessage(text);
      input.value = '';
      addMessage({ userId: state.userId, text, time: Date.now(), mine: true });
    } catch (err) {
      toast('Message not sent', describeError(err), 'error');
    } finally {
      input.disabled = false;
      input.focus();
    }
  });
}

/** TEXT_MESSAGE from someone else. */
export function onTextMessage({ userId, userName, text, time }) {
  addMessage({ userId, userName, text, time, mine: false });
  if ($('side').hidden || $('side').dataset.tab !== 'chat') {
    unread++;
    showUnread();
  }
}

/** The chat tab was opened: everything is read. */
export function chatOpened() {
  unread = 0;
  showUnread();
}

export function clearChat() {
  $('chat-list').replaceChildren();
  chatOpened();
}

function addMessage({ userId, userName, text, time, mine }) {
  const list = $('chat-list');
  const at = new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const item = el(
    'li',
    { className: `message${mine ? ' mine' : ''}`, attrs: { 'data-user-id': userId } },
    el(
      'span',
      { className: 'message-head' },
      el('strong', { text: mine ? 'You' : (userName ?? nameOf(userId)) }),
      ` ${at}`,
    ),
    el('span', { className: 'message-text', text }),
  );
  list.append(item);
  while (list.children.length > MAX_MESSAGES) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

function showUnread() {
  const badge = $('chat-unread');
  badge.textContent = String(unread);
  badge.hidden = unread === 0;
}
