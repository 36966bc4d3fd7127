/** Admin API authentication: `Authorization: Bearer <admin token>`, compared in constant time. */
import crypto from 'node:crypto';
import type { preHandlerAsyncHookHandler } from 'fastify';

function digest(value: string): Buffer {
  // Hashing first gives equal-length inputs to timingSafeEqual whatever the caller sent.
  return crypto.createHash('sha256').update(value).digest();
}

export function adminAuth(adminToken: string): preHandlerAsyncHookHandler {
  const expected = digest(adminToken);
  return async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !crypto.timingSafeEqual(digest(token), expected)) {
      await reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'ADMIN_UNAUTHORIZED', message: 'a valid admin bearer token is required' } });
    }
  };
}
