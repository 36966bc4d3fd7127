/** Bearer-token authentication (metrics): `Authorization: Bearer <token>`, compared in constant time. */
import crypto from 'node:crypto';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { ErrorCode } from '@conclave/protocol';

function digest(value: string): Buffer {
  // Hashing first gives equal-length inputs to timingSafeEqual whatever the caller sent.
  return crypto.createHash('sha256').update(value).digest();
}

/** A pre-handler that answers 401 `{error: {code, message}}` unless the request carries `token`. */
export function bearerAuth(token: string, code: ErrorCode, message: string): preHandlerAsyncHookHandler {
  const expected = digest(token);
  return async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !crypto.timingSafeEqual(digest(given), expected)) {
      await reply.status(401).header('www-authenticate', 'Bearer').send({ error: { code, message } });
    }
  };
}
