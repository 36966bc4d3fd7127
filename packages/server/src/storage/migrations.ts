/**
 * In-code schema migrations, identical on SQLite and PostgreSQL. Only the few type names that differ between
 * the dialects go through {@link ColumnTypes}; everything else is the same Kysely schema builder call.
 * Migrations are append-only: never edit a published one, add the next.
 */
import { Migrator } from 'kysely';
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

function provider(dialect: Dialect): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve({
        '0001_initial': initial(dialect),
        '0002_api_credentials_callbacks': apiCredentialsAndCallbacks(dialect),
        '0003_app_e2ee_policy': appE2eePolicy(),
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
