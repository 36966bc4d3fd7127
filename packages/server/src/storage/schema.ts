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
}

/** The whole schema, as Kysely sees it. */
export interface Database {
  apps: AppsTable;
  app_data_keys: AppDataKeysTable;
  room_sessions: RoomSessionsTable;
  backend_logs: BackendLogsTable;
  quality_samples: QualitySamplesTable;
  user_events: UserEventsTable;
  usage_daily: UsageDailyTable;
  privacy_jobs: PrivacyJobsTable;
  api_credentials: ApiCredentialsTable;
  callback_deliveries: CallbackDeliveriesTable;
}

/** Name of a stored table. */
export type TableName = keyof Database;
