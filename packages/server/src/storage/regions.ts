/**
 * Regions: each configured region has its own store, and an app's per-user data (backend logs, quality,
 * events, usage, room sessions) is written only to its region's store.
 *
 * Where the app registry lives: in the *control* region's store (config `control`, default the first region).
 * The registry holds console configuration and sealed key material only — no per-user data — so one registry
 * can route every app to its region. Every store carries the same schema; a region's `apps` table stays empty
 * unless it is the control region.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConclaveError } from '@conclave/protocol';
import { AppRegistry } from '../apps/registry.ts';
import { parseMasterKey } from '../apps/envelope.ts';
import type { MasterKey } from '../apps/envelope.ts';
import type { CallbackUrlPolicy } from '../callbacks/url-policy.ts';
import { TelemetryStore } from '../telemetry/telemetry-store.ts';
import { TelemetryWriter } from '../telemetry/writer.ts';
import type { TelemetryWriterOptions } from '../telemetry/writer.ts';
import { openStore } from './store.ts';
import type { Store, StoreConfig } from './store.ts';

/** Region configuration: `{ regions: { [name]: {driver:'sqlite', path} | {driver:'postgres', url} } }`. */
export interface RegionStoresConfig {
  regions: Record<string, StoreConfig>;
  /** Region whose store holds the app registry; default: the first region listed. */
  control?: string;
  /** Telemetry batching (defaults: 1000 items or 1 s). */
  telemetry?: Omit<TelemetryWriterOptions, 'logger'>;
}

/** What {@link openRegionStores} needs besides the config. */
export interface RegionStoresOptions {
  /** 32-byte master key (hex or base64 text, or parsed) that wraps every app's data key. */
  masterKey: MasterKey | string;
  logger: Logger;
  /** Clock (epoch ms); injectable so retention tests can move time. */
  now?: () => number;
  /** Where apps' callback URLs may point (the registry checks them when they are set). */
  callbackUrlPolicy?: CallbackUrlPolicy;
}

/** One region: its store and the telemetry reader/writer over it. */
export interface RegionStore {
  readonly name: string;
  readonly store: Store;
  readonly telemetry: TelemetryStore;
  readonly writer: TelemetryWriter;
}

/** All regions, the app registry and routing from SDKAppID to region. */
export interface RegionStores {
  readonly apps: AppRegistry;
  readonly control: RegionStore;
  readonly regionNames: readonly string[];
  readonly now: () => number;
  /**
   * Key for pseudonymous subject hashes in privacy job records and deletion receipts, derived from the master key,
   * so a stored hash cannot be reversed by hashing guessed userIds.
   */
  readonly subjectKey: Buffer;
  /** A region by name; unknown → REGION_UNKNOWN. */
  region(name: string): RegionStore;
  /** The region store of an app; unknown app → APP_NOT_FOUND. */
  storeForApp(sdkAppId: number): Promise<RegionStore>;
  /**
   * The region store to write an app's new data to: only while the app is active (terminated → APP_TERMINATED),
   * so nothing new is stored for an app whose data is being, or has been, purged.
   */
  storeForWrite(sdkAppId: number): Promise<RegionStore>;
  /** Flushes every telemetry writer. */
  flush(): Promise<void>;
  /** Flushes and closes every store. */
  close(): Promise<void>;
}

const REGION_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

function identity(config: StoreConfig): string {
  return config.driver === 'sqlite'
    ? `sqlite:${config.path === ':memory:' ? `:memory:${Math.random()}` : path.resolve(config.path)}`
    : `postgres:${config.url}`;
}

function validate(config: RegionStoresConfig): { names: string[]; control: string } {
  const names = Object.keys(config.regions);
  if (names.length === 0) throw new ConclaveError('CONFIG_INVALID', 'At least one region store must be configured');
  const bad = names.find((n) => !REGION_NAME.test(n));
  if (bad !== undefined) throw new ConclaveError('CONFIG_INVALID', `Region name "${bad}" must be 1-32 of [a-z0-9-]`);
  // Two regions on one database would silently break the promise that data stays in its region.
  const seen = new Map<string, string>();
  for (const name of names) {
    const id = identity(config.regions[name] as StoreConfig);
    const other = seen.get(id);
    if (other !== undefined)
      throw new ConclaveError('CONFIG_INVALID', `Regions "${other}" and "${name}" point at the same store`);
    seen.set(id, name);
  }
  const control = config.control ?? (names[0] as string);
  if (!names.includes(control))
    throw new ConclaveError('REGION_UNKNOWN', `Control region "${control}" is not configured`);
  return { names, control };
}

/** Opens (and migrates) every region's store and the app registry in the control region. */
export async function openRegionStores(
  config: RegionStoresConfig,
  options: RegionStoresOptions,
): Promise<RegionStores> {
  const { names, control } = validate(config);
  const masterKey = typeof options.masterKey === 'string' ? parseMasterKey(options.masterKey) : options.masterKey;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ subsystem: 'storage' });
  const opened = new Map<string, RegionStore>();
  try {
    for (const name of names) {
      const store = await openStore(config.regions[name] as StoreConfig, { name, logger });
      const telemetry = new TelemetryStore(store);
      opened.set(name, {
        name,
        store,
        telemetry,
        writer: new TelemetryWriter(telemetry, { ...config.telemetry, logger }),
      });
    }
  } catch (err) {
    await Promise.all([...opened.values()].map((r) => r.writer.close().then(() => r.store.close())));
    throw err;
  }
  const region = (name: string): RegionStore => {
    const r = opened.get(name);
    if (r === undefined)
      throw new ConclaveError('REGION_UNKNOWN', `Unknown region "${name}"`, { details: { regions: names } });
    return r;
  };
  const controlRegion = region(control);
  const apps = new AppRegistry({
    store: controlRegion.store,
    masterKey,
    regions: names,
    logger,
    now,
    ...(options.callbackUrlPolicy ? { callbackUrlPolicy: options.callbackUrlPolicy } : {}),
  });
  // An app's region never changes after creation, so the lookup is cached for the life of the process.
  const regionOfApp = new Map<number, string>();

  const subjectKey = Buffer.from(
    crypto.hkdfSync('sha256', masterKey.key, Buffer.alloc(0), 'conclave/privacy-subject-hash', 32),
  );

  const storeForApp = async (sdkAppId: number): Promise<RegionStore> => {
    let name = regionOfApp.get(sdkAppId);
    if (name === undefined) {
      name = await apps.regionOf(sdkAppId);
      regionOfApp.set(sdkAppId, name);
    }
    return region(name);
  };

  return {
    apps,
    control: controlRegion,
    regionNames: names,
    now,
    subjectKey,
    region,
    storeForApp,
    async storeForWrite(sdkAppId) {
      const [store, active] = await Promise.all([storeForApp(sdkAppId), apps.isActive(sdkAppId)]);
      if (!active) throw new ConclaveError('APP_TERMINATED', undefined, { details: { sdkAppId } });
      return store;
    },
    async flush() {
      await Promise.all([...opened.values()].map((r) => r.writer.flush()));
    },
    async close() {
      await Promise.all([...opened.values()].map((r) => r.writer.close()));
      await Promise.all([...opened.values()].map((r) => r.store.close()));
    },
  };
}
