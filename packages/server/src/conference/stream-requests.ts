/**
 * Publishing and receiving: transports, producers and consumers of a session. rooms/ authorises every
 * publish and receive; media/ does the work; the others in the room hear about streams through the
 * directory's events (see conference.ts).
 */
import type { types } from 'mediasoup';
import { ConclaveError, ErrorCodes, type RemoteStream, type RequestData, type RequestMethod } from '@conclave/protocol';
import { RecordingTransport } from '../media/recording-transport.ts';
import type { MediaNetwork } from '../media/room-router.ts';
import type { PublishedStream, Room, RoomDirectory } from '../rooms/index.ts';
import type { Session } from './session.ts';

interface Published {
  producer: types.Producer;
  session: Session;
  /**
   * Whether the publisher muted it. Not `producer.paused`: the keyframe fast path pauses and resumes producers
   * for an instant, which must neither look like a mute nor swallow one.
   */
  paused: boolean;
}

export class StreamRequests {
  readonly #directory: RoomDirectory;
  readonly #sessionsIn: (room: Room) => Session[];
  /** Every producer of this node by id, so a consume request finds its source. */
  readonly #producers = new Map<string, Published>();
  readonly #limits: { consumersPerSession: number; network: MediaNetwork };

  constructor(
    directory: RoomDirectory,
    sessionsIn: (room: Room) => Session[],
    limits: { consumersPerSession: number; network: MediaNetwork },
  ) {
    this.#directory = directory;
    this.#sessionsIn = sessionsIn;
    this.#limits = limits;
  }

  async handle(session: Session, method: RequestMethod, data: unknown): Promise<unknown> {
    const { media } = session;
    switch (method) {
      case 'setRtpCapabilities':
        media.rtpCapabilities = (data as RequestData<'setRtpCapabilities'>)
          .rtpCapabilities as unknown as types.RtpCapabilities;
        return {};
      case 'connectTransport': {
        const d = data as RequestData<'connectTransport'>;
        await media.connect(d.transportId, d.dtlsParameters as unknown as types.DtlsParameters);
        return {};
      }
      case 'restartIce':
        return { iceParameters: await media.restartIce((data as RequestData<'restartIce'>).transportId) };
      case 'produce':
        return this.#produce(session, data as RequestData<'produce'>);
      case 'closeProducer':
        this.#directory.removeStream(
          session.participant,
          this.#own(session, (data as RequestData<'closeProducer'>).producerId).id,
        );
        return {};
      case 'pauseProducer':
      case 'resumeProducer':
        await this.#setPaused(session, (data as RequestData<'pauseProducer'>).producerId, method === 'pauseProducer');
        return {};
      case 'consume':
        return this.#consume(session, data as RequestData<'consume'>);
      case 'resumeConsumer':
        await media.resumeConsumer((data as RequestData<'resumeConsumer'>).consumerId);
        return {};
      case 'pauseConsumer':
        await media.consumer((data as RequestData<'pauseConsumer'>).consumerId).pause();
        return {};
      case 'closeConsumer':
        media.closeConsumer((data as RequestData<'closeConsumer'>).consumerId);
        return {};
      case 'setConsumerLayer': {
        const d = data as RequestData<'setConsumerLayer'>;
        await media.setLayer(d.consumerId, d.small);
        return {};
      }
      case 'connectReceiver': {
        if (!media.recv.sctpParameters)
          throw new ConclaveError('NOT_FOUND', 'this receive transport has no data channel');
        const idle = await media.connectReceiver();
        return {
          dataConsumerId: idle.id,
          dataProducerId: idle.dataProducerId,
          sctpStreamParameters: idle.sctpStreamParameters as unknown as Record<string, unknown>,
          label: idle.label,
          protocol: idle.protocol,
        };
      }
      case 'openRecordingTransport':
        return (await this.#recordingTransport(session)).describe();
      case 'recordStream':
        return this.#record(session, data as RequestData<'recordStream'>);
      default:
        throw new ConclaveError('SIGNAL_UNKNOWN_METHOD', `unknown method "${method}"`);
    }
  }

  /** How a published stream looks to the others, or undefined when its producer is gone. */
  describe(stream: PublishedStream): RemoteStream | undefined {
    const published = this.#producers.get(stream.id);
    if (!published) return undefined;
    return {
      producerId: stream.id,
      userId: stream.userId,
      kind: stream.kind,
      streamType: stream.streamType,
      simulcast: published.producer.type === 'simulcast',
      paused: published.paused,
    };
  }

  /** The stream left the room: close its producer (which closes every consumer of it). */
  forget(stream: PublishedStream): void {
    const published = this.#producers.get(stream.id);
    this.#producers.delete(stream.id);
    published?.producer.close();
  }

  async #produce(session: Session, d: RequestData<'produce'>): Promise<{ producerId: string }> {
    // Cheap refusals first (role, privileges, slot taken) so no producer is made for nothing; the directory
    // re-checks atomically when the stream is recorded below.
    if (session.participant.role !== 'anchor') throw new ConclaveError('ROLE_CANNOT_PUBLISH');
    if (session.participant.recording) throw new ConclaveError('RECORDER_CANNOT_PUBLISH');
    const producer = await session.media.produce(
      d.transportId,
      d.kind,
      d.rtpParameters as unknown as types.RtpParameters,
      {
        userId: session.userId,
        streamType: d.streamType,
      },
    );
    if (producer.kind === 'audio' && d.streamType === 'sub') {
      producer.close();
      throw new ConclaveError('SIGNAL_MALFORMED', 'the sub stream carries video only');
    }
    this.#producers.set(producer.id, { producer, session, paused: producer.paused });
    try {
      this.#directory.addStream(session.participant, { id: producer.id, kind: d.kind, streamType: d.streamType });
    } catch (error) {
      this.#producers.delete(producer.id);
      producer.close();
      throw error;
    }
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    return { producerId: producer.id };
  }

  #own(session: Session, producerId: string): types.Producer {
    return this.#ownPublished(session, producerId).producer;
  }

  #ownPublished(session: Session, producerId: string): Published {
    const published = this.#producers.get(producerId);
    if (!published || published.session !== session)
      throw new ConclaveError('NOT_FOUND', 'no such producer in this session');
    return published;
  }

  async #setPaused(session: Session, producerId: string, paused: boolean): Promise<void> {
    const published = this.#ownPublished(session, producerId);
    const { producer } = published;
    if (published.paused === paused) return;
    published.paused = paused;
    try {
      await (paused ? producer.pause() : producer.resume());
    } catch (error) {
      published.paused = producer.paused;
      throw error;
    }
    const room = this.#directory.getRoom(session.participant.roomKey);
    for (const other of room ? this.#sessionsIn(room) : []) {
      if (other === session) continue;
      other.notify(paused ? 'streamPaused' : 'streamResumed', { producerId, userId: session.userId });
    }
  }

  async #consume(session: Session, d: RequestData<'consume'>) {
    const stream = this.#directory.authorizeReceive(session.participant, d.producerId);
    const published = this.#producers.get(stream.id);
    if (!published) throw new ConclaveError('NOT_FOUND', 'the stream has ended');
    // One consumer per producer per session: consuming again replaces the earlier consumer (a client retrying a
    // failed receive), so repeated requests cannot pile up copies of a stream.
    const { media } = session;
    const earlier = [...media.consumers.values()].find((c) => c.producerId === stream.id);
    if (earlier) {
      media.closeConsumer(earlier.id);
      session.notify('consumerClosed', { consumerId: earlier.id });
    } else if (media.consumers.size >= this.#limits.consumersPerSession) {
      throw new ConclaveError('CONSUMER_LIMIT', undefined, { details: { limit: this.#limits.consumersPerSession } });
    }
    const consumer = await media.consume(published.producer, d.small);
    return {
      consumerId: consumer.id,
      producerId: stream.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown>,
      streamType: stream.streamType,
      userId: stream.userId,
    };
  }

  /** The session's recording transport, opened on first use (recording participants only). */
  #recordingTransport(session: Session): Promise<RecordingTransport> {
    if (!session.participant.recording) throw new ConclaveError('RECORDING_ONLY');
    if (!session.recording) {
      const recorderIp = session.connection?.clientIp ?? '';
      const opening = RecordingTransport.open(
        session.router,
        this.#limits.network,
        { sessionId: session.id, userId: session.userId },
        recorderIp,
        () =>
          session.notify('error', { code: 'RECORDING_FOREIGN_SOURCE', message: ErrorCodes.RECORDING_FOREIGN_SOURCE }),
      );
      session.recording = opening;
      opening.then(
        (t) => {
          if (session.ended) t.close();
        },
        () => (session.recording = undefined),
      );
    }
    return session.recording;
  }

  /** Consumes a stream onto the recording transport; rooms/ authorises it as any receive. */
  async #record(session: Session, d: RequestData<'recordStream'>) {
    if (!session.participant.recording) throw new ConclaveError('RECORDING_ONLY');
    const stream = this.#directory.authorizeReceive(session.participant, d.producerId);
    const published = this.#producers.get(stream.id);
    if (!published) throw new ConclaveError('NOT_FOUND', 'the stream has ended');
    const transport = await this.#recordingTransport(session);
    if (transport.transport.closed) throw new ConclaveError('RECORDING_FOREIGN_SOURCE');
    const consumer = await transport.record(published.producer);
    const codec = consumer.rtpParameters.codecs[0];
    const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
    if (!codec || ssrc === undefined) throw new ConclaveError('MEDIA_CANNOT_CONSUME');
    return {
      consumerId: consumer.id,
      producerId: stream.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown>,
      streamType: stream.streamType,
      userId: stream.userId,
      ssrc,
      payloadType: codec.payloadType,
      mimeType: codec.mimeType,
      clockRate: codec.clockRate,
    };
  }
}
