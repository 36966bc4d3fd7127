/**
 * What the load generator needs from a system under test. Each system (Conclave through its signaling, a bare
 * mediasoup router, Janus's videoroom) admits participants, lets them publish pre-encoded streams and subscribe
 * to the others' streams; the scenario runner drives all of them the same way.
 */
import type { MediaVariant } from '../media/generate.ts';
import type { MediaPeer } from '../native/media-peer.ts';

export type SystemName = 'conclave' | 'mediasoup' | 'janus';

export type MediaKind = 'audio' | 'video';

/** A process (or thread group) whose CPU counts as the system's. */
export interface MeasuredProcess {
  label: string;
  pid: number;
  /** What the process does: forwards media (`worker`: mediasoup workers, Janus) or runs the Node server. */
  role: 'worker' | 'node';
}

export interface SystemUnderTest {
  readonly name: SystemName;
  /** Every process of the system: those that forward (mediasoup workers, Janus) and Conclave's Node server. */
  processes(): MeasuredProcess[];
  /** Admits a participant (signaling and transports); resolves when it may publish and subscribe. */
  join(userId: string): Promise<BenchParticipant>;
  close(): Promise<void>;
}

export interface BenchParticipant {
  readonly userId: string;
  /** Monotonic µs when the join began (the clock of the media peer's events). */
  readonly joinStartUs: number;
  /** Milliseconds from the start of the join to its answer. */
  readonly joinMs: number;
  /** Publishes one stream per kind; video as three simulcast layers when asked. */
  publish(kinds: MediaKind[], simulcast: boolean): Promise<void>;
  /** Subscribes to every published stream of the given users; resolves with the number of streams. */
  subscribe(publishers: string[]): Promise<number>;
  /** Media peer session ids that receive (for the subscriber's counters). */
  readonly receiveSessions: number[];
  readonly sendSessions: number[];
  leave(): Promise<void>;
}

/** The media peer and what the system needs to share it. */
export interface TargetContext {
  peer: MediaPeer;
  /** Room identifier used by every participant of a run. */
  roomId: number;
  /** Publishers send E2EE-encrypted media (and join Conclave as E2EE clients); default false. */
  e2ee?: boolean;
}

/** The media a context's publishers send. */
export function mediaVariant(ctx: Pick<TargetContext, 'e2ee'>): MediaVariant {
  return ctx.e2ee === true ? 'e2ee' : 'plain';
}

/** Payload types the media peer uses (the client's choice; SFUs map them). */
export const PAYLOAD_TYPE = { audio: 111, video: 96 } as const;

const FEEDBACK = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

/** Receive capabilities of the media peer in mediasoup's format: Opus and VP8, no BWE, no RTX. */
export const PEER_RTP_CAPABILITIES = {
  codecs: [
    {
      kind: 'audio',
      mimeType: 'audio/opus',
      preferredPayloadType: PAYLOAD_TYPE.audio,
      clockRate: 48000,
      channels: 2,
      parameters: {},
      rtcpFeedback: [],
    },
    {
      kind: 'video',
      mimeType: 'video/VP8',
      preferredPayloadType: PAYLOAD_TYPE.video,
      clockRate: 90000,
      parameters: {},
      rtcpFeedback: FEEDBACK,
    },
  ],
  headerExtensions: [],
};

/** RTP parameters of a pre-encoded stream in mediasoup's format. */
export function peerRtpParameters(kind: MediaKind, ssrcs: number[], cname: string): Record<string, unknown> {
  const codec =
    kind === 'audio'
      ? { mimeType: 'audio/opus', payloadType: PAYLOAD_TYPE.audio, clockRate: 48000, channels: 2, rtcpFeedback: [] }
      : { mimeType: 'video/VP8', payloadType: PAYLOAD_TYPE.video, clockRate: 90000, rtcpFeedback: FEEDBACK };
  return {
    codecs: [{ ...codec, parameters: {} }],
    headerExtensions: [],
    encodings: ssrcs.map((ssrc) => ({ ssrc })),
    rtcp: { cname, reducedSize: true },
  };
}

/** The media files a stream sends, lowest simulcast layer first. */
export function streamSlots(kind: MediaKind, simulcast: boolean): ('audio' | 'videoHigh' | 'videoMid' | 'videoLow')[] {
  if (kind === 'audio') return ['audio'];
  return simulcast ? ['videoLow', 'videoMid', 'videoHigh'] : ['videoHigh'];
}

export function randomSsrc(): number {
  return 0x10000 + Math.floor(Math.random() * 0xfff00000);
}
