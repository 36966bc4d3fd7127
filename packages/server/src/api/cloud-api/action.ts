/** What a Cloud API action is: a TRTC action name, its parameter schema and what it does. */
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';

/** Facts about the caller, established by the endpoint before an action runs. */
export interface ActionContext {
  /** The app the API credentials belong to (the action's SdkAppId has been checked against it). */
  sdkAppId: number;
  /** Server time, Unix ms. */
  now: number;
}

export interface CloudAction<P extends { SdkAppId: number } = { SdkAppId: number }> {
  readonly name: string;
  /** Reads only (TRTC's Describe* actions): may run again for a repeated request; see docs/cloud-api.md. */
  readonly readOnly: boolean;
  readonly params: z.ZodType<P>;
  run(params: P, context: ActionContext): Promise<Record<string, unknown>>;
}

/** Declares an action with typed parameters; TRTC names every read-only action Describe*. */
export function defineAction<S extends z.ZodType<{ SdkAppId: number }>>(
  name: string,
  params: S,
  run: (params: z.output<S>, context: ActionContext) => Promise<Record<string, unknown>>,
): CloudAction {
  return { name, readOnly: name.startsWith('Describe'), params, run } as unknown as CloudAction;
}

/** TRTC's SdkAppId parameter: a positive 32-bit integer. */
export const sdkAppIdParam = z.number().int().min(1).max(4294967295);

/** Turns a schema failure into API_INVALID_PARAMETER naming the first offending field, as TRTC does. */
export function parameterError(error: z.ZodError): ConclaveError {
  const issue = error.issues[0];
  const field = String(issue?.path[0] ?? 'Parameters');
  const missing = issue?.code === 'invalid_type' && issue.message.includes('undefined');
  const unknown = issue?.code === 'unrecognized_keys';
  return new ConclaveError(
    'API_INVALID_PARAMETER',
    unknown ? `unknown parameter: ${issue.keys.join(', ')}` : `${field}: ${issue?.message ?? 'invalid'}`,
    { details: { field: unknown ? 'Unknown' : field, missing } },
  );
}
