/**
 * Who else is in the room and what they publish, as the server reports it. Takes input through `handle*`
 * methods (a join/resume snapshot or one notification) and emits TRTC's user and availability events by
 * diffing the state before and after each input, so a snapshot after a reconnection emits exactly what changed.
 */
import type { RemoteParticipant, RemoteStream } from '@conclave/protocol';
import { Emitter } from './emitter.ts';
import type { TRTCScene, TRTCStreamType } from './constants.ts';

/** Events of a {@link RemoteRoster}, in the order they are emitted for one input. */
export type RemoteRosterEvents = {
  userEnter: [userId: string];
  audioUnavailable: [userId: string];
  videoUnavailable: [userId: string, streamType: TRTCStreamType];
  audioAvailable: [userId: string];
  videoAvailable: [userId: string, streamType: TRTCStreamType];
  userExit: [userId: string];
  /** Any stream appeared, vanished, paused or resumed: subscriptions should be reconciled. */
  streamsChanged: [];
  /** The set of recording participants changed (`userIds` empty: nobody records any more). */
  recordingChanged: [userIds: string[]];
};

type Slot = `${string}|${'audio' | 'video'}|${TRTCStreamType}`;

/** The remote participants and streams of the current room. */
export class RemoteRoster extends Emitter<RemoteRosterEvents> {
  readonly #selfUserId: string;
  readonly #scene: TRTCScene;
  readonly #participants = new Map<string, RemoteParticipant>();
  readonly #streams = new Map<string, RemoteStream>();

  constructor(selfUserId: string, scene: TRTCScene) {
    super();
    this.#selfUserId = selfUserId;
    this.#scene = scene;
  }

  /** Remote participants by userId. */
  get participants(): ReadonlyMap<string, RemoteParticipant> {
    return this.#participants;
  }

  /** Published remote streams by producerId. */
  get streams(): ReadonlyMap<string, RemoteStream> {
    return this.#streams;
  }

  /** The stream a user publishes for a kind and stream type, if any. */
  findStream(userId: string, kind: 'audio' | 'video', streamType: TRTCStreamType): RemoteStream | undefined {
    for (const s of this.#streams.values()) {
      if (s.userId === userId && s.kind === kind && s.streamType === streamType) return s;
    }
    return undefined;
  }

  /** Replaces the whole state with a join/resume answer's lists. */
  handleSnapshot(participants: readonly RemoteParticipant[], streams: readonly RemoteStream[]): void {
    this.#apply(() => {
      this.#participants.clear();
      this.#streams.clear();
      for (const p of participants) if (p.userId !== this.#selfUserId) this.#participants.set(p.userId, p);
      for (const s of streams) this.#addStream(s);
    });
  }

  handleParticipantJoined(p: RemoteParticipant): void {
    if (p.userId === this.#selfUserId) return;
    this.#apply(() => this.#participants.set(p.userId, p));
  }

  handleRoleChanged(p: RemoteParticipant): void {
    this.handleParticipantJoined(p);
  }

  handleParticipantLeft(userId: string): void {
    this.#apply(() => {
      this.#participants.delete(userId);
      for (const [id, s] of this.#streams) if (s.userId === userId) this.#streams.delete(id);
    });
  }

  handleStreamAdded(stream: RemoteStream): void {
    this.#apply(() => this.#addStream(stream));
  }

  handleStreamRemoved(producerId: string): void {
    this.#apply(() => this.#streams.delete(producerId));
  }

  handleStreamPaused(producerId: string, paused: boolean): void {
    const s = this.#streams.get(producerId);
    if (!s || s.paused === paused) return;
    this.#apply(() => this.#streams.set(producerId, { ...s, paused }));
  }

  /** Forgets everything without emitting (on exitRoom or when kicked). */
  clear(): void {
    this.#participants.clear();
    this.#streams.clear();
  }

  #addStream(s: RemoteStream): void {
    if (s.userId === this.#selfUserId) return;
    this.#streams.set(s.producerId, s);
    if (!this.#participants.has(s.userId)) this.#participants.set(s.userId, { userId: s.userId, role: 'anchor' });
  }

  #visibleUsers(): Set<string> {
    const users = new Set<string>();
    for (const p of this.#participants.values()) {
      if (this.#scene === 'rtc' || p.role === 'anchor') users.add(p.userId);
    }
    return users;
  }

  #availableSlots(): Set<Slot> {
    const slots = new Set<Slot>();
    for (const s of this.#streams.values()) if (!s.paused) slots.add(`${s.userId}|${s.kind}|${s.streamType}`);
    return slots;
  }

  /** The recording participants present, sorted. */
  get recorders(): string[] {
    return [...this.#participants.values()]
      .filter((p) => p.recording === true)
      .map((p) => p.userId)
      .sort();
  }

  #apply(mutate: () => void): void {
    const recordersBefore = this.recorders.join(',');
    const usersBefore = this.#visibleUsers();
    const slotsBefore = this.#availableSlots();
    const streamsBefore = new Map([...this.#streams].map(([id, s]) => [id, s.paused]));
    mutate();
    const usersAfter = this.#visibleUsers();
    const slotsAfter = this.#availableSlots();
    for (const u of usersAfter) if (!usersBefore.has(u)) this.emit('userEnter', u);
    for (const slot of slotsBefore) if (!slotsAfter.has(slot)) this.#emitSlot(slot, false);
    for (const slot of slotsAfter) if (!slotsBefore.has(slot)) this.#emitSlot(slot, true);
    for (const u of usersBefore) if (!usersAfter.has(u)) this.emit('userExit', u);
    const changed =
      streamsBefore.size !== this.#streams.size ||
      [...this.#streams].some(([id, s]) => streamsBefore.get(id) !== s.paused);
    if (changed) this.emit('streamsChanged');
    const recorders = this.recorders;
    if (recorders.join(',') !== recordersBefore) this.emit('recordingChanged', recorders);
  }

  #emitSlot(slot: Slot, available: boolean): void {
    const [userId = '', kind, streamType] = slot.split('|') as [string, 'audio' | 'video', TRTCStreamType];
    if (kind === 'audio') this.emit(available ? 'audioAvailable' : 'audioUnavailable', userId);
    else this.emit(available ? 'videoAvailable' : 'videoUnavailable', userId, streamType);
  }
}
