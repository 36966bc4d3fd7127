/**
 * Where each picture goes on the mixed canvas, for one moment of the call: TRTC's MixLayoutMode 1 (float),
 * 2 (screen share), 3 (grid) and 4 (custom), given the streams present in the order they joined. Pure geometry:
 * the composer calls it once per stretch of time in which neither the streams nor the layout change.
 */
import type { MixLayout } from './mix-params.ts';

/** TRTC's templates place at most 25 pictures. */
export const MAX_PICTURES = 25;

/** A stream that may take a place in the layout. */
export interface LayoutEntry {
  userId: string;
  /** 0 main (camera), 1 sub (screen share). */
  mediaId: 0 | 1;
  /** Whether it sends video (audio-only users still take a place unless PureAudioDisableLayout). */
  hasVideo: boolean;
}

export interface Tile {
  userId: string;
  mediaId: 0 | 1;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Stacking order, back to front. */
  z: number;
  /** 0 stretch, 1 crop, 2 fit (3, smart crop, is drawn as crop). */
  renderMode: 0 | 1 | 2;
}

export interface Canvas {
  width: number;
  height: number;
}

const same = (e: LayoutEntry, userId: string | undefined, mediaId: number | undefined) =>
  e.userId === userId && e.mediaId === (mediaId ?? 0);

function renderMode(mode: number | undefined): 0 | 1 | 2 {
  return mode === 0 ? 0 : mode === 2 ? 2 : 1;
}

/** The tiles of `entries` (join order) under `layout`; entries without a tile are heard, not seen. */
export function layoutTiles(layout: MixLayout, canvas: Canvas, entries: readonly LayoutEntry[]): Tile[] {
  if (layout.MixLayoutMode === 4) return customTiles(layout, canvas, entries);
  const shown = (layout.PureAudioDisableLayout ? entries.filter((e) => e.hasVideo) : entries).slice(0, MAX_PICTURES);
  const mode = renderMode(layout.RenderMode);
  const tile = (e: LayoutEntry, x: number, y: number, width: number, height: number, z: number): Tile => ({
    userId: e.userId,
    mediaId: e.mediaId,
    x: Math.round(x),
    y: Math.round(y),
    width: Math.max(2, Math.round(width)),
    height: Math.max(2, Math.round(height)),
    z,
    renderMode: mode,
  });
  const { width: W, height: H } = canvas;
  if (layout.MixLayoutMode === 3) {
    // Grid: equal cells, as square as the count allows; a short last row is centred.
    const n = shown.length;
    if (n === 0) return [];
    const cols = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / cols);
    const cw = W / cols;
    const ch = H / rows;
    return shown.map((e, i) => {
      const row = Math.floor(i / cols);
      const inRow = row === rows - 1 ? n - row * cols : cols;
      const x0 = ((cols - inRow) * cw) / 2;
      return tile(e, x0 + (i % cols) * cw, row * ch, cw, ch, 0);
    });
  }
  if (layout.MixLayoutMode === 1) {
    // Float: the chosen (or first) user fills the canvas; the others float in rows from the bottom left.
    const big = shown.find((e) => same(e, layout.MaxResolutionUserId, layout.MediaId)) ?? shown[0];
    if (!big) return [];
    const small = shown.filter((e) => e !== big);
    const perRow = shown.length <= 17 ? 4 : 5;
    const cw = W / perRow;
    const ch = H / perRow;
    const margin = 0.05;
    return [
      tile(big, 0, 0, W, H, 0),
      ...small.map((e, i) => {
        const row = Math.floor(i / perRow);
        return tile(
          e,
          (i % perRow) * cw + cw * margin,
          H - (row + 1) * ch + ch * margin,
          cw * (1 - 2 * margin),
          ch * (1 - 2 * margin),
          1,
        );
      }),
    ];
  }
  // Screen share: the chosen user large on one side (by default Conclave picks the first screen share; TRTC
  // leaves the background), the others in up to two columns of eight on the other side, overflow along the bottom.
  const big =
    shown.find((e) => same(e, layout.MaxResolutionUserId, layout.MediaId)) ??
    (layout.MaxResolutionUserId === undefined ? shown.find((e) => e.mediaId === 1) : undefined);
  const small = shown.filter((e) => e !== big);
  const sh = H / 8;
  const sw = (sh * W) / H;
  const columns = small.length === 0 ? 0 : small.length > 8 ? 2 : 1;
  const strip = columns * sw;
  const right = layout.MaxResolutionUserAlign === 1;
  const tiles: Tile[] = [];
  if (big) tiles.push(tile(big, right ? strip : 0, 0, W - strip, H, 0));
  small.forEach((e, i) => {
    if (i < 16) {
      const col = Math.floor(i / 8);
      const x = right ? col * sw : W - (col + 1) * sw;
      tiles.push(tile(e, x, (i % 8) * sh, sw, sh, 1));
    } else {
      const k = i - 16;
      tiles.push(tile(e, (right ? strip : 0) + k * sw, H - sh, sw, sh, 1));
    }
  });
  return tiles;
}

/** Custom tiles: named users where they are named, the rest of the list filled in join order. */
function customTiles(layout: MixLayout, canvas: Canvas, entries: readonly LayoutEntry[]): Tile[] {
  const list = layout.MixLayoutList ?? [];
  const named = new Set(list.filter((t) => t.UserId !== undefined).map((t) => `${t.UserId}:${t.MediaId ?? 0}`));
  const unnamed = entries.filter((e) => !named.has(`${e.userId}:${e.mediaId}`));
  const tiles: Tile[] = [];
  for (const t of list) {
    const entry = t.UserId === undefined ? unnamed.shift() : entries.find((e) => same(e, t.UserId, t.MediaId));
    if (!entry) continue;
    const x = Math.min(t.Left, canvas.width - 2);
    const y = Math.min(t.Top, canvas.height - 2);
    const width = Math.min(t.Width, canvas.width - x);
    const height = Math.min(t.Height, canvas.height - y);
    if (width < 2 || height < 2) continue; // a zero-size tile: audio only, as in TRTC
    tiles.push({
      userId: entry.userId,
      mediaId: entry.mediaId,
      x,
      y,
      width,
      height,
      z: t.ImageLayer ?? 0,
      renderMode: renderMode(t.RenderMode),
    });
  }
  return tiles;
}
