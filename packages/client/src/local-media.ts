/**
 * The local side: what is captured (microphone, camera, screen), its preview, mute state and publishing
 * settings, independent of any room. The facade publishes from here whenever a media session exists.
 */
import type { PublishRequest, PublishSlot } from './media-session.ts';
import { SMALL_VIDEO_PROFILE, smallLayerScale, type AudioProfile, type VideoProfile } from './profiles.ts';
import type { VideoView } from './playback.ts';

/** A captured local track and how to publish it. */
export interface LocalTrack {
  track: MediaStreamTrack;
  /** Opened by the SDK (stopped by it) rather than handed in by the application. */
  owned: boolean;
  muted: boolean;
  /** Preview (camera, screen). */
  view?: VideoView;
  video?: { profile: VideoProfile; small: boolean; deviceId?: string };
  audio?: { profile: AudioProfile; deviceId?: string };
}

/** The captured tracks by slot. */
export class LocalMedia {
  readonly #tracks = new Map<PublishSlot, LocalTrack>();

  get(slot: PublishSlot): LocalTrack | undefined {
    return this.#tracks.get(slot);
  }

  set(slot: PublishSlot, local: LocalTrack): void {
    this.#tracks.set(slot, local);
  }

  /** Removes a slot, stopping its track if the SDK opened it and destroying its preview. */
  release(slot: PublishSlot): void {
    const local = this.#tracks.get(slot);
    if (!local) return;
    this.#tracks.delete(slot);
    local.view?.destroy();
    if (local.owned) local.track.stop();
  }

  /** Slots with a captured track. */
  slots(): PublishSlot[] {
    return [...this.#tracks.keys()];
  }

  /** Local track id → slot, for statistics. */
  trackSlots(): Map<string, PublishSlot> {
    return new Map([...this.#tracks].map(([slot, l]) => [l.track.id, slot]));
  }

  /** How to publish a slot's track. */
  publishRequest(slot: PublishSlot): PublishRequest | undefined {
    const local = this.#tracks.get(slot);
    if (!local) return undefined;
    const req: PublishRequest = { slot, track: local.track, paused: local.muted };
    if (local.audio) req.maxBitrateKbps = local.audio.profile.bitrate;
    if (local.video) {
      req.maxBitrateKbps = local.video.profile.bitrate;
      req.maxFramerate = local.video.profile.frameRate;
      if (local.video.small && slot === 'video') {
        const height = local.track.getSettings().height ?? local.video.profile.height;
        req.small = { scaleResolutionDownBy: smallLayerScale(height), maxBitrateKbps: SMALL_VIDEO_PROFILE.bitrate };
      }
    }
    return req;
  }
}
