/**
 * Room commands between nodes: the Cloud API can be called on any node, but a room lives on one. A node that
 * receives DismissRoom or RemoveUser for a room served elsewhere sends the command to the serving node over
 * Redis pub/sub (`{prefix}node:{id}:commands`) and waits for its answer (`{prefix}node:{id}:answers`). Every
 * message is authenticated with a key derived from the cluster secret, carries its sender, a fresh id and a
 * timestamp, is size-bounded and schema-checked, and is used at most once: Redis is shared infrastructure, not
 * a party allowed to dismiss rooms.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConclaveError, roomIdSchema, strRoomIdSchema, userIdSchema } from '@conclave/protocol';
import type { Logger } from '../logger.ts';

/** Carries out a command on this node's rooms; false when the room is not served here. */
export type RoomCommandHandler = (command: RoomCommand) => Promise<boolean>;

const MAX_MESSAGE_BYTES = 8 * 1024;
/** A message older (or further ahead) than this is refused; its id is remembered at least this long. */
const FRESH_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 3_000;

const roomKeySchema = z.union([
  z.object({ sdkAppId: z.number().int().min(1).max(4294967295), roomId: roomIdSchema }).strict(),
  z.object({ sdkAppId: z.number().int().min(1).max(4294967295), strRoomId: strRoomIdSchema }).strict(),
]);
const commandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dismiss'), room: roomKeySchema }).strict(),
  z
    .object({ type: z.literal('removeUsers'), room: roomKeySchema, userIds: z.array(userIdSchema).min(1).max(10) })
    .strict(),
]);
/** What one node asks another to do to a room it serves. */
export type RoomCommand = z.infer<typeof commandSchema>;

const nodeIdSchema = z.string().min(1).max(128);
const envelopeSchema = z
  .object({
    id: z.string().uuid(),
    from: nodeIdSchema,
    to: nodeIdSchema,
    at: z.number().int(),
    body: z.union([
      z.object({ command: commandSchema }).strict(),
      z.object({ answer: z.object({ found: z.boolean() }).strict() }).strict(),
    ]),
    mac: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .strict();
type Envelope = z.infer<typeof envelopeSchema>;

/** Options of {@link RoomCommands}. */
export interface RoomCommandsOptions {
  redis: Redis;
  prefix: string;
  selfId: string;
  /** The cluster secret (shared by every node). */
  secret: string;
  handle: RoomCommandHandler;
  log: Logger;
  timeoutMs?: number;
  now?: () => number;
}

export class RoomCommands {
  readonly #o: RoomCommandsOptions;
  readonly #key: Buffer;
  readonly #now: () => number;
  readonly #pending = new Map<string, { resolve: (found: boolean | undefined) => void; timer: NodeJS.Timeout }>();
  /** Ids of messages accepted, with when they may be forgotten. */
  readonly #seen = new Map<string, number>();
  #subscriber: Redis | undefined;

  constructor(options: RoomCommandsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#key = crypto.createHmac('sha256', options.secret).update('conclave room commands v1').digest();
  }

  #channel(nodeId: string, kind: 'commands' | 'answers'): string {
    return `${this.#o.prefix}node:${nodeId}:${kind}`;
  }

  /** Subscribes to this node's command and answer channels (a second Redis connection). */
  async start(): Promise<void> {
    const subscriber = this.#o.redis.duplicate();
    subscriber.on('error', () => undefined); // the main connection reports Redis trouble
    this.#subscriber = subscriber;
    if (subscriber.status === 'wait') await subscriber.connect();
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => void this.#receive(message));
    await subscriber.subscribe(this.#channel(this.#o.selfId, 'commands'), this.#channel(this.#o.selfId, 'answers'));
  }

  /**
   * Sends `command` to the node serving the room and returns whether it found the room there. Throws
   * CLUSTER_UNAVAILABLE when Redis is unreachable, the node does not listen, or it does not answer in time.
   */
  async send(nodeId: string, command: RoomCommand): Promise<boolean> {
    const id = crypto.randomUUID();
    const answer = new Promise<boolean | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.#pending.set(id, { resolve, timer });
    });
    let listeners: number;
    try {
      listeners = await this.#o.redis.publish(this.#channel(nodeId, 'commands'), this.#seal(id, nodeId, { command }));
    } catch (err) {
      this.#settle(id, undefined);
      throw new ConclaveError('CLUSTER_UNAVAILABLE', undefined, { cause: err });
    }
    if (listeners === 0) this.#settle(id, undefined);
    const found = await answer;
    if (found === undefined)
      throw new ConclaveError('CLUSTER_UNAVAILABLE', 'the node serving the room did not answer', {
        details: { nodeId },
      });
    return found;
  }

  /** Unsubscribes; commands still waiting for an answer fail. */
  async close(): Promise<void> {
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined);
    this.#subscriber?.disconnect();
  }

  #settle(id: string, found: boolean | undefined): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(found);
  }

  #mac(fields: Omit<Envelope, 'mac'>): string {
    return crypto.createHmac('sha256', this.#key).update(JSON.stringify(fields)).digest('base64url');
  }

  /** Seals a message; an answer carries the id of the command it answers, so the sender can match it. */
  #seal(id: string, to: string, body: Envelope['body']): string {
    const fields = { id, from: this.#o.selfId, to, at: this.#now(), body };
    return JSON.stringify({ ...fields, mac: this.#mac(fields) });
  }

  /** Opens a message: undefined unless it is well-formed, for this node, fresh, authentic and new. */
  #open(message: Buffer): Envelope | undefined {
    if (message.length > MAX_MESSAGE_BYTES) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.toString('utf8'));
    } catch {
      return undefined;
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) return undefined;
    const { mac, ...fields } = envelope.data;
    const now = this.#now();
    if (fields.to !== this.#o.selfId || Math.abs(now - fields.at) > FRESH_MS) return undefined;
    const expected = Buffer.from(this.#mac(fields));
    if (!crypto.timingSafeEqual(expected, Buffer.from(mac))) return undefined;
    for (const [seenId, until] of this.#seen) if (until < now) this.#seen.delete(seenId);
    if (this.#seen.has(fields.id)) return undefined;
    this.#seen.set(fields.id, now + 2 * FRESH_MS);
    return envelope.data;
  }

  async #receive(message: Buffer): Promise<void> {
    const envelope = this.#open(message);
    if (!envelope) {
      this.#o.log.warn({ bytes: message.length }, 'room command refused (malformed, stale, replayed or not authentic)');
      return;
    }
    const { body } = envelope;
    if ('answer' in body) {
      this.#settle(envelope.id, body.answer.found);
      return;
    }
    let found = false;
    try {
      found = await this.#o.handle(body.command);
    } catch (err) {
      this.#o.log.warn({ err, type: body.command.type }, 'room command failed');
    }
    await this.#o.redis
      .publish(this.#channel(envelope.from, 'answers'), this.#seal(envelope.id, envelope.from, { answer: { found } }))
      .catch(() => undefined); // the sender times out and reports CLUSTER_UNAVAILABLE
  }
}
