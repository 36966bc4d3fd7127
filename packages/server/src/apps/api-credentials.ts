/**
 * Cloud API credentials of an app (TRTC's SecretId/SecretKey pairs), kept like the app's other secrets: the
 * SecretKey is sealed under the app's data key, so destroying that key (crypto-shredding) destroys them too.
 * A revoked credential's sealed key is deleted at once; the row stays so the log shows who could call when.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Selectable } from 'kysely';
import { ConclaveError } from '@conclave/protocol';
import type { ApiCredentialsTable } from '../storage/schema.ts';
import type { Store } from '../storage/store.ts';
import { openField, sealField } from './envelope.ts';

/** An API credential as listed (the SecretKey is never part of it). */
export interface ApiCredentialRecord {
  secretId: string;
  sdkAppId: number;
  status: 'active' | 'revoked';
  createdAt: number;
  revokedAt: number | null;
}

/** What the Cloud API endpoint needs to verify a request. */
export interface ApiCredentialSecret {
  secretId: string;
  secretKey: string;
  sdkAppId: number;
}

/** What the credential store needs from the app registry. */
export interface ApiCredentialsOptions {
  store: Store;
  logger: Logger;
  now: () => number;
  /** The app's data key; throws APP_NOT_FOUND / APP_TERMINATED / APP_KEY_DESTROYED. */
  activeDataKey: (sdkAppId: number) => Promise<Buffer>;
  /** Whether the app exists and is active (no throw). */
  isActive: (sdkAppId: number) => Promise<boolean>;
}

/** Tencent's SecretIds: `AKID` and 32 more characters; ours are `AKID` + 32 hex. */
export const SECRET_ID_PATTERN = /^AKID[0-9A-Za-z]{32}$/;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A SecretKey like Tencent's: 32 letters and digits (~190 bits). */
function newSecretKey(): string {
  let key = '';
  for (let i = 0; i < 32; i++) key += ALPHANUMERIC[crypto.randomInt(ALPHANUMERIC.length)];
  return key;
}

// The AAD binds a sealed key to its app and SecretId: copying it onto another credential fails to open.
const field = (secretId: string) => `api_secret_key/${secretId}`;

function record(row: Selectable<ApiCredentialsTable>): ApiCredentialRecord {
  return {
    secretId: row.secret_id,
    sdkAppId: row.sdk_app_id,
    status: row.revoked_at === null ? 'active' : 'revoked',
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** Create, list, revoke and look up API credentials (control store). */
export class ApiCredentials {
  readonly #o: ApiCredentialsOptions;
  readonly #log: Logger;

  constructor(options: ApiCredentialsOptions) {
    this.#o = options;
    this.#log = options.logger.child({ subsystem: 'api-credentials' });
  }

  /** Creates a credential for an active app. The SecretKey is returned once, here. */
  async create(sdkAppId: number): Promise<{ credential: ApiCredentialRecord; secretKey: string }> {
    const secretId = `AKID${crypto.randomBytes(16).toString('hex')}`;
    const secretKey = newSecretKey();
    await this.#insert(sdkAppId, secretId, secretKey);
    this.#log.info({ sdkAppId, secretId }, 'api credential created');
    return { credential: await this.#get(sdkAppId, secretId), secretKey };
  }

  /** The app's credentials, newest first. */
  async list(sdkAppId: number): Promise<ApiCredentialRecord[]> {
    await this.#o.activeDataKey(sdkAppId);
    const rows = await this.#o.store.db
      .selectFrom('api_credentials')
      .selectAll()
      .where('sdk_app_id', '=', sdkAppId)
      .orderBy('created_at', 'desc')
      .orderBy('secret_id')
      .execute();
    return rows.map(record);
  }

  /** Revokes a credential and destroys its sealed key (idempotent). Unknown → API_CREDENTIAL_NOT_FOUND. */
  async revoke(sdkAppId: number, secretId: string): Promise<ApiCredentialRecord> {
    const existing = await this.#get(sdkAppId, secretId);
    if (existing.status === 'active') {
      await this.#o.store.db
        .updateTable('api_credentials')
        .set({ revoked_at: this.#o.now(), secret_key_ciphertext: null })
        .where('secret_id', '=', secretId)
        .where('sdk_app_id', '=', sdkAppId)
        .execute();
      this.#log.info({ sdkAppId, secretId }, 'api credential revoked');
    }
    return this.#get(sdkAppId, secretId);
  }

  /**
   * Makes sure a configured credential exists, active, with this key (dev mode; idempotent; the configured key
   * wins, and a revoked dev credential is re-activated on the next start).
   */
  async ensure(sdkAppId: number, secretId: string, secretKey: string): Promise<void> {
    const row = await this.#o.store.db
      .selectFrom('api_credentials')
      .selectAll()
      .where('secret_id', '=', secretId)
      .executeTakeFirst();
    if (row === undefined) return this.#insert(sdkAppId, secretId, secretKey);
    if (row.sdk_app_id !== sdkAppId)
      throw new ConclaveError('APP_INVALID', 'the configured SecretId belongs to another app');
    const current = await this.find(secretId);
    if (current?.secretKey === secretKey) return;
    const dataKey = await this.#o.activeDataKey(sdkAppId);
    await this.#o.store.db
      .updateTable('api_credentials')
      .set({ secret_key_ciphertext: sealField(dataKey, sdkAppId, field(secretId), secretKey), revoked_at: null })
      .where('secret_id', '=', secretId)
      .execute();
    this.#log.info({ sdkAppId, secretId }, 'dev api credential replaced by configuration');
  }

  /** The active credential with this SecretId of an active app, or undefined (revoked, unknown, shredded). */
  async find(secretId: string): Promise<ApiCredentialSecret | undefined> {
    if (secretId.length > 128) return undefined;
    const row = await this.#o.store.db
      .selectFrom('api_credentials')
      .selectAll()
      .where('secret_id', '=', secretId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (row?.secret_key_ciphertext == null || !(await this.#o.isActive(row.sdk_app_id))) return undefined;
    try {
      const dataKey = await this.#o.activeDataKey(row.sdk_app_id);
      const secretKey = openField(dataKey, row.sdk_app_id, field(secretId), row.secret_key_ciphertext);
      return { secretId, secretKey, sdkAppId: row.sdk_app_id };
    } catch (err) {
      if (err instanceof ConclaveError) return undefined;
      throw err;
    }
  }

  async #insert(sdkAppId: number, secretId: string, secretKey: string): Promise<void> {
    const dataKey = await this.#o.activeDataKey(sdkAppId);
    await this.#o.store.db
      .insertInto('api_credentials')
      .values({
        secret_id: secretId,
        sdk_app_id: sdkAppId,
        secret_key_ciphertext: sealField(dataKey, sdkAppId, field(secretId), secretKey),
        created_at: this.#o.now(),
        revoked_at: null,
      })
      .execute();
  }

  async #get(sdkAppId: number, secretId: string): Promise<ApiCredentialRecord> {
    const row = await this.#o.store.db
      .selectFrom('api_credentials')
      .selectAll()
      .where('secret_id', '=', secretId)
      .where('sdk_app_id', '=', sdkAppId)
      .executeTakeFirst();
    if (row === undefined)
      throw new ConclaveError('API_CREDENTIAL_NOT_FOUND', undefined, {
        details: { sdkAppId, secretId: secretId.slice(0, 40) },
      });
    return record(row);
  }
}
