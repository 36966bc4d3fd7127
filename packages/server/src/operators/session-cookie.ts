/**
 * The session cookie: reading it from a hostile Cookie header (bounded, never throws) and the Set-Cookie values
 * that set and clear it. Secure always: browsers send Secure cookies to localhost over http too.
 */
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './sessions.ts';

const MAX_COOKIE_HEADER = 8192;

/** The session token in a Cookie header value, or undefined. */
export function readSessionToken(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (typeof text !== 'string' || text.length > MAX_COOKIE_HEADER) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** The session token of a request. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  return readSessionToken(request.headers.cookie);
}

/** Set-Cookie value carrying `token`, for `maxAgeSeconds`. */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

/** Set-Cookie value that removes the cookie. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
}
