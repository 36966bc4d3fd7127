/**
 * The plan of one mixed file: the file's time is cut wherever a stream arrives or leaves or the layout changes;
 * in each stretch the layout gives every present stream its tile. A stream's consecutive stretches with the same
 * tile are merged, so a call where nobody moves is one branch per stream. Pure: no files, no processes.
 */
import { layoutTiles, type Canvas, type LayoutEntry, type Tile } from './layout.ts';
import type { MixLayout } from './mix-params.ts';

/** What the plan needs to know of a captured stream. */
export interface CapturedStream {
  userId: string;
  mediaId: 0 | 1;
  /** The user's place in the room's join order (TRTC's templates place users in the order they entered). */
  joinRank: number;
  /** Presence on the file's clock, ms from the file's start. */
  startMs: number;
  endMs: number;
  video?: { path: string; offsetMs: number };
  audio?: { path: string; offsetMs: number };
}

/** A layout in force from `atMs` (file clock) until the next one. */
export interface LayoutChange {
  atMs: number;
  layout: MixLayout;
}

/** One stream shown in one tile from `startMs` to `endMs`. */
export interface Branch {
  startMs: number;
  endMs: number;
  tile: Tile;
}

export interface PlannedVideo {
  path: string;
  offsetMs: number;
  branches: Branch[];
}

export interface CompositionPlan {
  durationMs: number;
  /** Whether the file has a video track (false for audio-only tasks, StreamType 1). */
  video: boolean;
  /** Video inputs that appear somewhere (streams never given a tile are not decoded at all). */
  videos: PlannedVideo[];
  audios: { path: string; offsetMs: number }[];
}

/** Branches beyond this are dropped (a file is cut when its plan grows this large; see MixedRecording). */
export const MAX_BRANCHES = 1000;

const sameTile = (a: Tile, b: Tile) =>
  a.x === b.x &&
  a.y === b.y &&
  a.width === b.width &&
  a.height === b.height &&
  a.z === b.z &&
  a.renderMode === b.renderMode;

export function planComposition(options: {
  durationMs: number;
  canvas: Canvas;
  streams: readonly CapturedStream[];
  layouts: readonly LayoutChange[];
  video: boolean;
  audio: boolean;
}): CompositionPlan {
  const { durationMs, canvas, streams, layouts } = options;
  const cuts = new Set<number>([0, durationMs]);
  for (const s of streams) cuts.add(clamp(s.startMs, durationMs)).add(clamp(s.endMs, durationMs));
  for (const l of layouts) cuts.add(clamp(l.atMs, durationMs));
  const times = [...cuts].sort((a, b) => a - b);
  // Join order (ties: first arrival, main before sub, then userId, so the order is stable).
  const ordered = [...streams].sort(
    (a, b) =>
      a.joinRank - b.joinRank || a.startMs - b.startMs || a.mediaId - b.mediaId || a.userId.localeCompare(b.userId),
  );
  const branches = new Map<CapturedStream, Branch[]>();
  let count = 0;
  if (options.video) {
    for (let i = 0; i + 1 < times.length; i++) {
      const start = times[i]!;
      const end = times[i + 1]!;
      const layout = [...layouts].reverse().find((l) => l.atMs <= start)?.layout ?? layouts[0]?.layout;
      if (!layout) break;
      const present = ordered.filter((s) => s.startMs <= start && s.endMs >= end);
      const entries: LayoutEntry[] = present.map((s) => ({
        userId: s.userId,
        mediaId: s.mediaId,
        hasVideo: s.video !== undefined,
      }));
      for (const tile of layoutTiles(layout, canvas, entries)) {
        const stream = present.find((s) => s.userId === tile.userId && s.mediaId === tile.mediaId);
        if (!stream?.video) continue;
        const list = branches.get(stream) ?? [];
        const last = list.at(-1);
        if (last && last.endMs === start && sameTile(last.tile, tile)) last.endMs = end;
        else if (count < MAX_BRANCHES) {
          list.push({ startMs: start, endMs: end, tile });
          count++;
        }
        branches.set(stream, list);
      }
    }
  }
  return {
    durationMs,
    video: options.video,
    videos: ordered
      .filter((s) => s.video && (branches.get(s)?.length ?? 0) > 0)
      .map((s) => ({ path: s.video!.path, offsetMs: s.video!.offsetMs, branches: branches.get(s)! })),
    audios: options.audio ? ordered.flatMap((s) => (s.audio ? [s.audio] : [])) : [],
  };
}

function clamp(ms: number, durationMs: number): number {
  return Math.min(Math.max(0, Math.round(ms)), durationMs);
}
