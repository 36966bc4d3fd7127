/**
 * Janus 1.1 videoroom as a system under test, driven over its HTTP API with the same media peer: publishers
 * offer send-only SDP (SSRC simulcast when asked), subscribers answer Janus's offers receive-only.
 */
import { monotonicUs } from '../native/media-peer.ts';
import { JanusSession } from './janus-api.ts';
import { startJanus, type JanusProcess } from './janus-process.ts';
import { publisherOffer, remoteIce, subscriberAnswer } from './sdp.ts';
import {
  PAYLOAD_TYPE,
  randomSsrc,
  mediaVariant,
  streamSlots,
  type BenchParticipant,
  type MediaKind,
  type MeasuredProcess,
  type SystemUnderTest,
  type TargetContext,
} from './target.ts';

export class JanusTarget implements SystemUnderTest {
  readonly name = 'janus' as const;
  readonly #janus: JanusProcess;
  readonly #session: JanusSession;
  readonly #ctx: TargetContext;
  /** Janus feed id of each publishing user. */
  readonly #feeds = new Map<string, number>();

  private constructor(janus: JanusProcess, session: JanusSession, ctx: TargetContext) {
    this.#janus = janus;
    this.#session = session;
    this.#ctx = ctx;
  }

  static async start(ctx: TargetContext, ports: { min: number; max: number }): Promise<JanusTarget> {
    const janus = await startJanus(ports);
    try {
      const session = await JanusSession.create(janus.url);
      const admin = await session.attach();
      await session.request(admin, {
        request: 'create',
        room: ctx.roomId,
        publishers: 1000,
        audiocodec: 'opus',
        videocodec: 'vp8',
        bitrate: 0,
        fir_freq: 0,
        notify_joining: false,
      });
      return new JanusTarget(janus, session, ctx);
    } catch (error) {
      await janus.close();
      throw error;
    }
  }

  processes(): MeasuredProcess[] {
    return [{ label: `janus ${this.#janus.child.pid}`, pid: this.#janus.child.pid ?? 0, role: 'worker' }];
  }

  async join(userId: string): Promise<BenchParticipant> {
    const joinStartUs = monotonicUs();
    const handle = await this.#session.attach();
    const joinMs = (monotonicUs() - joinStartUs) / 1000;
    const { peer, roomId } = this.#ctx;
    const variant = mediaVariant(this.#ctx);
    const session = this.#session;
    const feeds = this.#feeds;
    const participant: BenchParticipant = {
      userId,
      joinStartUs,
      joinMs,
      sendSessions: [],
      receiveSessions: [],
      async publish(kinds: MediaKind[], simulcast: boolean) {
        const { sid, port, ice } = await peer.open();
        participant.sendSessions.push(sid);
        const streams = kinds.map((kind) => {
          const slots = streamSlots(kind, simulcast);
          return { kind, slots, ssrcs: slots.map(randomSsrc) };
        });
        const offer = publisherOffer(
          { address: peer.address, ice, fingerprint: peer.fingerprint, port },
          streams,
          userId,
        );
        const joined = await session.message(
          handle,
          { request: 'joinandconfigure', room: roomId, ptype: 'publisher', display: userId },
          { type: 'offer', sdp: offer },
        );
        if (!joined.jsep) throw new Error('janus answered the publisher without SDP');
        feeds.set(userId, Number(joined.plugindata?.data.id));
        await peer.connect(sid, ice, remoteIce(joined.jsep.sdp), true);
        for (const s of streams)
          s.slots.forEach((slot, i) => peer.publish(sid, slot, variant, s.ssrcs[i]!, PAYLOAD_TYPE[s.kind]));
      },
      async subscribe(publishers: string[]) {
        const streams = publishers.flatMap((p) => (feeds.has(p) ? [{ feed: feeds.get(p)! }] : []));
        if (streams.length === 0) return 0;
        const { sid, port, ice } = await peer.open();
        participant.receiveSessions.push(sid);
        // A publisher's handle cannot also subscribe: each subscription gets a handle of its own.
        const subscriber = await session.attach();
        const attached = await session.message(subscriber, {
          request: 'join',
          room: roomId,
          ptype: 'subscriber',
          streams,
        });
        if (!attached.jsep) throw new Error('janus offered the subscriber no SDP');
        const answer = subscriberAnswer(
          { address: peer.address, ice, fingerprint: peer.fingerprint, port },
          attached.jsep.sdp,
        );
        // Janus runs full ICE and nominates: the peer answers its checks and learns its address from them.
        const { usernameFragment, password } = remoteIce(attached.jsep.sdp);
        const connected = peer.connect(sid, ice, { usernameFragment, password }, false);
        await session.message(subscriber, { request: 'start' }, { type: 'answer', sdp: answer });
        await connected;
        return (answer.match(/a=recvonly/g) ?? []).length;
      },
      async leave() {},
    };
    return participant;
  }

  async close(): Promise<void> {
    await this.#session.close();
    await this.#janus.close();
  }
}
