/* global window */
// Video tiles and the two layouts: a grid of equal tiles, or a speaker view (one large tile, the others in a
// strip). The large tile is the one the user pinned, else a screen share, else the active speaker.

import { $, colorOf, initialsOf } from './dom.js';
import { state } from './state.js';

/** key (`local:main`, `<userId>:sub`, …) → tile element. */
const tiles = new Map();
const view = {
  layout: 'grid',
  /** A tile key the user clicked to keep large, or null. */
  pinned: null,
  /** The remote user heard last (speaker layout), and since when. */
  speaker: null,
  speakerSince: 0,
};
const SPEAKING_VOLUME = 8; // AUDIO_VOLUME is 0..100; below this is background noise.
const SPEAKER_HOLD_MS = 1500; // the large tile changes speaker at most this often

export function initTiles() {
  $('toggle-layout').addEventListener('click', () => setLayout(view.layout === 'grid' ? 'speaker' : 'grid'));
  window.addEventListener('resize', layout);
}

/** The tile of `owner`'s stream (`local` for this page's own), created on first use. */
export function ensureTile(owner, streamType, displayName) {
  const key = `${owner}:${streamType}`;
  const existing = tiles.get(key);
  if (existing) return existing;
  const tile = $('tile-template').content.firstElementChild.cloneNode(true);
  const local = owner === 'local';
  const name = displayName ?? (local ? state.userName || state.userId : owner);
  tile.dataset.key = key;
  tile.classList.toggle('local', local);
  tile.classList.toggle('screen', streamType === 'sub');
  if (local && streamType === 'main') tile.classList.add('camera');
  setTileName(tile, name, local, streamType);
  tile.addEventListener('dblclick', () => pin(key));
  tile.querySelector('.tile-pin').addEventListener('click', () => pin(key));
  // Local first, screens next to their owner; remote users in arrival order.
  const grid = $('grid');
  const ownerTile = streamType === 'sub' ? tiles.get(`${owner}:main`) : undefined;
  if (local && streamType === 'main') grid.prepend(tile);
  else if (ownerTile && ownerTile.parentElement === grid) ownerTile.after(tile);
  else grid.append(tile);
  tiles.set(key, tile);
  // A new screen share takes the large tile.
  if (streamType === 'sub' && !local) setLayout('speaker');
  else layout();
  return tile;
}

export function getTile(key) {
  return tiles.get(key);
}

/** The element the SDK renders a stream's video into. */
export function videoView(owner, streamType) {
  return ensureTile(owner, streamType).querySelector('.tile-video');
}

export function removeTile(key) {
  const tile = tiles.get(key);
  if (!tile) return;
  tile.remove();
  tiles.delete(key);
  if (view.pinned === key) view.pinned = null;
  layout();
}

export function removeAllTiles() {
  for (const key of [...tiles.keys()]) removeTile(key);
  view.pinned = null;
  view.speaker = null;
}

/** Shows a display name on a user's tiles (names arrive with REMOTE_USER_ENTER). */
export function renameTiles(owner, name) {
  for (const streamType of ['main', 'sub']) {
    const tile = tiles.get(`${owner}:${streamType}`);
    if (tile) setTileName(tile, name, owner === 'local', streamType);
  }
}

function setTileName(tile, name, local, streamType) {
  tile.querySelector('.tile-name').textContent =
    streamType === 'sub' ? `${local ? 'You' : name} · screen` : local ? `${name} (you)` : name;
  const initials = tile.querySelector('.initials');
  initials.textContent = initialsOf(name);
  initials.style.setProperty('--avatar', colorOf(name));
}

/** AUDIO_VOLUME: rings the speaking tiles and picks the active speaker for the speaker layout. */
export function onVolumes(result) {
  const speaking = new Set();
  let loudest = null;
  for (const { userId, volume } of result) {
    if (volume < SPEAKING_VOLUME) continue;
    speaking.add(userId === '' ? 'local' : userId);
    if (userId !== '' && (loudest === null || volume > loudest.volume)) loudest = { userId, volume };
  }
  for (const [key, tile] of tiles) {
    const [owner, streamType] = key.split(':');
    if (streamType === 'main') tile.classList.toggle('speaking', speaking.has(owner));
  }
  const now = Date.now();
  if (loudest && loudest.userId !== view.speaker && now - view.speakerSince >= SPEAKER_HOLD_MS) {
    view.speaker = loudest.userId;
    view.speakerSince = now;
    if (view.layout === 'speaker') layout();
  }
}

function pin(key) {
  view.pinned = view.pinned === key ? null : key;
  if (view.pinned) setLayout('speaker');
  else layout();
}

function setLayout(name) {
  view.layout = name;
  const button = $('toggle-layout');
  button.querySelector('.ctl-label').textContent = name === 'grid' ? 'Speaker view' : 'Grid view';
  button.setAttribute('aria-pressed', String(name === 'speaker'));
  layout();
}

/** The tile the speaker layout shows large. */
function focusKey() {
  if (view.pinned && tiles.has(view.pinned)) return view.pinned;
  const screens = [...tiles.keys()].filter((k) => k.endsWith(':sub'));
  const remoteScreen = screens.find((k) => !k.startsWith('local:'));
  if (remoteScreen) return remoteScreen;
  if (view.speaker && tiles.has(`${view.speaker}:main`)) return `${view.speaker}:main`;
  const remote = [...tiles.keys()].find((k) => !k.startsWith('local:'));
  return remote ?? screens[0] ?? [...tiles.keys()][0] ?? null;
}

/** Places the tiles for the current layout and sizes the grid's tiles to fill the stage at 16:9. */
export function layout() {
  const stage = $('stage');
  const grid = $('grid');
  const focus = $('focus');
  const speaker = view.layout === 'speaker' && tiles.size > 1;
  stage.classList.toggle('speaker', speaker);
  const wanted = speaker ? focusKey() : null;
  for (const [key, tile] of tiles) {
    const large = key === wanted;
    tile.classList.toggle('focus', large);
    tile.classList.toggle('pinned', key === view.pinned);
    const parent = large ? focus : grid;
    if (tile.parentElement !== parent) {
      parent.append(tile);
      // Moving a playing <video> can pause it; start it again.
      for (const video of tile.querySelectorAll('video')) video.play().catch(() => {});
    }
  }
  focus.hidden = !speaker;
  const empty = $('empty-state');
  const alone = state.trtc !== null && [...tiles.keys()].every((k) => k.startsWith('local:'));
  empty.hidden = !alone;
  if (alone)
    empty.textContent =
      state.role === 'anchor'
        ? 'You are the only one here. Share the invite link to bring others in.'
        : 'Waiting for someone to start their camera or microphone…';
  if (speaker) return grid.style.removeProperty('--tile-w');
  const count = grid.children.length;
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
