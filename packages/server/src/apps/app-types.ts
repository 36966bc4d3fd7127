/** The shapes of the app registry: what callers send and what they get back. */
import { z } from 'zod';

/** Billing modes an app can be put on (console configuration; used for billing only). */
export const BILLING_MODES = ['pay_as_you_go', 'prepaid_package', 'free_trial'] as const;

/** Lowest and highest generated SDKAppID, the range TRTC itself hands out. */
export const SDK_APP_ID_MIN = 1_400_000_000;
export const SDK_APP_ID_MAX = 1_499_999_999;

/**
 * A callback URL's shape. Where it may point (https only, no private addresses) depends on configuration and is
 * checked by the registry with the callback network policy (callbacks/url-policy.ts), at set time and delivery.
 */
export const callbackUrlSchema = z
  .string()
  .max(1024)
  .regex(/^https?:\/\/\S+$/, 'callbackUrl must be an http(s) URL')
  .refine((u) => URL.canParse(u), 'callbackUrl is not a valid URL')
  .refine(
    (u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''),
    'callbackUrl may not carry a user name or password',
  );

/** Validated input of {@link AppRegistry.create}. Unknown fields are rejected so typos do not pass silently. */
export const AppCreateInputSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    region: z.string().min(1).max(64),
    billingMode: z.enum(BILLING_MODES).default('pay_as_you_go'),
    recordingEnabled: z.boolean().default(false),
    relayEnabled: z.boolean().default(false),
    advancedPermissionControl: z.boolean().default(false),
    /** Every room of the app requires end-to-end encrypted media; entrants without E2EE are refused. */
    requireE2ee: z.boolean().default(false),
    callbackUrl: callbackUrlSchema.optional(),
    // TRTC's callback key: letters and digits, at most 32.
    callbackKey: z
      .string()
      .regex(/^[A-Za-z0-9]{1,32}$/, 'callbackKey must be 1-32 letters or digits')
      .optional(),
  })
  .strict();

/**
 * Validated input of {@link AppRegistry.update}: the console settings that may change after creation.
 * `null` clears the callback URL or key. The region never changes (an app's data stays where it is).
 */
export const AppUpdateInputSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    billingMode: z.enum(BILLING_MODES),
    recordingEnabled: z.boolean(),
    relayEnabled: z.boolean(),
    advancedPermissionControl: z.boolean(),
    requireE2ee: z.boolean(),
    callbackUrl: callbackUrlSchema.nullable(),
    callbackKey: z
      .string()
      .regex(/^[A-Za-z0-9]{1,32}$/, 'callbackKey must be 1-32 letters or digits')
      .nullable(),
  })
  .partial()
  .strict()
  .refine((u) => Object.keys(u).length > 0, 'nothing to update');

/** Input of {@link AppRegistry.update}. */
export type AppUpdateInput = z.input<typeof AppUpdateInputSchema>;

/** Input of {@link AppRegistry.create} before defaults are applied. */
export type AppCreateInput = z.input<typeof AppCreateInputSchema>;

/** An app as the registry reports it. Secrets are never part of it; the callback key only as a presence flag. */
export interface AppRecord {
  sdkAppId: number;
  name: string;
  region: string;
  status: 'active' | 'terminated';
  billingMode: string;
  recordingEnabled: boolean;
  relayEnabled: boolean;
  advancedPermissionControl: boolean;
  requireE2ee: boolean;
  callbackUrl: string | null;
  hasCallbackKey: boolean;
  createdAt: number;
  terminatedAt: number | null;
  /** When the app's data key was destroyed; from then on its secrets are unrecoverable. */
  shreddedAt: number | null;
}

/** Callback destination of an app, for callbacks/. */
export interface CallbackConfig {
  url: string;
  key: string | null;
}
