/** `/.well-known/security.txt` (RFC 9116): where to report a vulnerability. */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Path of the public vulnerability report form (intake/intake-routes.ts). */
export const SECURITY_REPORT_PATH = '/security/report';

const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

/** The absolute URL of the report form: configured, or this server as the client reached it. */
function reportUrlOf(request: FastifyRequest, configured: string | undefined): string | undefined {
  if (configured !== undefined) return configured;
  const host = request.host;
  // RFC 9116 wants absolute URIs; a Host header that is not a plain host name gives none rather than echoing it.
  return HOST.test(host) ? `${request.protocol}://${host}${SECURITY_REPORT_PATH}` : undefined;
}

export function registerSecurityTxt(
  app: FastifyInstance,
  options: { contact: string; now?: () => number; reportUrl?: string },
): void {
  app.get('/.well-known/security.txt', async (request, reply) => {
    // RFC 9116 requires an Expires field less than a year ahead; computed at each request so it never lapses.
    const expires = new Date((options.now?.() ?? Date.now()) + 180 * 24 * 3600 * 1000).toISOString();
    const form = reportUrlOf(request, options.reportUrl);
    reply.header('content-type', 'text/plain; charset=utf-8');
    return (
      `Contact: ${options.contact}\n` +
      (form !== undefined ? `Contact: ${form}\nPolicy: ${form}\n` : '') +
      `Expires: ${expires}\nPreferred-Languages: en, zh\n`
    );
  });
}
