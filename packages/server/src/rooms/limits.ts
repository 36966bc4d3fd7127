/** Per-scene room limits (trtc.md §3) with TRTC's published defaults, overridable per deployment. */
import { ConclaveError } from '@conclave/protocol';
import type { Scene } from '@conclave/protocol';

/**
 * Caps of one scene. Two publisher caps exist because TRTC counts them differently per scene:
 * - `maxPublishers`: participants with at least one published stream, checked when a first stream is added.
 *   This is rtc's "≤ 50 publishing" — in rtc everyone is usually an anchor, so capping anchors instead
 *   would turn a 300-user call into a 50-user call.
 * - `maxAnchors`: participants holding the anchor role, checked on entry and on switchRole. This is live's
 *   "≤ 50 anchors"; in rtc it defaults to `maxUsers`, i.e. no separate cap.
 */
export interface SceneLimits {
  readonly maxUsers: number;
  readonly maxPublishers: number;
  readonly maxAnchors: number;
}

/** Limits for both scenes. */
export type RoomLimits = Readonly<Record<Scene, SceneLimits>>;

/** Overrides for {@link RoomLimits}; anything left out keeps its default. */
export type RoomLimitsOverrides = { readonly [S in Scene]?: Partial<SceneLimits> };

/** TRTC's published figures: rtc ≤ 300 users / 50 publishing; live ≤ 100,000 users / 50 anchors. */
export const DEFAULT_ROOM_LIMITS: RoomLimits = {
  rtc: { maxUsers: 300, maxPublishers: 50, maxAnchors: 300 },
  live: { maxUsers: 100_000, maxPublishers: 50, maxAnchors: 50 },
};

/** Merges overrides onto the defaults. Throws CONFIG_INVALID unless every cap is an integer ≥ 1. */
export function resolveRoomLimits(overrides: RoomLimitsOverrides = {}): RoomLimits {
  const resolve = (scene: Scene): SceneLimits => {
    const limits = { ...DEFAULT_ROOM_LIMITS[scene], ...overrides[scene] };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new ConclaveError('CONFIG_INVALID', `Room limit ${scene}.${name} must be an integer ≥ 1`, {
          details: { scene, name, value },
        });
      }
    }
    return Object.freeze(limits);
  };
  return Object.freeze({ rtc: resolve('rtc'), live: resolve('live') });
}
