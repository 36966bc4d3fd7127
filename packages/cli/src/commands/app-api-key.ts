/**
 * `conclave app api-key create|list|revoke`: an app's Cloud API credentials (SecretId/SecretKey) straight on
 * the configured store. The SecretKey is printed once, at creation.
 */
import { ConclaveError } from '@conclave/protocol';

/** A credential as the CLI shows it (never the key). */
export interface ApiCredentialSummary {
  secretId: string;
  sdkAppId: number;
  status: 'active' | 'revoked';
  createdAt: number;
  revokedAt: number | null;
}

/** The credential operations the command uses (the server's AppRegistry.apiCredentials satisfies it). */
export interface ApiCredentialCommands {
  create(sdkAppId: number): Promise<{ credential: ApiCredentialSummary; secretKey: string }>;
  list(sdkAppId: number): Promise<ApiCredentialSummary[]>;
  revoke(sdkAppId: number, secretId: string): Promise<ApiCredentialSummary>;
}

export const API_KEY_USAGE = `  conclave app api-key create <sdkAppId> [--json]
  conclave app api-key list <sdkAppId> [--json]
  conclave app api-key revoke <sdkAppId> <secretId> [--json]`;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function usage(message: string): never {
  throw new ConclaveError('APP_INVALID', `${message}\nusage:\n${API_KEY_USAGE}`);
}

function sdkAppIdArg(value: string | undefined): number {
  if (value === undefined || !/^[0-9]{1,10}$/.test(value)) usage('an SDKAppID (digits) is required');
  return Number(value);
}

/** Runs `conclave app api-key <sub> <positionals...>`; returns what to print. */
export async function apiKeyCommand(
  positionals: string[],
  json: boolean,
  credentials: ApiCredentialCommands,
): Promise<string> {
  const [sub, appArg, secretId] = positionals;
  switch (sub) {
    case 'create': {
      const { credential, secretKey } = await credentials.create(sdkAppIdArg(appArg));
      if (json) return JSON.stringify({ credential, secretKey });
      return [
        `SecretId   ${credential.secretId}`,
        `SecretKey  ${secretKey}`,
        '',
        'The SecretKey is shown once; store it now. Revoke with: conclave app api-key revoke <sdkAppId> <secretId>',
      ].join('\n');
    }
    case 'list': {
      const list = await credentials.list(sdkAppIdArg(appArg));
      if (json) return JSON.stringify({ credentials: list });
      if (list.length === 0) return 'no API credentials';
      return [
        'SECRET ID                             STATUS   CREATED               REVOKED',
        ...list.map(
          (c) => `${c.secretId.padEnd(36)}  ${c.status.padEnd(7)}  ${iso(c.createdAt).padEnd(20)}  ${iso(c.revokedAt)}`,
        ),
      ].join('\n');
    }
    case 'revoke': {
      if (secretId === undefined) usage('a SecretId is required');
      const credential = await credentials.revoke(sdkAppIdArg(appArg), secretId);
      return json
        ? JSON.stringify({ credential })
        : `${credential.secretId} revoked; requests signed with it are refused within seconds.`;
    }
    default:
      return usage(sub === undefined ? 'api-key needs a command' : `unknown command "app api-key ${sub}"`);
  }
}
