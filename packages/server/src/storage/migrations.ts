/**
 * In-code schema migrations, identical on SQLite and PostgreSQL. Only the few type names that differ between
 * the dialects go through {@link ColumnTypes}; everything else is the same Kysely schema builder call.
 * Migrations are append-only: never edit a published one, add the next.
 */
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { ConclaveError } from '@conclave/protocol';
import type { Database } from './schema.ts';

/** The SQL dialect of a store. */
export type Dialect = 'sqlite' | 'postgres';

interface ColumnTypes {
  blob: 'blob' | 'bytea';
  real: 'real' | 'double precision';
}

function columnTypes(dialect: Dialect): ColumnTypes {
  // SQLite REAL is already 8 bytes; PostgreSQL REAL would be 4, so ask for DOUBLE PRECISION there.
  return dialect === 'sqlite' ? { blob: 'blob', real: 'real' } : { blob: 'bytea', real: 'double precision' };
}

// Migrations see an untyped database: the schema they build is the one `Database` describes afterwards.
type AnyDb = Kysely<unknown>;

function autoId(db: AnyDb, dialect: Dialect, table: string) {
  const builder = db.schema.createTable(table);
  return dialect === 'sqlite'
    ? builder.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : builder.addColumn('id', 'bigserial', (c) => c.primaryKey());
}

function initial(dialect: Dialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('apps')
        .addColumn('sdk_app_id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('billing_mode', 'text', (c) => c.notNull())
        .addColumn('recording_enabled', 'integer', (c) => c.notNull())
        .addColumn('relay_enabled', 'integer', (c) => c.notNull())
        .addColumn('advanced_permission_control', 'integer', (c) => c.notNull())
        .addColumn('secret_key_ciphertext', t.blob)
        .addColumn('callback_url_ciphertext', t.blob)
        .addColumn('callback_key_ciphertext', t.blob)
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('terminated_at', 'bigint')
        .addColumn('shredded_at', 'bigint')
        .execute();

      await db.schema
        .createTable('app_data_keys')
        .addColumn('sdk_app_id', 'integer', (c) => c.primaryKey())
        .addColumn('wrapped_key', t.blob, (c) => c.notNull())
        .addColumn('master_key_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('room_sessions')
        .addColumn('comm_id', 'text', (c) => c.primaryKey())
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('room_id_type', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('destroyed_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('room_sessions_app_time')
        .on('room_sessions')
        .columns(['sdk_app_id', 'created_at'])
        .execute();

      await autoId(db, dialect, 'backend_logs')
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('comm_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('room_id_type', 'integer', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('reason', 'integer')
        .addColumn('client_ip', 'text')
        .addColumn('sdk_version', 'text')
        .addColumn('os_type', 'text')
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('backend_logs_call').on('backend_logs').columns(['comm_id', 'occurred_at']).execute();
      await db.schema.createIndex('backend_logs_user').on('backend_logs').columns(['sdk_app_id', 'user_id']).execute();
      await db.schema.createIndex('backend_logs_time').on('backend_logs').column('occurred_at').execute();

      let quality = autoId(db, dialect, 'quality_samples')
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('comm_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('sampled_at', 'bigint', (c) => c.notNull());
      for (const flag of ['audio_on', 'video_on', 'audio_muted', 'video_muted'])
        quality = quality.addColumn(flag, 'integer');
      for (const metric of QUALITY_REAL_COLUMNS) quality = quality.addColumn(metric, t.real);
      await quality.execute();
      // (comm_id, user_id, sampled_at) serves a call's timeline in its output order, with no sort step.
      await db.schema
        .createIndex('quality_samples_call')
        .on('quality_samples')
        .columns(['comm_id', 'user_id', 'sampled_at'])
        .execute();
      await db.schema
        .createIndex('quality_samples_user')
        .on('quality_samples')
        .columns(['sdk_app_id', 'user_id'])
        .execute();
      await db.schema.createIndex('quality_samples_time').on('quality_samples').column('sampled_at').execute();

      await autoId(db, dialect, 'user_events')
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('comm_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'integer', (c) => c.notNull())
        .addColumn('param_one', 'text')
        .addColumn('param_two', 'text')
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('user_events_call')
        .on('user_events')
        .columns(['comm_id', 'user_id', 'occurred_at'])
        .execute();
      await db.schema.createIndex('user_events_user').on('user_events').columns(['sdk_app_id', 'user_id']).execute();
      await db.schema.createIndex('user_events_time').on('user_events').column('occurred_at').execute();

      await db.schema
        .createTable('usage_daily')
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('participant_seconds', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_daily_pk', ['sdk_app_id', 'day'])
        .execute();

      await db.schema
        .createTable('privacy_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('subject_hash', 'text')
        .addColumn('completed_steps', 'text', (c) => c.notNull())
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('privacy_jobs_status').on('privacy_jobs').columns(['kind', 'status']).execute();
    },
  };
}

// Quality columns stored as floating point (the rest of the sample is ids, time and on/off flags). Frozen with
// migration 0001: a new metric needs a new migration, not an edit here.
const QUALITY_REAL_COLUMNS = [
  'app_cpu',
  'sys_cpu',
  'memory_mb',
  'rtt_ms',
  'audio_loss',
  'video_loss',
  'video_width',
  'video_height',
  'audio_bitrate_kbps',
  'video_bitrate_kbps',
  'available_bitrate_kbps',
  'capture_fps',
  'encode_fps',
  'decode_fps',
  'render_fps',
  'audio_block_ms',
  'video_block_ms',
  'capture_volume',
  'playback_volume',
] as const;

/** Cloud API credentials (control store) and the event-callback queue with its delivery log (region stores). */
function apiCredentialsAndCallbacks(dialect: Dialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('api_credentials')
        .addColumn('secret_id', 'text', (c) => c.primaryKey())
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('secret_key_ciphertext', t.blob)
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_credentials_app').on('api_credentials').column('sdk_app_id').execute();

      await autoId(db, dialect, 'callback_deliveries')
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('event_type', 'integer', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('first_attempt_at', 'bigint')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_latency_ms', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('finished_at', 'bigint')
        .execute();
      // (status, sdk_app_id, id) finds each app's oldest pending event: the head of its FIFO queue.
      await db.schema
        .createIndex('callback_deliveries_queue')
        .on('callback_deliveries')
        .columns(['status', 'sdk_app_id', 'id'])
        .execute();
      await db.schema
        .createIndex('callback_deliveries_app')
        .on('callback_deliveries')
        .columns(['sdk_app_id', 'id'])
        .execute();
      await db.schema.createIndex('callback_deliveries_time').on('callback_deliveries').column('created_at').execute();
    },
  };
}

/** Apps may require end-to-end encrypted media in every room (issue 4's room policy, per app). */
function appE2eePolicy(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('apps')
        .addColumn('require_e2ee', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}

/** The tamper-evident audit log (control store; every store carries the tables, only the control one fills them). */
function audit(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('audit_records')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('actor_role', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_app', 'integer')
        .addColumn('target_room', 'text')
        .addColumn('target_user', 'text')
        .addColumn('target_operator', 'text')
        .addColumn('target_grant', 'text')
        .addColumn('grant_id', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_records_time').on('audit_records').column('at').execute();
      await db.schema.createIndex('audit_records_actor').on('audit_records').columns(['actor_id', 'seq']).execute();
      await db.schema.createIndex('audit_records_app').on('audit_records').columns(['target_app', 'seq']).execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db
        .insertInto('audit_head' as never)
        .values({ id: 1, seq: 0, hash: '0'.repeat(64), at: 0 } as never)
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_checkpoints_pk', ['kind', 'seq'])
        .execute();
    },
  };
}

/** Temporary access grants to a customer's call data (control store). */
function grants(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('duration_minutes', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requested_by_id', 'text', (c) => c.notNull())
        .addColumn('requested_by_email', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by_id', 'text')
        .addColumn('decided_by_email', 'text')
        .addColumn('decided_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_by_id', 'text')
        .addColumn('revoked_by_email', 'text')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('grants_requester')
        .on('grants')
        .columns(['requested_by_id', 'sdk_app_id', 'requested_at'])
        .execute();
      await db.schema.createIndex('grants_time').on('grants').column('requested_at').execute();
    },
  };
}

/** The vulnerability inbox (control store). */
function securityReports(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('security_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('contact', 'text', (c) => c.notNull())
        .addColumn('feature', 'text', (c) => c.notNull())
        .addColumn('steps', 'text', (c) => c.notNull())
        .addColumn('severity', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('security_reports_time').on('security_reports').column('received_at').execute();
    },
  };
}

/** Operator accounts, their second factors and sessions (control store; every store carries the tables). */
function operators(dialect: Dialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('totp_secret_sealed', t.blob)
        .addColumn('totp_enrolled_at', 'bigint')
        .addColumn('last_totp_step', 'bigint')
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'bigint')
        .execute();
      await db.schema
        .createTable('operator_recovery_codes')
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addPrimaryKeyConstraint('operator_recovery_codes_pk', ['operator_id', 'code_hash'])
        .execute();
      await db.schema
        .createTable('operator_webauthn_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', t.blob, (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('operator_webauthn_credentials_operator')
        .on('operator_webauthn_credentials')
        .column('operator_id')
        .execute();
      await db.schema
        .createTable('operator_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('webauthn_challenge', 'text')
        .execute();
      await db.schema.createIndex('operator_sessions_operator').on('operator_sessions').column('operator_id').execute();
    },
  };
}

// The abnormal-sample condition of 0008's partial index, frozen here: the dashboard's query repeats it word for
// word (api/dashboard/abnormal.ts ABNORMAL_SAMPLE_SQL; a test keeps the two equal) so the planner can use the index.
const ABNORMAL_SAMPLE_0008 = `(coalesce(audio_loss, 0) > 5
  or coalesce(video_loss, 0) > 5
  or coalesce(rtt_ms, 0) > 400
  or coalesce(video_block_ms, 0) > 0 or coalesce(audio_block_ms, 0) > 0
  or (video_on = 1 and decode_fps = 0))`;

/**
 * Per-10-second rollups of the quality samples (region stores), kept by the telemetry writer in the sample batch's
 * transaction, so the dashboard charts a long call without reading every sample; backfilled from the samples
 * already stored. Plus a partial index on the abnormal samples, for the markers.
 */
function qualityRollups(dialect: Dialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('quality_rollups')
        .addColumn('sdk_app_id', 'integer', (c) => c.notNull())
        .addColumn('comm_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('bucket_start', 'bigint', (c) => c.notNull())
        .addColumn('sample_count', 'integer', (c) => c.notNull())
        .addColumn('video_bitrate_sum', t.real, (c) => c.notNull())
        .addColumn('video_bitrate_count', 'integer', (c) => c.notNull())
        .addColumn('audio_bitrate_sum', t.real, (c) => c.notNull())
        .addColumn('audio_bitrate_count', 'integer', (c) => c.notNull())
        .addColumn('fps_sum', t.real, (c) => c.notNull())
        .addColumn('fps_count', 'integer', (c) => c.notNull())
        .addColumn('audio_loss_max', t.real)
        .addColumn('video_loss_max', t.real)
        .addColumn('rtt_max', t.real)
        .addColumn('video_width_max', t.real)
        .addColumn('video_height_max', t.real)
        // In the dashboard's output order: a call's series read straight off the key, no sort step.
        .addPrimaryKeyConstraint('quality_rollups_pk', ['comm_id', 'user_id', 'source', 'bucket_start', 'sdk_app_id'])
        // SQLite: the rows live in the key's b-tree (no rowid), so a call's rollups are one contiguous range read.
        .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
        .execute();
      await db.schema
        .createIndex('quality_rollups_user')
        .on('quality_rollups')
        .columns(['sdk_app_id', 'user_id'])
        .execute();
      await db.schema.createIndex('quality_rollups_time').on('quality_rollups').column('bucket_start').execute();
      await sql`insert into quality_rollups (sdk_app_id, comm_id, user_id, source, bucket_start, sample_count,
          video_bitrate_sum, video_bitrate_count, audio_bitrate_sum, audio_bitrate_count, fps_sum, fps_count,
          audio_loss_max, video_loss_max, rtt_max, video_width_max, video_height_max)
        select sdk_app_id, comm_id, user_id, source, (sampled_at / 10000) * 10000, count(*),
          coalesce(sum(video_bitrate_kbps), 0), count(video_bitrate_kbps),
          coalesce(sum(audio_bitrate_kbps), 0), count(audio_bitrate_kbps),
          coalesce(sum(coalesce(encode_fps, decode_fps)), 0), count(coalesce(encode_fps, decode_fps)),
          max(audio_loss), max(video_loss), max(rtt_ms), max(video_width), max(video_height)
        from quality_samples
        group by sdk_app_id, comm_id, user_id, source, (sampled_at / 10000) * 10000`.execute(db);
      await db.schema
        .createIndex('quality_samples_abnormal')
        .on('quality_samples')
        .columns(['comm_id', 'user_id', 'sampled_at'])
        .where(sql.raw<boolean>(ABNORMAL_SAMPLE_0008))
        .execute();
    },
  };
}

/** Claims of the callback queue, so that several nodes sharing a store never deliver the same event (cluster). */
function callbackClaims(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('callback_deliveries').addColumn('claimed_by', 'text').execute();
      await db.schema.alterTable('callback_deliveries').addColumn('claim_until', 'bigint').execute();
    },
  };
}

/** The migrations of a dialect (tests migrate to a given one to check later migrations against older data). */
export function provider(dialect: Dialect): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve({
        '0001_initial': initial(dialect),
        '0002_api_credentials_callbacks': apiCredentialsAndCallbacks(dialect),
        '0003_app_e2ee_policy': appE2eePolicy(),
        '0004_audit': audit(),
        '0005_operators': operators(dialect),
        '0006_grants': grants(),
        '0007_security_reports': securityReports(),
        '0008_quality_rollups': qualityRollups(dialect),
        '0009_callback_claims': callbackClaims(),
      }),
  };
}

/** Brings the store's schema to the newest migration; safe to call on every start (Kysely locks concurrent runs). */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: provider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new ConclaveError('STORE_MIGRATION_FAILED', undefined, {
      cause: error,
      details: { dialect, migration: failed },
    });
  }
}
