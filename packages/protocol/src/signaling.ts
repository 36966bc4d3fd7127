/**
 * Signaling messages between the SDK and the server, version {@link PROTOCOL_VERSION}, over one WebSocket per
 * participant. Three shapes: a client request `{v, id, method, data}`, the server's response
 * `{v, id, ok, data | error}`, and a server notification `{v, notification, data}`. Every inbound message is
 * validated against these schemas on arrival; mediasoup's own parameter objects are bounded here and
 * validated in depth by mediasoup.
 */
import { z } from 'zod';
import {
  kickReasonSchema,
  leaveReasonSchema,
  mediaKindSchema,
  roleSchema,
  roomIdSchema,
  sceneSchema,
  sdkAppIdSchema,
  strRoomIdSchema,
  streamTypeSchema,
  userIdSchema,
  type KickReason,
  type LeaveReason,
} from './identifiers.ts';
import { qualitySampleSchema } from './quality.ts';

/** Largest signaling message either side accepts, in bytes. */
export const MAX_SIGNAL_MESSAGE_BYTES = 16 * 1024;

const id = z.string().min(1).max(64);
/** An E2EE public key: opaque base64, at most 256 bytes (an X25519 key is 32). */
export const e2eePublicKeySchema = z.string().max(344).base64();

/** Largest E2EE key message the server relays, in base64 characters (it never parses them). */
export const MAX_E2EE_KEY_MESSAGE_CHARS = 4096;

/** An opaque object produced by mediasoup (RTP parameters, DTLS parameters, capabilities). */
const mediasoupObject = z.record(z.string(), z.unknown());

const roomKey = z.union([
  z.object({ roomId: roomIdSchema, strRoomId: z.undefined().optional() }),
  z.object({ strRoomId: strRoomIdSchema, roomId: z.undefined().optional() }),
]);

/** A display name: 1–64 characters, no control characters. */
export const userNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'userName must not contain control characters');

/** A room password set by its owner: 1–64 characters. */
export const roomPasswordSchema = z.string().min(1).max(64);

/** Longest in-room chat message, in characters. */
export const MAX_CHAT_MESSAGE_CHARS = 500;

/** Most seats of on-stage (seat) mode. */
export const MAX_SEATS = 50;

/** A device the room's hosts control: the microphone (main audio), the camera (main video), the screen (sub). */
export const controlledDeviceSchema = z.enum(['microphone', 'camera', 'screen']);
export type ControlledDevice = z.infer<typeof controlledDeviceSchema>;

const requestId = z.string().min(1).max(64);

/**
 * Conference control (TUIRoomKit's room engine): one request method, `roomControl`, with an `action`. Host
 * actions (owner or admin) are refused with NOT_ROOM_ADMIN for anyone else; owner actions with NOT_ROOM_OWNER.
 */
export const roomControlSchema = z.discriminatedUnion('action', [
  /** Owner: make another participant the owner (the caller stays, as a member). */
  z.object({ action: z.literal('transferOwner'), userId: userIdSchema }).strict(),
  /** Owner: make a participant an admin, or a member again. */
  z.object({ action: z.literal('setAdmin'), userId: userIdSchema, admin: z.boolean() }).strict(),
  /** Host: mute all / disable all cameras / disable screen share for everyone but the hosts. */
  z
    .object({ action: z.literal('disableDeviceForAll'), device: controlledDeviceSchema, disabled: z.boolean() })
    .strict(),
  /** Host: close one participant's device (the server closes its stream). */
  z.object({ action: z.literal('closeRemoteDevice'), userId: userIdSchema, device: controlledDeviceSchema }).strict(),
  /** Host: ask a participant to open a device; only the participant can do it, after accepting. */
  z
    .object({
      action: z.literal('requestOpenDevice'),
      userId: userIdSchema,
      device: z.enum(['microphone', 'camera']),
    })
    .strict(),
  /** The asked participant's answer to `requestOpenDevice`. */
  z.object({ action: z.literal('answerDeviceRequest'), requestId, accept: z.boolean() }).strict(),
  /** Host: on-stage mode with this many seats (0 turns it off: everyone may publish as their role allows). */
  z.object({ action: z.literal('setSeatMode'), maxSeats: z.number().int().min(0).max(MAX_SEATS) }).strict(),
  /** Anyone: raise the hand to ask for a seat (a host takes a free seat at once), or lower it. */
  z.object({ action: z.literal('raiseHand'), raised: z.boolean() }).strict(),
  /** Host: bring a participant whose hand is up onto a free seat, or turn the request down. */
  z.object({ action: z.literal('approveSeat'), userId: userIdSchema, approve: z.boolean() }).strict(),
  /** Anyone on a seat: leave it (streams close). */
  z.object({ action: z.literal('leaveSeat') }).strict(),
  /** Host: take a participant off its seat (streams close). */
  z.object({ action: z.literal('kickOffSeat'), userId: userIdSchema }).strict(),
  /** Host: lock or unlock a seat; a locked seat cannot be taken (its occupant stays). */
  z
    .object({
      action: z.literal('lockSeat'),
      index: z
        .number()
        .int()
        .min(0)
        .max(MAX_SEATS - 1),
      locked: z.boolean(),
    })
    .strict(),
  /** Host: remove a participant from the room. */
  z.object({ action: z.literal('kickUser'), userId: userIdSchema }).strict(),
  /** Host: refuse (or admit again) new entrants. */
  z.object({ action: z.literal('lockRoom'), locked: z.boolean() }).strict(),
  /** Owner: require a password of new entrants (null removes it). */
  z.object({ action: z.literal('setPassword'), password: roomPasswordSchema.nullable() }).strict(),
]);

/** See {@link roomControlSchema}. */
export type RoomControlRequest = z.output<typeof roomControlSchema>;
/** The `action` names of {@link roomControlSchema}. */
export type RoomControlAction = RoomControlRequest['action'];

export const joinRequestSchema = z
  .object({
    sdkAppId: sdkAppIdSchema,
    userId: userIdSchema,
    userSig: z.string().min(1).max(4096),
    roomId: roomIdSchema.optional(),
    strRoomId: strRoomIdSchema.optional(),
    role: roleSchema.default('anchor'),
    scene: sceneSchema.default('rtc'),
    privateMapKey: z.string().min(1).max(4096).optional(),
    /** The device's receive capabilities (mediasoup-client `device.rtpCapabilities`), once loaded. */
    rtpCapabilities: mediasoupObject.optional(),
    sdkVersion: z.string().max(32).default('unknown'),
    os: z.string().max(64).default('unknown'),
    /** The entrant encrypts its media end to end (SFrame). */
    e2ee: z.boolean().default(false),
    /** Asks the room to require E2EE of everyone (honoured when this join creates the room). */
    requireE2ee: z.boolean().default(false),
    /** The entrant's E2EE public key (base64), published to the others for managed sender keys. */
    e2eePublicKey: e2eePublicKeySchema.optional(),
    /**
     * The ticket of a cluster redirect (error `CLUSTER_REDIRECT`, details `{ url, ticket }`): the node named in it
     * serves the room without asking the placement again. The UserSig is verified here all the same.
     */
    clusterTicket: z.string().min(1).max(1024).optional(),
    /** The entrant's display name, shown in the roster (conference control). */
    userName: userNameSchema.optional(),
    /** The room's password, when its owner set one (conference control). */
    roomPassword: roomPasswordSchema.optional(),
    /**
     * Enters as a recording participant (the on-premises recorder): receives only, through a plain RTP transport
     * (`openRecordingTransport`, `recordStream`), and is shown to everyone with `recording: true`. Needs a
     * `privateMapKey` for this room with the Record privilege bit (256).
     */
    recording: z.boolean().default(false),
  })
  .strict()
  .refine((j) => (j.roomId === undefined) !== (j.strRoomId === undefined), {
    message: 'exactly one of roomId and strRoomId',
    path: ['roomId'],
  });

export const requestSchemas = {
  join: joinRequestSchema,
  /** Resume a dropped session within the grace period with the token from the join answer. */
  resume: z.object({ resumeToken: z.string().min(16).max(128), rtpCapabilities: mediasoupObject.optional() }).strict(),
  leave: z.object({}).strict(),
  setRtpCapabilities: z.object({ rtpCapabilities: mediasoupObject }).strict(),
  connectTransport: z.object({ transportId: id, dtlsParameters: mediasoupObject }).strict(),
  restartIce: z.object({ transportId: id }).strict(),
  produce: z
    .object({ transportId: id, kind: mediaKindSchema, streamType: streamTypeSchema, rtpParameters: mediasoupObject })
    .strict(),
  closeProducer: z.object({ producerId: id }).strict(),
  pauseProducer: z.object({ producerId: id }).strict(),
  resumeProducer: z.object({ producerId: id }).strict(),
  consume: z.object({ producerId: id, small: z.boolean().default(false) }).strict(),
  resumeConsumer: z.object({ consumerId: id }).strict(),
  pauseConsumer: z.object({ consumerId: id }).strict(),
  closeConsumer: z.object({ consumerId: id }).strict(),
  /** `small: true` selects the low simulcast layer of a main stream. */
  setConsumerLayer: z.object({ consumerId: id, small: z.boolean() }).strict(),
  switchRole: z.object({ role: roleSchema, privateMapKey: z.string().min(1).max(4096).optional() }).strict(),
  /** TRTC custom message: anchors only, cmdId 1..10, ≤ 1 KB of data (base64 on the wire). */
  customMessage: z.object({ cmdId: z.number().int().min(1).max(10), data: z.string().max(1400).base64() }).strict(),
  qualitySample: qualitySampleSchema,
  heartbeat: z.object({}).strict(),
  /** An opaque E2EE key message for one participant; the server relays it without parsing. */
  e2eeKeyMessage: z
    .object({ to: userIdSchema, payload: z.string().min(1).max(MAX_E2EE_KEY_MESSAGE_CHARS).base64() })
    .strict(),
  /**
   * Connects the receive transport before anything is received (an idle data channel), so the first remote
   * stream does not wait for ICE and DTLS.
   */
  connectReceiver: z.object({}).strict(),
  /** Conference control; see {@link roomControlSchema}. */
  roomControl: roomControlSchema,
  /** In-room text chat: relayed to the others, rate-limited, never stored. */
  chatMessage: z.object({ text: z.string().min(1).max(MAX_CHAT_MESSAGE_CHARS) }).strict(),
  /**
   * Recording participants only: opens (once per session) a plain RTP transport on the SFU that sends to the
   * address the recorder's first packet comes from (comedia), so the server never sends to an address a
   * request named.
   */
  openRecordingTransport: z.object({}).strict(),
  /** Recording participants only: consumes a stream onto the recording transport (VP8/Opus, no simulcast layer choice). */
  recordStream: z.object({ producerId: id }).strict(),
} as const;

export type RequestMethod = keyof typeof requestSchemas;
export type RequestData<M extends RequestMethod> = z.output<(typeof requestSchemas)[M]>;
export type RequestInput<M extends RequestMethod> = z.input<(typeof requestSchemas)[M]>;

/** The envelope of a client request, validated before its data. */
export const requestEnvelopeSchema = z
  .object({
    v: z.literal(1),
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    method: z.string().max(32),
    data: z.unknown(),
  })
  .strict();

export interface TransportOptions {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
  /** Present on a receive transport that can carry the idle data channel of `connectReceiver`. */
  sctpParameters?: Record<string, unknown>;
}

/** What `connectReceiver` answers: an idle data consumer to open on the receive transport. */
export interface ConnectReceiverAnswer {
  dataConsumerId: string;
  dataProducerId: string;
  sctpStreamParameters: Record<string, unknown>;
  label: string;
  protocol: string;
}

/** A published stream as others see it. */
export interface RemoteStream {
  producerId: string;
  userId: string;
  kind: 'audio' | 'video';
  streamType: 'main' | 'sub';
  /** Whether a small (low) layer exists. */
  simulcast: boolean;
  paused: boolean;
}

export interface RemoteParticipant {
  userId: string;
  role: 'anchor' | 'audience';
  /** The display name given at entry, if any. */
  userName?: string;
  /** Present when the participant encrypts end to end with managed keys. */
  e2eePublicKey?: string;
  /** Present (true) when the participant is a recorder: everything it receives may be kept. */
  recording?: true;
}

/** What `openRecordingTransport` answers: where the recorder sends its first packet (RTP and RTCP muxed). */
export interface RecordingTransportAnswer {
  transportId: string;
  ip: string;
  port: number;
}

/** What `recordStream` answers: the consumer and the SSRC/payload type its RTP arrives with. */
export interface RecordStreamAnswer extends ConsumeAnswer {
  ssrc: number;
  payloadType: number;
  mimeType: string;
  clockRate: number;
}

/** An RTCIceServer as the browser takes it: TURN URLs with an ephemeral username and credential. */
export interface IceServer {
  /** `turn:host:port?transport=udp|tcp` or `turns:host:443?transport=tcp`. */
  urls: string[];
  /** `<expiry unix seconds>:<userId>` (TURN REST API). */
  username: string;
  /** base64(HMAC-SHA1(shared secret, username)); valid until the expiry in `username`. */
  credential: string;
}

/** A seat of on-stage mode. */
export interface RoomSeat {
  index: number;
  /** Who sits here, or null when free. */
  userId: string | null;
  locked: boolean;
}

/** The conference-control state of a room, sent at entry and after every change (`roomControl`). */
export interface RoomControlState {
  /** The owner's userId (null only while the room is empty). */
  ownerId: string | null;
  adminIds: string[];
  /** Devices disabled for everyone but the hosts. */
  disabled: Record<ControlledDevice, boolean>;
  locked: boolean;
  hasPassword: boolean;
  /** 0: on-stage mode off. */
  maxSeats: number;
  seats: RoomSeat[];
  /** Participants whose hand is up (asking for a seat), oldest first. */
  raisedHands: string[];
}

export interface JoinAnswer {
  /** Present this to `resume` within the grace period after a dropped connection. */
  resumeToken: string;
  resumeGraceSeconds: number;
  routerRtpCapabilities: Record<string, unknown>;
  sendTransport: TransportOptions;
  recvTransport: TransportOptions;
  participants: RemoteParticipant[];
  streams: RemoteStream[];
  /** Unix ms when the UserSig expires; the server ends the session then unless refreshed. */
  expiresAt: number;
  /** Whether this room requires end-to-end encrypted media of everyone. */
  e2eeRequired: boolean;
  /** TURN servers for networks where the SFU is not reachable directly (absent when TURN is off). */
  iceServers?: IceServer[];
  /** Conference control: owner, admins, bans, lock, seats. */
  control: RoomControlState;
}

export interface ConsumeAnswer {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: Record<string, unknown>;
  streamType: 'main' | 'sub';
  userId: string;
}

/** What each request method answers with. */
export interface ResponseData {
  join: JoinAnswer;
  resume: JoinAnswer;
  leave: Record<string, never>;
  setRtpCapabilities: Record<string, never>;
  connectTransport: Record<string, never>;
  restartIce: { iceParameters: Record<string, unknown> };
  produce: { producerId: string };
  closeProducer: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  consume: ConsumeAnswer;
  resumeConsumer: Record<string, never>;
  pauseConsumer: Record<string, never>;
  closeConsumer: Record<string, never>;
  setConsumerLayer: Record<string, never>;
  switchRole: { role: 'anchor' | 'audience' };
  customMessage: Record<string, never>;
  qualitySample: Record<string, never>;
  heartbeat: { serverTime: number };
  e2eeKeyMessage: Record<string, never>;
  connectReceiver: ConnectReceiverAnswer;
  roomControl: { requestId?: string };
  chatMessage: Record<string, never>;
  openRecordingTransport: RecordingTransportAnswer;
  recordStream: RecordStreamAnswer;
}

/** Server → client notifications and their payloads. */
export interface NotificationData {
  participantJoined: RemoteParticipant;
  participantLeft: { userId: string; reason: LeaveReason };
  roleChanged: RemoteParticipant;
  streamAdded: RemoteStream;
  streamRemoved: { producerId: string; userId: string };
  streamPaused: { producerId: string; userId: string };
  streamResumed: { producerId: string; userId: string };
  /** The consumer ended because its producer or transport went away. */
  consumerClosed: { consumerId: string };
  customMessage: { userId: string; cmdId: number; seq: number; data: string };
  /** An opaque E2EE key message from another participant. */
  e2eeKeyMessage: { from: string; payload: string };
  /** This session is over: the same user entered elsewhere, was removed, or the room was dismissed. */
  kicked: { reason: KickReason; message: string };
  /** The media plane under this session failed (e.g. its worker died); rejoin to get new transports. */
  mediaReset: { reason: 'worker_died' };
  /** The UserSig expires soon; the session ends at `expiresAt`. */
  tokenExpiring: { expiresAt: number };
  /** The room's conference-control state changed (the whole state). */
  roomControl: RoomControlState;
  /** A host asks this participant to open a device; answer with `roomControl` `answerDeviceRequest`. */
  deviceRequest: { requestId: string; from: string; device: 'microphone' | 'camera' };
  /** The participant asked by this one answered. */
  deviceRequestAnswered: { requestId: string; userId: string; device: 'microphone' | 'camera'; accepted: boolean };
  /** The server closed this participant's device stream: a host closed it, disabled it for all, or took the seat. */
  deviceClosed: { device: ControlledDevice; by: string };
  /** An in-room text message (never stored by the server). */
  chatMessage: { userId: string; userName?: string; text: string; at: number };
  /** A message that could not be attributed to a request was refused (malformed, too large). */
  error: { code: string; message: string };
}

export type NotificationName = keyof NotificationData;

const remoteParticipantSchema = z.object({
  userId: userIdSchema,
  role: roleSchema,
  userName: userNameSchema.optional(),
  e2eePublicKey: e2eePublicKeySchema.optional(),
  recording: z.literal(true).optional(),
});
/** Compile-time guard: a field added to RemoteParticipant but not to its schema would be stripped from notifications. */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameShape<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const remoteParticipantSchemaIsComplete: SameShape<z.infer<typeof remoteParticipantSchema>, RemoteParticipant> = true;
void remoteParticipantSchemaIsComplete;
const openableDeviceSchema = z.enum(['microphone', 'camera']);
const roomControlStateSchema = z.object({
  ownerId: userIdSchema.nullable(),
  adminIds: z.array(userIdSchema).max(1000),
  disabled: z.object({ microphone: z.boolean(), camera: z.boolean(), screen: z.boolean() }),
  locked: z.boolean(),
  hasPassword: z.boolean(),
  maxSeats: z.number().int().min(0).max(MAX_SEATS),
  seats: z
    .array(
      z.object({
        index: z
          .number()
          .int()
          .min(0)
          .max(MAX_SEATS - 1),
        userId: userIdSchema.nullable(),
        locked: z.boolean(),
      }),
    )
    .max(MAX_SEATS),
  raisedHands: z.array(userIdSchema).max(1000),
});
const streamRefSchema = z.object({ producerId: id, userId: userIdSchema });

/**
 * The SDK's decode boundary for notifications: each payload is checked before anything reads it, so a broken
 * or hostile server cannot make the SDK throw. Unknown keys are dropped (a newer server may add some).
 */
export const notificationSchemas: { [N in NotificationName]: z.ZodType<NotificationData[N]> } = {
  participantJoined: remoteParticipantSchema,
  participantLeft: z.object({ userId: userIdSchema, reason: leaveReasonSchema }),
  roleChanged: remoteParticipantSchema,
  streamAdded: z.object({
    producerId: id,
    userId: userIdSchema,
    kind: mediaKindSchema,
    streamType: streamTypeSchema,
    simulcast: z.boolean(),
    paused: z.boolean(),
  }),
  streamRemoved: streamRefSchema,
  streamPaused: streamRefSchema,
  streamResumed: streamRefSchema,
  consumerClosed: z.object({ consumerId: id }),
  customMessage: z.object({
    userId: userIdSchema,
    cmdId: z.number().int().min(1).max(10),
    seq: z.number().int().min(0),
    data: z.string().max(1400).base64(),
  }),
  e2eeKeyMessage: z.object({ from: userIdSchema, payload: z.string().min(1).max(MAX_E2EE_KEY_MESSAGE_CHARS).base64() }),
  kicked: z.object({ reason: kickReasonSchema, message: z.string().max(4096) }),
  mediaReset: z.object({ reason: z.literal('worker_died') }),
  tokenExpiring: z.object({ expiresAt: z.number().int().min(0) }),
  roomControl: roomControlStateSchema,
  deviceRequest: z.object({ requestId, from: userIdSchema, device: openableDeviceSchema }),
  deviceRequestAnswered: z.object({
    requestId,
    userId: userIdSchema,
    device: openableDeviceSchema,
    accepted: z.boolean(),
  }),
  deviceClosed: z.object({ device: controlledDeviceSchema, by: userIdSchema }),
  chatMessage: z.object({
    userId: userIdSchema,
    userName: userNameSchema.optional(),
    text: z.string().min(1).max(MAX_CHAT_MESSAGE_CHARS),
    at: z.number().int().min(0),
  }),
  error: z.object({ code: z.string().max(64), message: z.string().max(4096) }),
};

export type ServerMessage =
  | { v: 1; id: number; ok: true; data: unknown }
  | { v: 1; id: number; ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }
  | { v: 1; notification: NotificationName; data: unknown };

export { roomKey as roomKeySchema };

/**
 * The `details` of a `CLUSTER_REDIRECT` join refusal: the room lives on another node. The SDK reconnects to
 * `url` (the node's signaling WebSocket) and sends the same join with `clusterTicket: ticket` (single use,
 * short-lived, bound to the app, user, room and node).
 */
export const clusterRedirectSchema = z
  .object({
    url: z
      .string()
      .max(512)
      .refine((u) => URL.canParse(u) && ['ws:', 'wss:'].includes(new URL(u).protocol), 'must be a ws(s) URL'),
    ticket: z.string().min(1).max(1024),
    nodeId: z.string().min(1).max(64),
  })
  .strict();

/** See {@link clusterRedirectSchema}. */
export type ClusterRedirect = z.output<typeof clusterRedirectSchema>;
