/**
 * The data inventory: every stored table and column with its category, purpose, legal basis, retention and
 * region rule. It is the single source for GET /privacy/inventory and docs/privacy.md, and inventory.test.ts
 * fails when the migrated schema (SQLite and PostgreSQL) and this list disagree in either direction.
 */
import { DEFAULT_RETENTION } from './retention-policy.ts';
import type { RetentionPolicy } from './retention-policy.ts';

/** Data categories of TRTC's security notes. */
export type DataCategory =
  | 'configuration'
  | 'backend_log'
  | 'quality'
  | 'sdk_log'
  | 'account'
  | 'key_material'
  | 'audit';

/** Legal basis (GDPR Art. 6 terms). */
export type LegalBasis = 'contract' | 'legitimate_interest' | 'legal_obligation';

/** Which store a table's rows go to. */
export type RegionRule = 'control_store' | 'app_region' | 'each_store';

/** One column. Category and purpose default to the table's. */
export interface ColumnEntry {
  description: string;
  /** True when the value identifies or describes an end user (erased by per-user deletion). */
  personal: boolean;
  category?: DataCategory;
  purpose?: string;
}

/** How long rows are kept. */
export interface RetentionRule {
  summary: string;
  /** Default period in days, or null when rows live as long as the app. */
  days: number | null;
  /** The retention setting that changes it, if any. */
  setting: keyof RetentionPolicy | null;
  /** Whether the rows are destroyed when their app is terminated (within 7 days). */
  purgedWithApp: boolean;
}

/** One table. */
export interface TableEntry {
  description: string;
  category: DataCategory;
  purpose: string;
  legalBasis: LegalBasis;
  retention: RetentionRule;
  region: RegionRule;
  columns: Record<string, ColumnEntry>;
}

const d = DEFAULT_RETENTION;
const purge = `and within ${d.terminatedAppPurgeDays + 1} days of the app's termination`;
const col = (description: string, personal = false, extra: Partial<ColumnEntry> = {}): ColumnEntry => ({
  description,
  personal,
  ...extra,
});
const id = col('Row id (sequence)');
const app = col('SDKAppID the row belongs to');
const comm = col('Call id {SdkAppId}_{RoomId}_{CreateTime}');
const user = col('End user id chosen by the customer (TRTC userId)', true);

/** Every stored table. Keys are table names; column keys are column names. */
export const DATA_INVENTORY: Record<string, TableEntry> = {
  apps: {
    description: 'App registry: TRTC console configuration of each SDKAppID',
    category: 'configuration',
    purpose: 'Operating and billing the customer’s applications',
    legalBasis: 'contract',
    retention: {
      summary:
        'While the app exists; secrets destroyed within 7 days of termination, the row kept so the id is never reused',
      days: null,
      setting: null,
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      sdk_app_id: col('SDKAppID'),
      name: col('App name set by the customer'),
      region: col('Region whose store holds the app’s data'),
      status: col('active or terminated'),
      billing_mode: col('Billing mode'),
      recording_enabled: col('On-premises recording switch'),
      relay_enabled: col('Relay (CDN) switch'),
      advanced_permission_control: col('Whether PrivateMapKey is required to enter rooms'),
      require_e2ee: col('Whether every room of the app requires end-to-end encrypted media'),
      secret_key_ciphertext: col('UserSig secret key, AES-256-GCM under the app’s data key', false, {
        category: 'key_material',
        purpose: 'Verifying UserSigs',
      }),
      callback_url_ciphertext: col('Event callback URL, sealed under the app’s data key', false, {
        purpose: 'Delivering event callbacks',
      }),
      callback_key_ciphertext: col('Callback signing key, sealed under the app’s data key', false, {
        category: 'key_material',
        purpose: 'Signing event callbacks',
      }),
      created_at: col('Creation time'),
      updated_at: col('Last change time'),
      terminated_at: col('Termination time (soft delete)'),
      shredded_at: col('When the data key was destroyed'),
    },
  },
  app_data_keys: {
    description: 'Per-app data keys, wrapped by the master key; deleting a row crypto-shreds the app’s secrets',
    category: 'key_material',
    purpose: 'Encrypting app secrets at rest',
    legalBasis: 'contract',
    retention: {
      summary: `While the app is active; destroyed within ${d.terminatedAppPurgeDays + 1} days of termination`,
      days: null,
      setting: 'terminatedAppPurgeDays',
      purgedWithApp: true,
    },
    region: 'control_store',
    columns: {
      sdk_app_id: app,
      wrapped_key: col('AES-256-GCM wrapped data key'),
      master_key_id: col('Fingerprint of the master key that wrapped it (not the key)'),
      created_at: col('Creation time'),
    },
  },
  room_sessions: {
    description: 'Calls: a room from creation to destruction (DescribeRoomInfo)',
    category: 'backend_log',
    purpose: 'Troubleshooting and the call-history API',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: `${d.logRetentionDays} days ${purge}`,
      days: d.logRetentionDays,
      setting: 'logRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      comm_id: comm,
      sdk_app_id: app,
      room_id: col('Numeric room id or strRoomId'),
      room_id_type: col('0 string room id, 1 numeric'),
      created_at: col('Room creation time'),
      destroyed_at: col('Room destruction time'),
    },
  },
  backend_logs: {
    description: 'Backend logs: every room entry and exit',
    category: 'backend_log',
    purpose: 'Troubleshooting, abuse investigation, the user-info API',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: `${d.logRetentionDays} days ${purge}; erased on a user deletion request`,
      days: d.logRetentionDays,
      setting: 'logRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      id,
      sdk_app_id: app,
      comm_id: comm,
      room_id: col('Numeric room id or strRoomId'),
      room_id_type: col('0 string room id, 1 numeric'),
      user_id: user,
      action: col('enter or exit'),
      reason: col('TRTC entry/exit reason code'),
      client_ip: col('Client IP address', true),
      sdk_version: col('SDK version', true),
      os_type: col('Operating system type', true),
      occurred_at: col('Event time'),
    },
  },
  quality_samples: {
    description: 'Call quality: the SDK’s 2-second samples and the server’s transport stats',
    category: 'quality',
    purpose: 'Call-quality monitoring and troubleshooting',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: `${d.qualityRetentionDays} days ${purge}; erased on a user deletion request`,
      days: d.qualityRetentionDays,
      setting: 'qualityRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      id,
      sdk_app_id: app,
      comm_id: comm,
      user_id: user,
      source: col('sdk or server'),
      sampled_at: col('Sample time'),
      audio_on: col('Audio published', true),
      video_on: col('Video published', true),
      audio_muted: col('Audio muted', true),
      video_muted: col('Video muted', true),
      app_cpu: col('App CPU %', true),
      sys_cpu: col('System CPU %', true),
      memory_mb: col('Memory use (MB)', true),
      rtt_ms: col('Round-trip time (ms)', true),
      audio_loss: col('Audio packet loss %', true),
      video_loss: col('Video packet loss %', true),
      video_width: col('Video width', true),
      video_height: col('Video height', true),
      audio_bitrate_kbps: col('Audio bitrate', true),
      video_bitrate_kbps: col('Video bitrate', true),
      available_bitrate_kbps: col('Estimated available bandwidth (server)', true),
      capture_fps: col('Capture frame rate', true),
      encode_fps: col('Encode frame rate', true),
      decode_fps: col('Decode frame rate', true),
      render_fps: col('Render frame rate', true),
      audio_block_ms: col('Audio stutter (ms)', true),
      video_block_ms: col('Video stutter (ms)', true),
      capture_volume: col('Capture volume 0-100', true),
      playback_volume: col('Playback volume 0-100', true),
    },
  },
  quality_rollups: {
    description: 'Call quality summed per user, source and 10-second bucket, for the dashboard charts',
    category: 'quality',
    purpose: 'Call-quality monitoring and troubleshooting',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: `${d.qualityRetentionDays} days ${purge}; erased on a user deletion request`,
      days: d.qualityRetentionDays,
      setting: 'qualityRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      sdk_app_id: app,
      comm_id: comm,
      user_id: user,
      source: col('sdk or server'),
      bucket_start: col('Start of the 10-second bucket'),
      sample_count: col('Samples in the bucket'),
      video_bitrate_sum: col('Sum of video bitrates', true),
      video_bitrate_count: col('Samples with a video bitrate'),
      audio_bitrate_sum: col('Sum of audio bitrates', true),
      audio_bitrate_count: col('Samples with an audio bitrate'),
      fps_sum: col('Sum of frame rates (encode, else decode)', true),
      fps_count: col('Samples with a frame rate'),
      audio_loss_max: col('Highest audio packet loss %', true),
      video_loss_max: col('Highest video packet loss %', true),
      rtt_max: col('Highest round-trip time (ms)', true),
      video_width_max: col('Largest video width', true),
      video_height_max: col('Largest video height', true),
    },
  },
  user_events: {
    description: 'User events in a call (TRTC event ids where one exists)',
    category: 'quality',
    purpose: 'Call timelines for troubleshooting (DescribeUserEvent)',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: `${d.qualityRetentionDays} days ${purge}; erased on a user deletion request`,
      days: d.qualityRetentionDays,
      setting: 'qualityRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      id,
      sdk_app_id: app,
      comm_id: comm,
      user_id: user,
      event_id: col('Event id'),
      param_one: col('First event parameter', true),
      param_two: col('Second event parameter', true),
      occurred_at: col('Event time'),
    },
  },
  usage_daily: {
    description: 'Participant-seconds per app per UTC day (no per-user data)',
    category: 'configuration',
    purpose: 'Billing and the scale API',
    legalBasis: 'contract',
    retention: {
      summary: `${d.usageRetentionDays} days ${purge}`,
      days: d.usageRetentionDays,
      setting: 'usageRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      sdk_app_id: app,
      day: col('UTC day'),
      participant_seconds: col('Sum of participant time'),
    },
  },
  privacy_jobs: {
    description: 'Progress of retention/deletion jobs, and deletion receipts',
    category: 'configuration',
    purpose: 'Resuming interrupted jobs; proving deletions happened',
    legalBasis: 'legal_obligation',
    retention: {
      summary: `${d.receiptRetentionDays} days after the job finished`,
      days: d.receiptRetentionDays,
      setting: 'receiptRetentionDays',
      purgedWithApp: false,
    },
    region: 'each_store',
    columns: {
      id: col('Job id'),
      kind: col('retention, app_purge or user_erasure'),
      status: col('running or done'),
      params: col('Job parameters; an erasure’s userId only while the job runs', true),
      subject_hash: col(
        'Keyed hash (HMAC-SHA256, master-derived key) of app and userId of an erasure: receipt lookup without keeping the id',
      ),
      completed_steps: col('Steps already done (JSON)'),
      counts: col('Rows deleted per table (JSON)'),
      started_at: col('Start time'),
      updated_at: col('Last progress time'),
      finished_at: col('Finish time'),
    },
  },
  api_credentials: {
    description: 'Cloud API credentials (SecretId/SecretKey) of each app',
    category: 'key_material',
    purpose: 'Authenticating the customer’s TC3-signed Cloud API requests',
    legalBasis: 'contract',
    retention: {
      summary: `While the app exists; a revoked key is destroyed at once; all destroyed within ${d.terminatedAppPurgeDays + 1} days of the app’s termination`,
      days: null,
      setting: 'terminatedAppPurgeDays',
      purgedWithApp: true,
    },
    region: 'control_store',
    columns: {
      secret_id: col('SecretId (public half of the credential)'),
      sdk_app_id: app,
      secret_key_ciphertext: col('SecretKey, AES-256-GCM under the app’s data key; NULL once revoked'),
      created_at: col('Creation time'),
      revoked_at: col('Revocation time'),
    },
  },
  callback_deliveries: {
    description: 'Event callbacks (TRTC 101-105, 201-206): the queue and its delivery log',
    category: 'backend_log',
    purpose: 'Delivering event callbacks to the customer’s server; showing the operator what was delivered',
    legalBasis: 'contract',
    retention: {
      summary: `${d.logRetentionDays} days ${purge}; erased on a user deletion request`,
      days: d.logRetentionDays,
      setting: 'logRetentionDays',
      purgedWithApp: true,
    },
    region: 'app_region',
    columns: {
      id,
      sdk_app_id: app,
      event_type: col('TRTC event type (101-105, 201-206)'),
      user_id: user,
      body: col('Callback body (JSON) as sent, with room id and user id', true),
      status: col('pending, delivered or failed (given up)'),
      attempts: col('Delivery attempts so far'),
      created_at: col('When the event happened'),
      next_attempt_at: col('When the next attempt is due'),
      first_attempt_at: col('First attempt time'),
      last_attempt_at: col('Latest attempt time'),
      last_status: col('HTTP status of the latest attempt'),
      last_latency_ms: col('Latency of the latest attempt (ms)'),
      last_error: col('Error of the latest failed attempt (network error or status)'),
      finished_at: col('When the event was delivered or given up'),
      claimed_by: col('Id of the cluster node delivering the event now (no personal data)'),
      claim_until: col('Until when that node holds the event'),
    },
  },
  audit_records: {
    description:
      'Audit log: every operator read of customer data, every change, every Cloud API call, every conference-control action in a room, in a hash chain',
    category: 'audit',
    purpose: 'Accountability of operator and API access to customer data; detecting tampering',
    legalBasis: 'legal_obligation',
    retention: {
      summary: `${d.auditRetentionDays} days; the oldest records are pruned behind a signed marker so the chain still verifies`,
      days: d.auditRetentionDays,
      setting: 'auditRetentionDays',
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      seq: col('Position in the chain'),
      at: col('Time of the access'),
      actor_kind: col('operator, automation (admin token) or customer (Cloud API, or an end user in a room)'),
      actor_id: col(
        'Operator id, admin-token, the Cloud API SecretId, or room-user:<userId> for a conference-control action (kept for accountability, not erased)',
        true,
      ),
      actor_role: col('Operator role at the time'),
      action: col('Action name, e.g. call_data.read.timeline'),
      target_app: col('SDKAppID accessed'),
      target_room: col('Room accessed'),
      target_user: col('End user whose data was accessed (kept for accountability, not erased)', true),
      target_operator: col('Operator acted upon'),
      target_grant: col('Grant acted upon'),
      grant_id: col('Grant the access was made under'),
      source_ip: col('IP address of the operator or API caller'),
      result: col('ok, denied or error'),
      detail: col('Short reason or error code (bounded, no secrets)'),
      prev_hash: col('SHA-256 of the previous record'),
      hash: col('SHA-256 of the previous hash and this record'),
    },
  },
  audit_head: {
    description: 'Head of the audit chain (one row), locked by every append',
    category: 'audit',
    purpose: 'Serialising audit appends across processes; detecting truncation of the newest records',
    legalBasis: 'legal_obligation',
    retention: { summary: 'One row, kept for ever', days: null, setting: null, purgedWithApp: false },
    region: 'control_store',
    columns: {
      id: col('Always 1'),
      seq: col('Sequence of the newest record'),
      hash: col('Hash of the newest record'),
      at: col('Time of the newest record'),
    },
  },
  audit_checkpoints: {
    description: 'Ed25519-signed audit chain checkpoints and retention markers',
    category: 'audit',
    purpose: 'Making rewrites of the audit chain detectable without trusting the database',
    legalBasis: 'legal_obligation',
    retention: {
      summary: `Pruned with the audit records they cover (${d.auditRetentionDays} days); the newest retention marker is kept`,
      days: d.auditRetentionDays,
      setting: 'auditRetentionDays',
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      kind: col('head (checkpoint) or pruned (retention marker)'),
      seq: col('Sequence the statement covers'),
      hash: col('Hash of the record at that sequence'),
      at: col('Signing time'),
      key_id: col('Fingerprint of the public key (not the key)'),
      signature: col('Ed25519 signature of the statement'),
    },
  },
  grants: {
    description:
      "Temporary access grants: one operator's time-boxed access to one app's call data, approved by another",
    category: 'audit',
    purpose: 'Just-in-time authorisation of operator access to customer call data, and accountability for it',
    legalBasis: 'legal_obligation',
    retention: {
      summary: `${d.auditRetentionDays} days from the request, like the audit records that reference them`,
      days: d.auditRetentionDays,
      setting: 'auditRetentionDays',
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      id: col('Grant id (random)'),
      sdk_app_id: col('SDKAppID whose call data the grant opens'),
      scopes: col('Kinds of call data covered: calls, quality, events, logs, callbacks'),
      reason: col('Why access is needed, as written by the requester (free text)'),
      duration_minutes: col('Minutes of access from approval (1..1440)'),
      status: col('pending, active, revoked or rejected (expired is derived from expires_at)'),
      requested_by_id: col('Operator who asked', false, { category: 'account' }),
      requested_by_email: col('Email of the operator who asked', false, { category: 'account' }),
      requested_at: col('Time of the request'),
      decided_by_id: col('Operator who approved or rejected', false, { category: 'account' }),
      decided_by_email: col('Email of the operator who approved or rejected', false, { category: 'account' }),
      decided_at: col('Time of approval or rejection'),
      expires_at: col('End of access (approval time + duration)'),
      revoked_by_id: col('Operator who revoked the grant', false, { category: 'account' }),
      revoked_by_email: col('Email of the operator who revoked the grant', false, { category: 'account' }),
      revoked_at: col('Time of revocation'),
    },
  },
  security_reports: {
    description: 'Vulnerability reports sent through the public intake form or API (/security/reports)',
    category: 'account',
    purpose: 'Receiving, triaging and fixing reported vulnerabilities; answering the reporter',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: `${d.securityReportDays} days from receipt`,
      days: d.securityReportDays,
      setting: 'securityReportDays',
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      id: col('Acknowledgement id given to the reporter (VR- + 16 random base32 characters)'),
      received_at: col('Time of receipt'),
      contact: col('How to reach the reporter (email or URL, as given; the source IP is not stored)'),
      feature: col('Affected feature, as given'),
      steps: col('Steps to reproduce, as given (free text up to 20,000 characters)'),
      severity: col('Severity suggested by the reporter, if any'),
      status: col('new, triaged, fixed or rejected'),
      updated_at: col('Time of the last status change'),
    },
  },
  operators: {
    description: 'Operator accounts of the console (staff of the service, not end users)',
    category: 'account',
    purpose: 'Signing operators in with a password and a second factor; access control by role',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: 'Kept while the account exists (disabled, not deleted, so the audit log stays readable)',
      days: null,
      setting: null,
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      id: col('Random operator id (audit records name it)'),
      email: col("Operator's email, lower-cased (sign-in name)"),
      role: col('owner, admin, support or auditor'),
      status: col('active or disabled'),
      password_hash: col('argon2id hash of the password', false, { category: 'key_material' }),
      totp_secret_sealed: col('TOTP secret, AES-256-GCM sealed under a key derived from the master key', false, {
        category: 'key_material',
      }),
      totp_enrolled_at: col('When the authenticator was enrolled'),
      last_totp_step: col('Newest TOTP time step accepted (replay protection)'),
      failed_attempts: col('Consecutive failed sign-in steps (lock-out)'),
      locked_until: col('End of the current lock-out'),
      created_at: col('Creation time'),
      last_sign_in_at: col('Last completed sign-in'),
    },
  },
  operator_recovery_codes: {
    description: "Single-use recovery codes of operators' second factor",
    category: 'key_material',
    purpose: 'Signing in when the authenticator is lost',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: 'Replaced at each TOTP enrolment; kept while the account exists',
      days: null,
      setting: null,
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      operator_id: col('The operator'),
      code_hash: col('Keyed hash (HMAC-SHA-256) of the code; the code itself is shown once'),
      created_at: col('Creation time'),
      used_at: col('When the code was used (it works once)'),
    },
  },
  operator_webauthn_credentials: {
    description: 'WebAuthn credentials (security keys, passkeys) of operators',
    category: 'key_material',
    purpose: 'Optional phishing-resistant second factor',
    legalBasis: 'legitimate_interest',
    retention: { summary: 'Kept while the account exists', days: null, setting: null, purgedWithApp: false },
    region: 'control_store',
    columns: {
      id: col('Credential id (base64url)'),
      operator_id: col('The operator'),
      name: col('Name the operator gave the key'),
      public_key: col('COSE public key'),
      counter: col('Signature counter (clone detection)'),
      transports: col('Transports the authenticator reported'),
      created_at: col('Registration time'),
      last_used_at: col('Last use'),
    },
  },
  operator_sessions: {
    description: 'Operator console sessions',
    category: 'account',
    purpose: 'Keeping an operator signed in; ending sessions on sign-out, expiry or disabling',
    legalBasis: 'legitimate_interest',
    retention: {
      summary: 'Deleted on sign-out or when found expired (12 h at most)',
      days: null,
      setting: null,
      purgedWithApp: false,
    },
    region: 'control_store',
    columns: {
      id: col('Random session id (audit records name it); not the cookie'),
      token_hash: col('SHA-256 of the cookie token (the token is never stored)', false, { category: 'key_material' }),
      operator_id: col('The operator'),
      state: col('pending (second factor missing) or signed_in'),
      created_at: col('Sign-in time'),
      last_seen_at: col('Last request (idle expiry)'),
      webauthn_challenge: col('Outstanding WebAuthn challenge'),
    },
  },
};

/** Tables whose rows carry an end user's id and are erased by a per-user deletion request. */
export const USER_ERASURE_TABLES = [
  'backend_logs',
  'quality_samples',
  'user_events',
  'callback_deliveries',
  'quality_rollups',
] as const;

/** Tables holding an app's data in its region store, hard-deleted when the app is purged. */
export const APP_PURGE_TABLES = [
  'quality_samples',
  'user_events',
  'backend_logs',
  'room_sessions',
  'usage_daily',
  'callback_deliveries',
  'quality_rollups',
] as const;
