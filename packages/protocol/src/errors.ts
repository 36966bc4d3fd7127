/**
 * The registry of Conclave's stable error codes. Every failure the server or SDK reports carries one of
 * these codes; they never change meaning once published. Mapping to HTTP statuses, WebSocket close codes
 * and TRTC's numeric codes happens only at the edges (server api/ and signaling/, the client SDK).
 */
export const ErrorCodes = {
  // Join tokens (UserSig, PrivateMapKey)
  USERSIG_MALFORMED: 'The UserSig is not a well-formed TLS 2.0 signature',
  USERSIG_EXPIRED: 'The UserSig has expired',
  USERSIG_APP_MISMATCH: 'The UserSig was issued for another SDKAppID',
  USERSIG_USER_MISMATCH: 'The UserSig was issued for another userId',
  USERSIG_BAD_SIGNATURE: 'The UserSig signature does not match',
  USERSIG_USERBUF_MISMATCH: 'The UserSig userbuf is missing or unexpected',
  USERSIG_NOT_YET_VALID: 'The UserSig was issued more than 60 s in the future',
  PRIVATE_MAP_KEY_MALFORMED: 'The PrivateMapKey privilege record is malformed',
  PRIVATE_MAP_KEY_EXPIRED: 'The PrivateMapKey privileges have expired',
  PRIVATE_MAP_KEY_ROOM_MISMATCH: 'The PrivateMapKey was issued for another room',
  PRIVILEGE_MISSING: 'The PrivateMapKey does not grant this privilege',
  INVALID_USER_ID: 'userId must be 1-32 bytes of [a-zA-Z0-9_-]',
  INVALID_ROOM_ID: 'roomId must be an integer 1..4294967294, strRoomId 1-64 bytes',
  INVALID_SDK_APP_ID: 'SDKAppID must be a positive 32-bit integer',
  INVALID_EXPIRE: 'expire must be an integer number of seconds 0..315360000 (10 years)',
  INVALID_PRIVILEGES: 'privileges must be an integer 0..511 (a PrivilegeBits combination)',
  INVALID_SECRET_KEY: 'The secret key must be a non-empty string',
  INVALID_USERBUF: 'userbuf must be at most 1024 bytes',
  // Server API (TC3-signed Cloud API requests)
  API_AUTH_MISSING: 'The request is not signed with TC3-HMAC-SHA256',
  API_SECRET_ID_UNKNOWN: 'The SecretId is not known',
  API_SIGNATURE_INVALID: 'The request signature does not match',
  API_SIGNATURE_EXPIRED: 'The request timestamp is more than 5 minutes away from the server time',
  API_RATE_LIMITED: 'Too many API requests for this app',
  API_UNKNOWN_ACTION: 'The action is not known',
  API_UNSUPPORTED_VERSION: 'The API version is not supported (use 2019-07-22)',
  API_INVALID_PARAMETER: 'A request parameter is missing or invalid',
  API_UNAUTHORIZED_APP: 'These API credentials are not for this SdkAppId',
  API_CREDENTIAL_NOT_FOUND: 'No such API credential (SecretId) for this app',
  ROOM_NOT_FOUND: 'No such room is active',
  USER_NOT_FOUND: 'No such user is in the room',
  // Configuration and start-up
  CONFIG_INVALID: 'The configuration is invalid',
  CONFIG_INSECURE: 'The configuration would expose plain HTTP beyond loopback',
  METRICS_UNAUTHORIZED: 'A valid metrics bearer token is required',
  // Media plane
  MEDIA_WORKER_DIED: 'The media worker carrying this room died',
  MEDIA_NO_WORKER: 'No media worker is available',
  TURN_START_FAILED: 'The TURN server (coturn) could not be started',
  // Data, apps and privacy
  APP_NOT_FOUND: 'No application has this SDKAppID',
  APP_TERMINATED: 'The application has been terminated',
  APP_INVALID: 'The application settings are invalid',
  APP_KEY_DESTROYED: "The application's data key has been destroyed; its secrets are unrecoverable",
  MASTER_KEY_INVALID: 'The master key must be 32 bytes, given as 64 hex characters or base64',
  KEY_UNWRAP_FAILED: 'A stored key could not be unwrapped (wrong master key or tampered data)',
  REGION_UNKNOWN: 'No data store is configured for this region',
  SAMPLE_INVALID: 'The quality sample is malformed or out of bounds',
  TELEMETRY_RECORD_INVALID: 'The log or event record is malformed or out of bounds',
  COMM_ID_INVALID: 'CommId must be {SdkAppId}_{RoomId}_{CreateTime}',
  TELEMETRY_WRITER_CLOSED: 'The telemetry writer has been closed',
  DELETION_REQUEST_INVALID: 'The deletion request is malformed',
  STORE_UNAVAILABLE: 'The data store cannot be reached',
  STORE_MIGRATION_FAILED: 'The data store schema could not be migrated',
  STORE_FULL: 'The data store is full (no disk space); nothing was written',
  // Event callbacks
  CALLBACK_QUEUE_FULL: "The app's callback queue is full; the event was dropped",
  CALLBACK_BODY_TOO_LARGE: 'The callback body exceeds the size limit; the event was dropped',
  CALLBACK_URL_DENIED: 'The callback URL or the address it resolves to is refused by the callback network policy',
  // Signaling
  SIGNAL_MALFORMED: 'The signaling message is not valid JSON of the expected shape',
  SIGNAL_TOO_LARGE: 'The signaling message exceeds the size limit',
  SIGNAL_RATE_LIMITED: 'Too many signaling messages; slow down',
  SIGNAL_UNKNOWN_METHOD: 'Unknown signaling method',
  SIGNAL_JOIN_TIMEOUT: 'The first message must be a join, sent within a few seconds',
  SIGNAL_NOT_JOINED: 'Join a room before sending this request',
  SIGNAL_ALREADY_JOINED: 'This connection has already joined a room',
  SIGNAL_IDLE_TIMEOUT: 'The connection was idle for too long',
  SIGNAL_CONNECTION_LIMIT: 'Too many signaling connections are open from this address',
  SIGNAL_CONNECTION_RATE_LIMITED: 'Too many new signaling connections from this address; slow down',
  SESSION_RESUME_FAILED: 'The session cannot be resumed; join again',
  SESSION_REVOKED: "The session was ended because the app's key was rotated or the app was terminated",
  // Quotas (per app, per user, per session)
  APP_SESSION_LIMIT: 'This app has reached its limit of concurrent sessions on this server',
  USER_SESSION_LIMIT: 'This userId has reached its limit of concurrent sessions',
  APP_JOIN_RATE_LIMITED: 'Too many joins for this app on this server; slow down',
  USER_JOIN_RATE_LIMITED: 'Too many joins by this userId; slow down',
  APP_ROOM_LIMIT: 'This app has reached its limit of open rooms on this server',
  CONSUMER_LIMIT: 'This session has reached its limit of received streams',
  QUALITY_SAMPLE_RATE_LIMITED: 'Quality samples are accepted once every 2 seconds',
  // Rooms
  ROOM_FULL: 'The room has reached its participant limit',
  ROOM_PUBLISHERS_FULL: 'The room has reached its publisher (anchor) limit',
  ROOM_SCENE_MISMATCH: 'The room exists with another scene',
  ROLE_CANNOT_PUBLISH: 'Audience members cannot publish; switch role to anchor first',
  SUB_STREAM_TAKEN: 'Another participant is already sharing a screen in this room',
  STREAM_ALREADY_PUBLISHED: 'This stream is already published',
  PRIVATE_MAP_KEY_REQUIRED: 'This app requires a PrivateMapKey to enter and switch role',
  CUSTOM_MESSAGE_RATE_LIMITED: 'Custom messages are limited to 30 per second and 8 KB per second',
  CUSTOM_MESSAGE_FORBIDDEN: 'Only anchors can send custom messages',
  NOT_FOUND: 'No such transport, producer or consumer in this session',
  E2EE_REQUIRED: 'This room requires end-to-end encrypted media; enter with E2EE enabled',
  E2EE_KEY_MESSAGE_RATE_LIMITED: 'Too many E2EE key messages; slow down',
  // Conference control (rooms/room-control.ts)
  NOT_ROOM_ADMIN: 'Only the room owner or an admin may do this',
  NOT_ROOM_OWNER: 'Only the room owner may do this',
  CONTROL_TARGET_INVALID: 'This action cannot target that participant (yourself, the owner, a host, or nobody here)',
  ROOM_LOCKED: 'The room is locked; no new participants may enter',
  ROOM_PASSWORD_REQUIRED: 'This room needs a password to enter',
  ROOM_PASSWORD_WRONG: 'The room password is wrong',
  ROOM_PASSWORD_RATE_LIMITED: 'Too many wrong passwords for this room; try again later',
  MEDIA_DISABLED_BY_HOST: 'A host has disabled this device for everyone',
  NOT_ON_SEAT: 'The room is in on-stage mode: raise your hand and be approved onto a seat before publishing',
  SEAT_UNAVAILABLE: 'No free unlocked seat, or the seat index is out of range',
  SEAT_MODE_OFF: 'The room is not in on-stage (seat) mode',
  DEVICE_REQUEST_NOT_FOUND: 'No such pending device request for this participant',
  CONTROL_RATE_LIMITED: 'Too many conference-control requests; slow down',
  CHAT_RATE_LIMITED: 'Chat messages are limited to a few per second; slow down',
  // Recording (the key-holding recorder participant)
  RECORDING_NOT_AUTHORIZED: 'Recording needs a PrivateMapKey for this room with the Record privilege (256)',
  RECORDING_ONLY: 'This request is only for a recording participant',
  RECORDER_CANNOT_PUBLISH: 'A recording participant receives only; it cannot publish',
  RECORDING_NOT_CONFIGURED: 'Cloud API recording is off on this server (set recording.directory)',
  RECORDING_CONCURRENCY_LIMIT: 'This app already runs as many recording tasks as allowed',
  RECORDING_TASK_NOT_FOUND: 'No such recording task for this app',
  RECORDING_START_FAILED: 'The recording task could not join the room',
  RECORDING_TASK_EXITED: 'The recording task has already exited',
  RECORDING_STORAGE_DENIED: "The cloud storage endpoint is refused by this server's outbound network policy",
  RECORDING_NOT_MIXED: 'Mix layout parameters apply only to a mixed recording task (RecordMode 2)',
  RECORDING_FOREIGN_SOURCE:
    "The recording transport's first packet came from another address than the recorder's; the transport was closed",
  // Media plane (signaling-level)
  MEDIA_CANNOT_CONSUME: 'This device cannot receive the stream with its codecs',
  // HTTP edge
  BAD_REQUEST: 'The HTTP request is malformed',
  REQUEST_TOO_LARGE: 'The HTTP request body exceeds the size limit',
  ADMIN_UNAUTHORIZED: 'A valid admin bearer token is required',
  SDK_NOT_BUILT: 'The browser SDK bundle has not been built; run npm run build:client',
  // Audit
  AUDIT_QUERY_INVALID: 'The audit log query is invalid',
  AUDIT_PUBLIC_KEY_INVALID: 'The audit checkpoint public key must be 32 bytes of Ed25519 key as hex or base64',
  // Operators (console sign-in and access)
  OPERATOR_UNAUTHENTICATED: 'Sign in as an operator (or use the admin bearer token)',
  OPERATOR_SECOND_FACTOR_REQUIRED: 'The second factor of this sign-in is still missing',
  OPERATOR_FORBIDDEN: "The operator's role does not allow this",
  OPERATOR_CSRF_INVALID: 'A valid x-csrf-token header is required with the session cookie',
  OPERATOR_CREDENTIALS_INVALID: 'Email or password is wrong',
  OPERATOR_LOCKED: 'Too many failed attempts; the account is locked for a while',
  OPERATOR_TOTP_INVALID: 'The authenticator code is wrong',
  OPERATOR_TOTP_REPLAYED: 'This authenticator code has already been used; wait for the next one',
  OPERATOR_RECOVERY_CODE_INVALID: 'The recovery code is wrong or already used',
  OPERATOR_WEBAUTHN_INVALID: 'The security key response could not be verified',
  OPERATOR_RATE_LIMITED: 'Too many sign-in attempts from this address; slow down',
  OPERATOR_INVALID: 'The operator request is invalid',
  OPERATOR_NOT_FOUND: 'No such operator',
  OPERATOR_EMAIL_TAKEN: 'An operator with this email exists',
  OPERATOR_STATE_CONFLICT: 'This step does not fit the state of the sign-in or account',
  // Grants (temporary access to a customer's call data)
  GRANT_INVALID: 'The grant request is invalid',
  GRANT_NOT_FOUND: 'No such grant',
  GRANT_SELF_APPROVAL: 'A grant must be approved by another operator than the one who requested it',
  GRANT_STATE_CONFLICT: 'The grant is not in a state that allows this step',
  GRANT_OPERATOR_ONLY: 'Grants are requested, approved and held by signed-in operators only',
  GRANT_REQUIRED: "Reading this app's call data needs an approved grant",
  GRANT_PENDING: 'The grant for this app has not been approved yet',
  GRANT_EXPIRED: 'The grant for this app has expired',
  GRANT_REVOKED: 'The grant for this app was revoked',
  GRANT_OUT_OF_SCOPE: 'The active grant for this app does not cover this kind of call data',
  // Vulnerability intake
  REPORT_INVALID: 'The vulnerability report is invalid',
  REPORT_RATE_LIMITED: 'Too many reports from this address; try again later',
  REPORT_NOT_FOUND: 'No such vulnerability report',
  // Cluster (several nodes on Redis)
  CLUSTER_REDIRECT: 'This room is served by another node; reconnect there and join with the ticket',
  CLUSTER_TICKET_INVALID: 'The cluster ticket is malformed, forged, or for another node, user or room',
  CLUSTER_TICKET_EXPIRED: 'The cluster ticket has expired; join again through any node',
  CLUSTER_TICKET_REPLAYED: 'The cluster ticket has already been used',
  CLUSTER_UNAVAILABLE: 'The cluster registry (Redis) cannot be reached; new rooms cannot be placed now',
  CLUSTER_NO_NODE: 'No live node of the cluster can take a new room',
  CLUSTER_DRAINING: 'This node is draining and takes no new rooms',
  // Monitoring dashboard
  DASHBOARD_QUERY_INVALID: 'The dashboard query is invalid',
  CALL_NOT_FOUND: 'No such call in this app',
  CONSOLE_NOT_BUILT: 'The operator console has not been built; run npm run build:console',
  // Generic
  INTERNAL: 'Internal error',
} as const;

/** A stable string code from {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Options attached to a {@link ConclaveError}. */
export interface ConclaveErrorOptions {
  /** Underlying error, kept for logs; never sent to clients. */
  cause?: unknown;
  /** Structured, non-secret facts about the failure (safe to send to the caller). */
  details?: Record<string, unknown>;
}

/** The one error type of Conclave: a stable code, a human message and optional details. */
export class ConclaveError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: ConclaveErrorOptions = {}) {
    super(message ?? ErrorCodes[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConclaveError';
    this.code = code;
    this.details = options.details;
  }

  /** The JSON shape sent over the wire. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** True when `value` is a known error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}
