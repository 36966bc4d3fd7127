/**
 * Dev mode's generated secrets, kept in `<dataDir>/dev-keys.json` (mode 0600) so restarts keep the same
 * dev app and master key. Production supplies its own through configuration; these are never used there.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { dataDir, type Config } from './config.ts';

/** The dev default app's SDKAppID (TRTC's ids start at 1400000000). */
export const DEV_SDK_APP_ID = 1400000001;

const devKeysSchema = z.object({
  sdkAppId: z.number().int(),
  secretKey: z.string().min(32),
  masterKey: z.string().min(40),
  adminToken: z.string().min(24),
  /** Cloud API credentials of the dev app (TC3-HMAC-SHA256). */
  apiSecretId: z.string().min(16),
  apiSecretKey: z.string().min(32),
});
export type DevKeys = z.infer<typeof devKeysSchema>;

export function loadOrCreateDevKeys(config: Config): DevKeys {
  const file = path.join(dataDir(config), 'dev-keys.json');
  if (fs.existsSync(file)) {
    const parsed = devKeysSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  }
  const keys: DevKeys = {
    sdkAppId: DEV_SDK_APP_ID,
    secretKey: crypto.randomBytes(32).toString('hex'),
    masterKey: crypto.randomBytes(32).toString('base64'),
    adminToken: crypto.randomBytes(24).toString('base64url'),
    apiSecretId: `AKID${crypto.randomBytes(16).toString('hex')}`,
    apiSecretKey: crypto.randomBytes(24).toString('base64url'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}
