/**
 * `POST /dev/usersig {userId}` → `{sdkAppId, userId, userSig, expireSeconds}`: the server signs a UserSig with
 * the dev app's key so the demo page works without a backend of its own. Registered in dev mode only — in
 * production UserSigs are signed by the app's own backend and the secret key never reaches this route.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { ConclaveError, userIdSchema } from '@conclave/protocol';
import { generateUserSig } from '../auth/index.ts';
import { httpStatusFor } from './http-errors.ts';

/** Lifetime of a dev UserSig: long enough for a day of testing, short enough not to be worth stealing. */
export const DEV_USERSIG_EXPIRE_SECONDS = 24 * 60 * 60;

/** `{"userId": "<32 chars>"}` plus JSON framing fits easily. */
const BODY_LIMIT_BYTES = 1024;

const devUserSigRequestSchema = z.object({ userId: userIdSchema });

/** Options of {@link registerDevUserSig}. */
export interface DevUserSigOptions {
  /** The dev app's SDKAppID. */
  sdkAppId: number;
  /** The dev app's secret key; used to sign, never logged or returned. */
  secretKey: string;
  /** Defaults to {@link DEV_USERSIG_EXPIRE_SECONDS}. */
  expireSeconds?: number;
}

/** Registers `POST /dev/usersig`. Call only in dev mode. */
export function registerDevUserSig(app: FastifyInstance, opts: DevUserSigOptions): void {
  const expireSeconds = opts.expireSeconds ?? DEV_USERSIG_EXPIRE_SECONDS;

  app.post('/dev/usersig', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const parsed = devUserSigRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      const error = new ConclaveError(
        'INVALID_USER_ID',
        'Body must be {"userId": "..."} with 1-32 characters of [a-zA-Z0-9_-]',
      );
      return reply.status(httpStatusFor(error.code)).send({ error: error.toJSON() });
    }
    const { userId } = parsed.data;
    const userSig = generateUserSig({ sdkAppId: opts.sdkAppId, userId, secretKey: opts.secretKey, expireSeconds });
    request.log.info({ userId, sdkAppId: opts.sdkAppId }, 'dev UserSig issued');
    return reply.send({ sdkAppId: opts.sdkAppId, userId, userSig, expireSeconds });
  });
}
