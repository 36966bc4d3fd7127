/* global document, crypto, setTimeout, clearTimeout */
// Small DOM helpers shared by the demo's modules: element lookup and creation, toasts, error text, ids.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Creates an element with a class name, text and children (no HTML parsing anywhere: CSP and XSS). */
export function el(tag, { className, text, title, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (title) node.title = title;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** An `<svg class="icon">` using a symbol of the page's sprite. */
export function icon(id, className = '') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', `icon ${className}`.trim());
  const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
  use.setAttribute('href', `#${id}`);
  svg.append(use);
  return svg;
}

/**
 * Shows a toast for `ms`; `actions` are `{label, onClick}` buttons (a click runs it and closes the toast).
 * Returns a function that closes it.
 */
export function toast(title, detail, kind = 'info', ms = 5000, actions = []) {
  const box = el('div', { className: `toast ${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' } });
  box.append(el('strong', { text: title }));
  if (detail) box.append(document.createTextNode(detail));
  let timer;
  const close = () => {
    clearTimeout(timer);
    box.remove();
  };
  if (actions.length > 0) {
    const row = el('div', { className: 'toast-actions' });
    for (const { label, onClick, primary } of actions) {
      const button = el('button', { className: `btn small ${primary ? 'primary' : 'ghost'}`, text: label });
      button.type = 'button';
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        close();
        onClick();
      });
      row.append(button);
    }
    box.append(row);
  } else box.addEventListener('click', close);
  $('toasts').append(box);
  timer = setTimeout(close, ms);
  return close;
}

/** A human sentence for an RtcError, a server error or anything else thrown. */
export function describeError(err) {
  if (err === null || err === undefined) return 'Unknown error';
  const message = err.message ?? String(err);
  const code = err.serverCode ?? err.code;
  return typeof code === 'number' || typeof code === 'string' ? `${message} (${code})` : message;
}

export function randomInt(below) {
  return crypto.getRandomValues(new Uint32Array(1))[0] % below;
}

export function randomUserId() {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  let id = 'user_';
  for (let i = 0; i < 6; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

export function initialsOf(name) {
  const parts = name
    .replace(/^user_/, '')
    .split(/[\s_-]+/)
    .filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? name).slice(0, 1)) || '?';
}

const AVATAR_COLORS = ['#4f6bff', '#e5484d', '#30a46c', '#f5a524', '#8e4ec6', '#0091ff', '#d6409f', '#12a594'];

/** A stable avatar colour for a name. */
export function colorOf(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length];
}
