/** `/.well-known/security.txt` (RFC 9116): where to report a vulnerability. */
import type { FastifyInstance } from 'fastify';

export function registerSecurityTxt(app: FastifyInstance, options: { contact: string; now?: () => number }): void {
  app.get('/.well-known/security.txt', async (_request, reply) => {
    // RFC 9116 requires an Expires field less than a year ahead; computed at each request so it never lapses.
    const expires = new Date((options.now?.() ?? Date.now()) + 180 * 24 * 3600 * 1000).toISOString();
    reply.header('content-type', 'text/plain; charset=utf-8');
    return `Contact: ${options.contact}\nExpires: ${expires}\nPreferred-Languages: en, zh\n`;
  });
}
