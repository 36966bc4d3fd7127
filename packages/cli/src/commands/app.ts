/**
 * `conclave app create|list|rotate-key|terminate`: app management straight on the configured store.
 * The CLI does not import the server (docs: dependency rule); the caller passes the opened registry through
 * {@link AppCommandContext}, which the server's AppRegistry satisfies structurally.
 */
import { parseArgs } from 'node:util';
import { ConclaveError } from '@conclave/protocol';
import { API_KEY_USAGE, apiKeyCommand, type ApiCredentialCommands } from './app-api-key.ts';

/** Billing modes the registry accepts (it validates again). */
export type BillingMode = 'pay_as_you_go' | 'prepaid_package' | 'free_trial';

/** What the CLI shows of an app. */
export interface AppSummary {
  sdkAppId: number;
  name: string;
  region: string;
  status: 'active' | 'terminated';
  billingMode: string;
  recordingEnabled: boolean;
  relayEnabled: boolean;
  advancedPermissionControl: boolean;
  requireE2ee?: boolean;
  createdAt: number;
  terminatedAt: number | null;
}

/** Input of `app create`. */
export interface AppCreateArgs {
  name: string;
  region: string;
  billingMode?: BillingMode;
  recordingEnabled?: boolean;
  relayEnabled?: boolean;
  advancedPermissionControl?: boolean;
  requireE2ee?: boolean;
  callbackUrl?: string;
  callbackKey?: string;
}

/** The opened stores the command works on. */
export interface AppCommandContext {
  apps: {
    create(input: AppCreateArgs): Promise<{ app: AppSummary; secretKey: string }>;
    list(): Promise<AppSummary[]>;
    rotateSecretKey(sdkAppId: number): Promise<string>;
    terminate(sdkAppId: number): Promise<AppSummary>;
    update(sdkAppId: number, input: { callbackUrl?: string | null; callbackKey?: string | null }): Promise<AppSummary>;
    apiCredentials: ApiCredentialCommands;
  };
  /** Region names, for help text and the default region. */
  regionNames: readonly string[];
}

const USAGE = `usage:
  conclave app create --name <name> [--region <region>] [--billing-mode pay_as_you_go|prepaid_package|free_trial]
                      [--recording] [--relay] [--advanced-permission] [--require-e2ee] [--callback-url <url>] [--callback-key <key>] [--json]
  conclave app list [--json]
  conclave app rotate-key <sdkAppId> [--json]
  conclave app terminate <sdkAppId> [--json]
  conclave app set-callback <sdkAppId> --callback-url <url> [--callback-key <key>] [--json]
  conclave app set-callback <sdkAppId> --clear [--json]
${API_KEY_USAGE}`;

function usage(message: string): never {
  throw new ConclaveError('APP_INVALID', `${message}\n${USAGE}`);
}

function sdkAppIdArg(value: string | undefined): number {
  if (value === undefined || !/^[0-9]{1,10}$/.test(value)) usage('an SDKAppID (digits) is required');
  return Number(value);
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function describe(app: AppSummary): string {
  const flags = [
    app.recordingEnabled && 'recording',
    app.relayEnabled && 'relay',
    app.advancedPermissionControl && 'advanced-permission',
    app.requireE2ee && 'require-e2ee',
  ].filter(Boolean);
  return [
    `SDKAppID      ${app.sdkAppId}`,
    `name          ${app.name}`,
    `region        ${app.region}`,
    `status        ${app.status}${app.terminatedAt === null ? '' : ` (since ${iso(app.terminatedAt)})`}`,
    `billing mode  ${app.billingMode}`,
    `features      ${flags.length > 0 ? flags.join(', ') : '-'}`,
  ].join('\n');
}

function table(apps: AppSummary[]): string {
  if (apps.length === 0) return 'no apps';
  const rows = [
    ['SDKAppID', 'STATUS', 'REGION', 'CREATED', 'NAME'],
    ...apps.map((a) => [String(a.sdkAppId), a.status, a.region, iso(a.createdAt), a.name]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** Runs `conclave app <argv...>` and returns what to print. Errors are ConclaveErrors (usage: APP_INVALID). */
export async function appCommand(argv: string[], ctx: AppCommandContext): Promise<string> {
  const [sub, ...rest] = argv;
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: {
          name: { type: 'string' },
          region: { type: 'string' },
          'billing-mode': { type: 'string' },
          recording: { type: 'boolean' },
          relay: { type: 'boolean' },
          'advanced-permission': { type: 'boolean' },
          'require-e2ee': { type: 'boolean' },
          'callback-url': { type: 'string' },
          'callback-key': { type: 'string' },
          json: { type: 'boolean' },
          clear: { type: 'boolean' },
        },
      });
    } catch (err) {
      return usage(err instanceof Error ? err.message : String(err));
    }
  })();
  const json = values.json === true;
  switch (sub) {
    case 'create': {
      if (values.name === undefined) usage('--name is required');
      const region = values.region ?? ctx.regionNames[0];
      if (region === undefined) usage('--region is required');
      const input: AppCreateArgs = { name: values.name, region };
      if (values['billing-mode'] !== undefined) input.billingMode = values['billing-mode'] as BillingMode;
      if (values.recording) input.recordingEnabled = true;
      if (values.relay) input.relayEnabled = true;
      if (values['advanced-permission']) input.advancedPermissionControl = true;
      if (values['require-e2ee']) input.requireE2ee = true;
      if (values['callback-url'] !== undefined) input.callbackUrl = values['callback-url'];
      if (values['callback-key'] !== undefined) input.callbackKey = values['callback-key'];
      const { app, secretKey } = await ctx.apps.create(input);
      if (json) return JSON.stringify({ app, secretKey });
      return `${describe(app)}\nsecret key    ${secretKey}\n\nThe secret key is shown once; store it now (rotate-key issues a new one).`;
    }
    case 'list': {
      const apps = await ctx.apps.list();
      return json ? JSON.stringify({ apps }) : table(apps);
    }
    case 'rotate-key': {
      const sdkAppId = sdkAppIdArg(positionals[0]);
      const secretKey = await ctx.apps.rotateSecretKey(sdkAppId);
      return json
        ? JSON.stringify({ sdkAppId, secretKey })
        : `new secret key for ${sdkAppId}: ${secretKey}\nUserSigs signed with the old key no longer verify.`;
    }
    case 'terminate': {
      const app = await ctx.apps.terminate(sdkAppIdArg(positionals[0]));
      return json
        ? JSON.stringify({ app })
        : `${describe(app)}\n\nThe app no longer verifies UserSigs; its keys and data are destroyed within 7 days.`;
    }
    case 'set-callback': {
      const sdkAppId = sdkAppIdArg(positionals[0]);
      if (values.clear !== true && values['callback-url'] === undefined) usage('--callback-url or --clear is required');
      const app = await ctx.apps.update(
        sdkAppId,
        values.clear === true
          ? { callbackUrl: null, callbackKey: null }
          : { callbackUrl: values['callback-url'] ?? null, callbackKey: values['callback-key'] ?? null },
      );
      return json
        ? JSON.stringify({ app })
        : `${describe(app)}\n\nEvent callbacks go to ${values.clear === true ? 'nowhere' : values['callback-url']}.`;
    }
    case 'api-key':
      return apiKeyCommand(positionals, json, ctx.apps.apiCredentials);
    case undefined:
    case 'help':
      return USAGE;
    default:
      return usage(`unknown command "app ${sub}"`);
  }
}
