/**
 * The row types of every table Conclave stores, shared by the SQLite and PostgreSQL implementations.
 * Conventions that keep the two dialects identical: times are epoch milliseconds in BIGINT columns,
 * booleans are INTEGER 0/1, binary values are BLOB/BYTEA (Buffer in both drivers).
 * Every table and column here must be declared in privacy/inventory.ts (a test enforces it).
 */
import type { Generated } from 'kysely';

/** 0/1 stored for a boolean: SQLite has no boolean type and the two stores must read back the same value. */
export type Flag = 0 | 1;

/** App registry (control store): console configuration of one SDKAppID. */
export interface AppsTable {
  sdk_app_id: number;
  name: string;
  region: string;
  status: 'active' | 'terminated';
  billing_mode: string;
  recording_enabled: Flag;
  relay_enabled: Flag;
  advanced_permission_control: Flag;
  require_e2ee: Flag;
  /** AES-256-GCM under the app's data key; NULL once shredded. */
  secret_key_ciphertext: Buffer | null;
  callback_url_ciphertext: Buffer | null;
  callback_key_ciphertext: Buffer | null;
  created_at: number;
  updated_at: number;
  terminated_at: number | null;
  shredded_at: number | null;
}

/** The per-app data key, wrapped by the master key. Deleting the row is crypto-shredding. */
export interface AppDataKeysTable {
  sdk_app_id: number;
  wrapped_key: Buffer;
  master_key_id: string;
  created_at: number;
}

/** One call (TRTC "CommId"): a room from its creation to its destruction. */
export interface RoomSessionsTable {
  comm_id: string;
  sdk_app_id: number;
  room_id: string;
  /** TRTC RoomIdType: 0 string room id, 1 numeric room id. */
  room_id_type: 0 | 1;
  created_at: number;
  destroyed_at: number | null;
}

/** Backend log: one room entry or exit. */
export interface BackendLogsTable {
  id: Generated<number>;
  sdk_app_id: number;
  comm_id: string;
  room_id: string;
  room_id_type: 0 | 1;
  user_id: string;
  action: 'enter' | 'exit';
  reason: number | null;
  client_ip: string | null;
  sdk_version: string | null;
  os_type: string | null;
  occurred_at: number;
}

/** One 2-second quality sample, from the SDK or from the server's view of the user's transport. */
export interface QualitySamplesTable {
  id: Generated<number>;
  sdk_app_id: number;
  comm_id: string;
  user_id: string;
  source: 'sdk' | 'server';
  sampled_at: number;
  audio_on: Flag | null;
  video_on: Flag | null;
  audio_muted: Flag | null;
  video_muted: Flag | null;
  app_cpu: number | null;
  sys_cpu: number | null;
  memory_mb: number | null;
  rtt_ms: number | null;
  audio_loss: number | null;
  video_loss: number | null;
  video_width: number | null;
  video_height: number | null;
  audio_bitrate_kbps: number | null;
  video_bitrate_kbps: number | null;
  available_bitrate_kbps: number | null;
  capture_fps: number | null;
  encode_fps: number | null;
  decode_fps: number | null;
  render_fps: number | null;
  audio_block_ms: number | null;
  video_block_ms: number | null;
  capture_volume: number | null;
  playback_volume: number | null;
}

/**
 * The quality samples of one user and source in one 10-second bucket of a call (telemetry/rollups.ts): sums and
 * counts for the averaged metrics, maxima for the others. Kept in step with quality_samples by the batch writer.
 */
export interface QualityRollupsTable {
  sdk_app_id: number;
  comm_id: string;
  user_id: string;
  source: 'sdk' | 'server';
  bucket_start: number;
  sample_count: number;
  video_bitrate_sum: number;
  video_bitrate_count: number;
  audio_bitrate_sum: number;
  audio_bitrate_count: number;
  fps_sum: number;
  fps_count: number;
  audio_loss_max: number | null;
  video_loss_max: number | null;
  rtt_max: number | null;
  video_width_max: number | null;
  video_height_max: number | null;
}

/** A user event inside a call (TRTC event ids where one exists). */
export interface UserEventsTable {
  id: Generated<number>;
  sdk_app_id: number;
  comm_id: string;
  user_id: string;
  event_id: number;
  param_one: string | null;
  param_two: string | null;
  occurred_at: number;
}

/** Participant-seconds per app per UTC day, for billing and DescribeScaleInfo. */
export interface UsageDailyTable {
  sdk_app_id: number;
  day: string;
  participant_seconds: number;
}

/** Progress of retention and deletion jobs, so a restarted job resumes instead of starting over. */
export interface PrivacyJobsTable {
  id: string;
  kind: 'retention' | 'app_purge' | 'user_erasure';
  status: 'running' | 'done';
  /** JSON job parameters; personal identifiers are removed when the job finishes. */
  params: string;
  subject_hash: string | null;
  completed_steps: string;
  counts: string;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Cloud API credentials (control store): SecretId → SecretKey sealed under the app's data key. */
export interface ApiCredentialsTable {
  secret_id: string;
  sdk_app_id: number;
  /** AES-256-GCM under the app's data key; NULL once revoked or shredded. */
  secret_key_ciphertext: Buffer | null;
  created_at: number;
  revoked_at: number | null;
}

/** One event callback: the queued body and its delivery log (region store of the app). */
export interface CallbackDeliveriesTable {
  id: Generated<number>;
  sdk_app_id: number;
  event_type: number;
  user_id: string | null;
  /** The TRTC callback body (JSON); CallbackTs is set again on each attempt. */
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  finished_at: number | null;
  /** The node delivering this event now (cluster), or null; with claim_until a lease another node waits out. */
  claimed_by: string | null;
  /** Unix ms until which the claim holds; after it any node may take the event over. */
  claim_until: number | null;
}

/** One audit record (control store): an operator's or customer's access or change, chained by hash. */
export interface AuditRecordsTable {
  /** Chain position, assigned under the chain-head lock: 1, 2, 3, ... */
  seq: number;
  at: number;
  actor_kind: 'operator' | 'automation' | 'customer';
  actor_id: string;
  actor_role: string | null;
  action: string;
  target_app: number | null;
  target_room: string | null;
  target_user: string | null;
  target_operator: string | null;
  target_grant: string | null;
  grant_id: string | null;
  source_ip: string | null;
  result: 'ok' | 'denied' | 'error';
  detail: string | null;
  /** Hex SHA-256 of the previous record (64 zeros for seq 1). */
  prev_hash: string;
  /** Hex SHA-256(prev_hash bytes ‖ canonical record). */
  hash: string;
}

/** The audit chain head: one row (id 1) locked by every append so the chain order is the append order. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  at: number;
}

/** Ed25519-signed statements about the chain: a head checkpoint, or the marker left by retention. */
export interface AuditCheckpointsTable {
  kind: 'head' | 'pruned';
  seq: number;
  hash: string;
  at: number;
  key_id: string;
  /** Base64 Ed25519 signature of the checkpoint statement. */
  signature: string;
}

/** A temporary access grant to one app's call data (control store). `expired` is derived from `expires_at`. */
export interface GrantsTable {
  id: string;
  sdk_app_id: number;
  /** Comma-separated call-data scopes (operators/access.ts CALL_DATA_SCOPES). */
  scopes: string;
  reason: string;
  duration_minutes: number;
  status: 'pending' | 'active' | 'revoked' | 'rejected';
  requested_by_id: string;
  requested_by_email: string;
  requested_at: number;
  decided_by_id: string | null;
  decided_by_email: string | null;
  decided_at: number | null;
  /** Set at approval: decided_at + duration. */
  expires_at: number | null;
  revoked_by_id: string | null;
  revoked_by_email: string | null;
  revoked_at: number | null;
}

/** A vulnerability report sent through the public intake (control store). */
export interface SecurityReportsTable {
  /** Acknowledgement id, `VR-` + 16 base32 characters. */
  id: string;
  received_at: number;
  contact: string;
  feature: string;
  steps: string;
  severity: 'low' | 'medium' | 'high' | 'critical' | null;
  status: 'new' | 'triaged' | 'fixed' | 'rejected';
  updated_at: number;
}

/** An operator account (control store). The email is stored lower-cased; the TOTP secret only sealed. */
export interface OperatorsTable {
  id: string;
  email: string;
  role: 'owner' | 'admin' | 'support' | 'auditor';
  status: 'active' | 'disabled';
  /** argon2id PHC string. */
  password_hash: string;
  /** AES-256-GCM under a key derived from the master key; null until enrolment starts. */
  totp_secret_sealed: Buffer | null;
  totp_enrolled_at: number | null;
  /** The newest TOTP time step accepted: no code of that step or an earlier one is accepted again. */
  last_totp_step: number | null;
  failed_attempts: number;
  locked_until: number | null;
  created_at: number;
  last_sign_in_at: number | null;
}

/** A single-use recovery code of an operator, stored as a keyed hash. */
export interface OperatorRecoveryCodesTable {
  operator_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** A WebAuthn credential (security key, passkey) of an operator. */
export interface OperatorWebauthnCredentialsTable {
  /** Credential id, base64url. */
  id: string;
  operator_id: string;
  name: string;
  /** COSE public key. */
  public_key: Buffer;
  counter: number;
  /** JSON array of transports, or null. */
  transports: string | null;
  created_at: number;
  last_used_at: number | null;
}

/** An operator session; only a hash of the cookie token is stored. */
export interface OperatorSessionsTable {
  id: string;
  /** Hex SHA-256 of the session token. */
  token_hash: string;
  operator_id: string;
  /** `pending`: password accepted, second factor not yet. */
  state: 'pending' | 'signed_in';
  created_at: number;
  last_seen_at: number;
  /** The outstanding WebAuthn challenge of this session, if any. */
  webauthn_challenge: string | null;
}

/** The whole schema, as Kysely sees it. */
export interface Database {
  apps: AppsTable;
  app_data_keys: AppDataKeysTable;
  room_sessions: RoomSessionsTable;
  backend_logs: BackendLogsTable;
  quality_samples: QualitySamplesTable;
  quality_rollups: QualityRollupsTable;
  user_events: UserEventsTable;
  usage_daily: UsageDailyTable;
  privacy_jobs: PrivacyJobsTable;
  api_credentials: ApiCredentialsTable;
  callback_deliveries: CallbackDeliveriesTable;
  audit_records: AuditRecordsTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  operators: OperatorsTable;
  operator_recovery_codes: OperatorRecoveryCodesTable;
  operator_webauthn_credentials: OperatorWebauthnCredentialsTable;
  operator_sessions: OperatorSessionsTable;
  grants: GrantsTable;
  security_reports: SecurityReportsTable;
}

/** Name of a stored table. */
export type TableName = keyof Database;
