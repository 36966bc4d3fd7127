/** App access backed by the app registry (apps/): the stored, encrypted secret and the permission flag. */
import { ConclaveError } from '@conclave/protocol';
import type { AppRegistry } from '../apps/registry.ts';
import type { AppAccessLookup } from './app-access.ts';

export function registryAppAccess(apps: AppRegistry): AppAccessLookup {
  return {
    async access(sdkAppId) {
      try {
        const [record, secretKey] = await Promise.all([apps.get(sdkAppId), apps.getSecretKey(sdkAppId)]);
        return {
          sdkAppId,
          secretKey,
          privilegeControl: record.advancedPermissionControl,
          requireE2ee: record.requireE2ee,
        };
      } catch (error) {
        // An unknown or terminated app is, to the joining client, a UserSig for an app that is not here.
        if (error instanceof ConclaveError && (error.code === 'APP_NOT_FOUND' || error.code === 'APP_TERMINATED')) {
          throw new ConclaveError('USERSIG_APP_MISMATCH', error.message);
        }
        throw error;
      }
    },
  };
}
