/**
 * What the call service needs to know about an app to admit its users: the secret that signs its UserSigs and
 * whether advanced permission control (PrivateMapKey) is on. The app registry (apps/) provides it in production;
 * a fixed list serves tests and the dev default app.
 */
import { ConclaveError } from '@conclave/protocol';

export interface AppAccess {
  sdkAppId: number;
  secretKey: string;
  /** TRTC's "advanced permission control": every entry and role switch carries a PrivateMapKey. */
  privilegeControl: boolean;
  /** Every room of the app requires end-to-end encrypted media. */
  requireE2ee?: boolean;
}

export interface AppAccessLookup {
  /** The app's access settings; throws ConclaveError (e.g. USERSIG_APP_MISMATCH) when unknown or terminated. */
  access(sdkAppId: number): Promise<AppAccess>;
}

/** A fixed set of apps (dev mode's default app, tests). */
export function fixedApps(apps: AppAccess[]): AppAccessLookup {
  const byId = new Map(apps.map((a) => [a.sdkAppId, a]));
  return {
    async access(sdkAppId) {
      const app = byId.get(sdkAppId);
      if (!app) throw new ConclaveError('USERSIG_APP_MISMATCH', 'unknown SDKAppID');
      return app;
    },
  };
}
