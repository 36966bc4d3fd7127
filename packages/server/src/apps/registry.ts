/**
 * The app registry: TRTC console data (SDKAppID, name, region, switches, billing mode) and the app's secrets,
 * sealed with a per-app data key (see envelope.ts). It lives in the control store; per-user data of an app lives
 * in its region's store (storage/regions.ts).
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Selectable } from 'kysely';
import { ConclaveError } from '@conclave/protocol';
import { CallbackUrlPolicy } from '../callbacks/url-policy.ts';
import type { AppsTable } from '../storage/schema.ts';
import type { Store } from '../storage/store.ts';
import { ApiCredentials } from './api-credentials.ts';
import { AppCreateInputSchema, AppUpdateInputSchema, SDK_APP_ID_MAX, SDK_APP_ID_MIN } from './app-types.ts';
import type { AppCreateInput, AppRecord, AppUpdateInput, CallbackConfig } from './app-types.ts';
import { generateDataKey, openField, sealField, unwrapDataKey, wrapDataKey } from './envelope.ts';
import type { MasterKey } from './envelope.ts';

/** What the registry needs. */
export interface AppRegistryOptions {
  store: Store;
  masterKey: MasterKey;
  /** Region names apps may be placed in. */
  regions: readonly string[];
  logger: Logger;
  now: () => number;
  /** Where callback URLs may point; checked when one is set. Default: https to public addresses only. */
  callbackUrlPolicy?: CallbackUrlPolicy;
}

type AppRow = Selectable<AppsTable>;

export type AppRegistryEvents = {
  /**
   * UserSigs already issued stopped being valid: the secret key was rotated or the app terminated (in this
   * process; other processes' changes are found by re-reading, see conference/).
   */
  revoked: [sdkAppId: number, why: 'key_rotated' | 'terminated'];
};

/** Checks an SDKAppID from outside: a positive 32-bit integer. */
export function assertSdkAppId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new ConclaveError('INVALID_SDK_APP_ID', undefined, { details: { sdkAppId: String(value).slice(0, 32) } });
  }
  return value;
}

/** A TRTC-style secret key: 64 hex characters. */
function newSecretKey(): string {
  return crypto.randomBytes(32).toString('hex');
}

/** App registry over the control store. */
export class AppRegistry extends EventEmitter<AppRegistryEvents> {
  readonly #store: Store;
  readonly #master: MasterKey;
  readonly #regions: readonly string[];
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #callbackUrlPolicy: CallbackUrlPolicy;
  /** The apps' Cloud API credentials (SecretId/SecretKey), sealed under each app's data key. */
  readonly apiCredentials: ApiCredentials;

  constructor(options: AppRegistryOptions) {
    super();
    this.#store = options.store;
    this.#master = options.masterKey;
    this.#regions = options.regions;
    this.#log = options.logger.child({ subsystem: 'apps' });
    this.#now = options.now;
    this.#callbackUrlPolicy = options.callbackUrlPolicy ?? new CallbackUrlPolicy();
    this.apiCredentials = new ApiCredentials({
      store: options.store,
      logger: options.logger,
      now: options.now,
      activeDataKey: async (sdkAppId) => this.#dataKey(this.#assertActive(await this.#row(sdkAppId)).sdk_app_id),
      isActive: (sdkAppId) => this.isActive(sdkAppId),
    });
  }

  /** True while the app exists and is not terminated (unknown ids are simply not active). */
  async isActive(sdkAppId: number): Promise<boolean> {
    const row = await this.#store.db
      .selectFrom('apps')
      .select('status')
      .where('sdk_app_id', '=', sdkAppId)
      .executeTakeFirst();
    return row?.status === 'active';
  }

  /** Creates an app with a generated SDKAppID and secret key. The secret is returned once, here. */
  async create(input: AppCreateInput): Promise<{ app: AppRecord; secretKey: string }> {
    return this.#insert(input, undefined, newSecretKey());
  }

  /** Reads one app; unknown → APP_NOT_FOUND. Terminated apps are returned (with their status). */
  async get(sdkAppId: number): Promise<AppRecord> {
    const row = await this.#row(sdkAppId);
    return this.#record(row, await this.#dataKeyOrNull(row.sdk_app_id));
  }

  /** All apps, newest first. */
  async list(): Promise<AppRecord[]> {
    const rows = await this.#store.db
      .selectFrom('apps')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('sdk_app_id')
      .execute();
    return Promise.all(rows.map(async (row) => this.#record(row, await this.#dataKeyOrNull(row.sdk_app_id))));
  }

  /** The region holding an app's data. */
  async regionOf(sdkAppId: number): Promise<string> {
    return (await this.#row(sdkAppId)).region;
  }

  /** Replaces the secret key; UserSigs signed with the old key stop verifying at once. */
  async rotateSecretKey(sdkAppId: number): Promise<string> {
    const row = this.#assertActive(await this.#row(sdkAppId));
    const secretKey = newSecretKey();
    const dataKey = await this.#dataKey(row.sdk_app_id);
    await this.#store.db
      .updateTable('apps')
      .set({
        secret_key_ciphertext: sealField(dataKey, row.sdk_app_id, 'secret_key', secretKey),
        updated_at: this.#now(),
      })
      .where('sdk_app_id', '=', row.sdk_app_id)
      .execute();
    this.#log.info({ sdkAppId }, 'app secret key rotated');
    this.emit('revoked', row.sdk_app_id, 'key_rotated');
    return secretKey;
  }

  /** Changes console settings of an active app (callback URL/key, switches, name, billing mode). */
  async update(sdkAppId: number, raw: AppUpdateInput): Promise<AppRecord> {
    const row = this.#assertActive(await this.#row(sdkAppId));
    const parsed = AppUpdateInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConclaveError(
        'APP_INVALID',
        parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
      );
    }
    const u = parsed.data;
    if (u.callbackUrl != null) this.#checkCallbackUrl(u.callbackUrl);
    const id = row.sdk_app_id;
    const dataKey = u.callbackUrl !== undefined || u.callbackKey !== undefined ? await this.#dataKey(id) : undefined;
    const seal = (field: 'callback_url' | 'callback_key', value: string | null) =>
      value === null || dataKey === undefined ? null : sealField(dataKey, id, field, value);
    await this.#store.db
      .updateTable('apps')
      .set({
        ...(u.name !== undefined ? { name: u.name } : {}),
        ...(u.billingMode !== undefined ? { billing_mode: u.billingMode } : {}),
        ...(u.recordingEnabled !== undefined ? { recording_enabled: u.recordingEnabled ? 1 : 0 } : {}),
        ...(u.relayEnabled !== undefined ? { relay_enabled: u.relayEnabled ? 1 : 0 } : {}),
        ...(u.advancedPermissionControl !== undefined
          ? { advanced_permission_control: u.advancedPermissionControl ? 1 : 0 }
          : {}),
        ...(u.requireE2ee !== undefined ? { require_e2ee: u.requireE2ee ? 1 : 0 } : {}),
        ...(u.callbackUrl !== undefined ? { callback_url_ciphertext: seal('callback_url', u.callbackUrl) } : {}),
        ...(u.callbackKey !== undefined ? { callback_key_ciphertext: seal('callback_key', u.callbackKey) } : {}),
        updated_at: this.#now(),
      })
      .where('sdk_app_id', '=', id)
      .execute();
    this.#log.info({ sdkAppId, fields: Object.keys(u) }, 'app updated');
    return this.get(sdkAppId);
  }

  /** Soft-deletes at once: the app stops verifying UserSigs; the retention job destroys its keys and data later. */
  async terminate(sdkAppId: number): Promise<AppRecord> {
    const row = await this.#row(sdkAppId);
    if (row.status === 'active') {
      const now = this.#now();
      await this.#store.db
        .updateTable('apps')
        .set({ status: 'terminated', terminated_at: now, updated_at: now })
        .where('sdk_app_id', '=', row.sdk_app_id)
        .execute();
      this.#log.info({ sdkAppId }, 'app terminated');
      this.emit('revoked', row.sdk_app_id, 'terminated');
    }
    return this.get(sdkAppId);
  }

  /** The secret that verifies this app's UserSigs. Unknown → APP_NOT_FOUND; terminated → APP_TERMINATED. */
  async getSecretKey(sdkAppId: number): Promise<string> {
    const row = this.#assertActive(await this.#row(assertSdkAppId(sdkAppId)));
    if (row.secret_key_ciphertext === null)
      throw new ConclaveError('APP_KEY_DESTROYED', undefined, { details: { sdkAppId } });
    return openField(await this.#dataKey(row.sdk_app_id), row.sdk_app_id, 'secret_key', row.secret_key_ciphertext);
  }

  /** Where to post this app's event callbacks, or null when none is configured. */
  async getCallbackConfig(sdkAppId: number): Promise<CallbackConfig | null> {
    const row = this.#assertActive(await this.#row(sdkAppId));
    if (row.callback_url_ciphertext === null) return null;
    const dataKey = await this.#dataKey(row.sdk_app_id);
    return {
      url: openField(dataKey, row.sdk_app_id, 'callback_url', row.callback_url_ciphertext),
      key:
        row.callback_key_ciphertext === null
          ? null
          : openField(dataKey, row.sdk_app_id, 'callback_key', row.callback_key_ciphertext),
    };
  }

  /**
   * Makes sure the dev default app exists with the configured secret (idempotent; the configured secret wins).
   * A terminated dev app stays terminated: APP_TERMINATED.
   */
  async ensureDevApp(dev: { sdkAppId: number; secretKey: string; name?: string; region?: string }): Promise<AppRecord> {
    const sdkAppId = assertSdkAppId(dev.sdkAppId);
    const existing = await this.#store.db
      .selectFrom('apps')
      .selectAll()
      .where('sdk_app_id', '=', sdkAppId)
      .executeTakeFirst();
    if (existing === undefined) {
      const region = dev.region ?? this.#regions[0] ?? '';
      return (await this.#insert({ name: dev.name ?? 'dev', region }, sdkAppId, dev.secretKey)).app;
    }
    this.#assertActive(existing);
    if ((await this.getSecretKey(sdkAppId)) !== dev.secretKey) {
      const dataKey = await this.#dataKey(sdkAppId);
      await this.#store.db
        .updateTable('apps')
        .set({
          secret_key_ciphertext: sealField(dataKey, sdkAppId, 'secret_key', dev.secretKey),
          updated_at: this.#now(),
        })
        .where('sdk_app_id', '=', sdkAppId)
        .execute();
      this.#log.info({ sdkAppId }, 'dev app secret key replaced by configuration');
    }
    return this.get(sdkAppId);
  }

  /** Terminated apps whose keys are not yet destroyed and that were terminated at or before `cutoff`. */
  async listTerminatedBefore(cutoff: number): Promise<AppRecord[]> {
    const rows = await this.#store.db
      .selectFrom('apps')
      .selectAll()
      .where('status', '=', 'terminated')
      .where('shredded_at', 'is', null)
      .where('terminated_at', '<=', cutoff)
      .execute();
    return rows.map((row) => this.#record(row, null));
  }

  /**
   * Crypto-shredding: deletes the wrapped data key, the sealed secrets and the API credentials in one
   * transaction. Idempotent.
   * The configuration row stays (status terminated) so the SDKAppID is never handed out again.
   */
  async destroyKeys(sdkAppId: number): Promise<{ dataKeys: number; sealedFields: number }> {
    const result = await this.#store.db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('app_data_keys').where('sdk_app_id', '=', sdkAppId).executeTakeFirst();
      await trx.deleteFrom('api_credentials').where('sdk_app_id', '=', sdkAppId).execute();
      const updated = await trx
        .updateTable('apps')
        .set({
          secret_key_ciphertext: null,
          callback_url_ciphertext: null,
          callback_key_ciphertext: null,
          shredded_at: this.#now(),
        })
        .where('sdk_app_id', '=', sdkAppId)
        .where('shredded_at', 'is', null)
        .executeTakeFirst();
      return { dataKeys: Number(deleted.numDeletedRows), sealedFields: Number(updated.numUpdatedRows) };
    });
    await this.#store.scrubDeleted('app_data_keys');
    await this.#store.scrubDeleted('api_credentials');
    await this.#store.scrubDeleted('apps');
    return result;
  }

  /** The network policy's verdict at set time (names are resolved and checked again at every delivery). */
  #checkCallbackUrl(url: string): void {
    try {
      this.#callbackUrlPolicy.check(url);
    } catch (err) {
      if (err instanceof ConclaveError && err.code === 'CALLBACK_URL_DENIED')
        throw new ConclaveError('APP_INVALID', `callbackUrl: ${err.message}`, { cause: err });
      throw err;
    }
  }

  async #insert(
    raw: AppCreateInput,
    fixedId: number | undefined,
    secretKey: string,
  ): Promise<{ app: AppRecord; secretKey: string }> {
    const parsed = AppCreateInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConclaveError(
        'APP_INVALID',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    const input = parsed.data;
    if (input.callbackUrl !== undefined) this.#checkCallbackUrl(input.callbackUrl);
    if (!this.#regions.includes(input.region)) {
      throw new ConclaveError('REGION_UNKNOWN', `Unknown region "${input.region}"`, {
        details: { regions: [...this.#regions] },
      });
    }
    // Random ids collide rarely (1 in 10^8 per existing app); retry a few times rather than reveal a counter.
    for (let attempt = 0; attempt < 8; attempt++) {
      const sdkAppId = fixedId ?? crypto.randomInt(SDK_APP_ID_MIN, SDK_APP_ID_MAX + 1);
      const taken = await this.#store.db
        .selectFrom('apps')
        .select('sdk_app_id')
        .where('sdk_app_id', '=', sdkAppId)
        .executeTakeFirst();
      if (taken !== undefined) {
        if (fixedId !== undefined) throw new ConclaveError('APP_INVALID', `SDKAppID ${sdkAppId} already exists`);
        continue;
      }
      const dataKey = generateDataKey();
      const now = this.#now();
      await this.#store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('app_data_keys')
          .values({
            sdk_app_id: sdkAppId,
            wrapped_key: wrapDataKey(this.#master, dataKey, sdkAppId),
            master_key_id: this.#master.id,
            created_at: now,
          })
          .execute();
        await trx
          .insertInto('apps')
          .values({
            sdk_app_id: sdkAppId,
            name: input.name,
            region: input.region,
            status: 'active',
            billing_mode: input.billingMode,
            recording_enabled: input.recordingEnabled ? 1 : 0,
            relay_enabled: input.relayEnabled ? 1 : 0,
            advanced_permission_control: input.advancedPermissionControl ? 1 : 0,
            require_e2ee: input.requireE2ee ? 1 : 0,
            secret_key_ciphertext: sealField(dataKey, sdkAppId, 'secret_key', secretKey),
            callback_url_ciphertext:
              input.callbackUrl === undefined ? null : sealField(dataKey, sdkAppId, 'callback_url', input.callbackUrl),
            callback_key_ciphertext:
              input.callbackKey === undefined ? null : sealField(dataKey, sdkAppId, 'callback_key', input.callbackKey),
            created_at: now,
            updated_at: now,
            terminated_at: null,
            shredded_at: null,
          })
          .execute();
      });
      this.#log.info({ sdkAppId, region: input.region }, 'app created');
      return { app: await this.get(sdkAppId), secretKey };
    }
    throw new ConclaveError('INTERNAL', 'Could not find a free SDKAppID');
  }

  async #row(sdkAppId: number): Promise<AppRow> {
    const row = await this.#store.db
      .selectFrom('apps')
      .selectAll()
      .where('sdk_app_id', '=', assertSdkAppId(sdkAppId))
      .executeTakeFirst();
    if (row === undefined) throw new ConclaveError('APP_NOT_FOUND', undefined, { details: { sdkAppId } });
    return row;
  }

  #assertActive(row: AppRow): AppRow {
    if (row.status !== 'active')
      throw new ConclaveError('APP_TERMINATED', undefined, { details: { sdkAppId: row.sdk_app_id } });
    return row;
  }

  async #dataKeyOrNull(sdkAppId: number): Promise<Buffer | null> {
    const key = await this.#store.db
      .selectFrom('app_data_keys')
      .selectAll()
      .where('sdk_app_id', '=', sdkAppId)
      .executeTakeFirst();
    if (key === undefined) return null;
    if (key.master_key_id !== this.#master.id) {
      throw new ConclaveError('KEY_UNWRAP_FAILED', 'The data key was wrapped by another master key', {
        details: { sdkAppId },
      });
    }
    return unwrapDataKey(this.#master, key.wrapped_key, sdkAppId);
  }

  async #dataKey(sdkAppId: number): Promise<Buffer> {
    const key = await this.#dataKeyOrNull(sdkAppId);
    if (key === null) throw new ConclaveError('APP_KEY_DESTROYED', undefined, { details: { sdkAppId } });
    return key;
  }

  #record(row: AppRow, dataKey: Buffer | null): AppRecord {
    return {
      sdkAppId: row.sdk_app_id,
      name: row.name,
      region: row.region,
      status: row.status,
      billingMode: row.billing_mode,
      recordingEnabled: row.recording_enabled === 1,
      relayEnabled: row.relay_enabled === 1,
      advancedPermissionControl: row.advanced_permission_control === 1,
      requireE2ee: row.require_e2ee === 1,
      callbackUrl:
        dataKey === null || row.callback_url_ciphertext === null
          ? null
          : openField(dataKey, row.sdk_app_id, 'callback_url', row.callback_url_ciphertext),
      hasCallbackKey: row.callback_key_ciphertext !== null,
      createdAt: row.created_at,
      terminatedAt: row.terminated_at,
      shreddedAt: row.shredded_at,
    };
  }
}
