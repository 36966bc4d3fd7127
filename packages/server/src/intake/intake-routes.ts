/**
 * The public vulnerability intake (no account needed):
 *   GET  /security/report    a plain HTML form (no script: the page's CSP allows only its own style and posting here)
 *   POST /security/reports   JSON or form-urlencoded {contact, feature, steps, severity?} → 201 {id, receivedAt},
 *                            or an HTML acknowledgement page for a form post.
 * Hostile input is expected: bodies are bounded (32 KiB) and parsed here by small parsers of our own, every field is
 * validated and bounded, and each IP address draws on a token bucket (default burst 3, 5 per hour) before its body
 * is read. Refusals: 400 REPORT_INVALID naming the field, 429 REPORT_RATE_LIMITED, 413 REQUEST_TOO_LARGE.
 */
import crypto from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import { httpStatusFor, sendHttpError } from '../api/http-errors.ts';
import { TokenBucket } from '../rooms/token-bucket.ts';
import { REPORT_SEVERITIES } from './report-store.ts';
import type { ReportInput, ReportStore } from './report-store.ts';

/** Largest accepted body. */
export const REPORT_BODY_LIMIT = 32 * 1024;

/** Per-IP rate of report submissions. */
export interface ReportRateLimit {
  burst: number;
  perHour: number;
  /** Most addresses tracked at once; beyond it the oldest are forgotten (default 10,000). */
  maxAddresses?: number;
}

/** Options of {@link intakeRoutes}. */
export interface IntakeRoutesOptions {
  reports: ReportStore;
  rate?: ReportRateLimit;
  now?: () => number;
}

// Tab, line feed and carriage return are text; other control characters are not (and PostgreSQL refuses NUL).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TEXT = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
const text = (min: number, max: number) =>
  z
    .string()
    .max(max * 2)
    .regex(TEXT, 'must not contain control characters')
    .trim()
    .min(min)
    .max(max);

/** A report as sent; an empty severity (the form's "not sure") means none. */
export const reportSchema = z
  .object({
    contact: text(3, 320),
    feature: text(1, 200),
    steps: text(10, 20_000),
    severity: z
      .union([z.literal(''), z.enum(REPORT_SEVERITIES)])
      .optional()
      .transform((s) => (s === '' ? undefined : s)),
  })
  .strict();

function invalid(field: string, message: string): ConclaveError {
  return new ConclaveError('REPORT_INVALID', `${field}: ${message}`, { details: { field } });
}

/** Validates a decoded body into a report, or throws REPORT_INVALID naming the first bad field. */
export function parseReport(body: unknown): ReportInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'expected an object with contact, feature, steps and optional severity');
  const parsed = reportSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field =
    issue?.code === 'unrecognized_keys' ? String(issue.keys[0] ?? 'body') : String(issue?.path[0] ?? 'body');
  throw invalid(field.slice(0, 64), issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? ''));
}

/** Decodes an urlencoded body into fields; a repeated field is refused rather than silently picked. */
export function decodeForm(body: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, key)) throw invalid(key.slice(0, 64), 'given more than once');
    fields[key] = value;
  }
  return fields;
}

/** Decodes a JSON body; anything but well-formed JSON is REPORT_INVALID. */
export function decodeJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw invalid('body', 'not valid JSON');
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}' +
  'label{display:block;margin-top:1rem;font-weight:600}input,select,textarea{width:100%;font:inherit}' +
  'textarea{min-height:12rem}button{margin-top:1.5rem;font:inherit;padding:.4rem 1.2rem}';
const STYLE_HASH = crypto.createHash('sha256').update(STYLE).digest('base64');

function pageCsp(formAction: "'self'" | "'none'"): string {
  return `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

const FORM_PAGE = page(
  'Report a security vulnerability',
  `<p>Tell us about a vulnerability in this Conclave service. Please do not include personal data of others.
You will receive an acknowledgement id; we answer at the contact you give.</p>
<form method="post" action="/security/reports" enctype="application/x-www-form-urlencoded">
<label for="contact">Your contact (email or URL)</label>
<input id="contact" name="contact" type="text" required minlength="3" maxlength="320" autocomplete="email">
<label for="feature">Affected feature</label>
<input id="feature" name="feature" type="text" required maxlength="200">
<label for="severity">Severity (your estimate)</label>
<select id="severity" name="severity">
<option value="">Not sure</option>
${REPORT_SEVERITIES.map((s) => `<option value="${s}">${s}</option>`).join('\n')}
</select>
<label for="steps">Steps to reproduce</label>
<textarea id="steps" name="steps" required minlength="10" maxlength="20000"></textarea>
<button type="submit">Send report</button>
</form>`,
);

function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function sendPage(reply: FastifyReply, status: number, html: string, formAction: "'self'" | "'none'" = "'none'") {
  return reply
    .status(status)
    .header('content-security-policy', pageCsp(formAction))
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

/** Per-IP token buckets, bounded in number. */
class AddressLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #rate: Required<ReportRateLimit>;
  readonly #now: () => number;

  constructor(rate: ReportRateLimit, now: () => number) {
    this.#rate = { maxAddresses: 10_000, ...rate };
    this.#now = now;
  }

  tryTake(address: string): boolean {
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      // Full: forget the address seen first (Map order), in constant time whatever an address spray does.
      const oldest = this.#buckets.keys().next();
      if (this.#buckets.size >= this.#rate.maxAddresses && !oldest.done) this.#buckets.delete(oldest.value);
      bucket = new TokenBucket({
        capacity: this.#rate.burst,
        refillPerSecond: this.#rate.perHour / 3600,
        now: this.#now,
      });
      this.#buckets.set(address, bucket);
    }
    return bucket.tryTake(1);
  }
}

/** Fastify plugin: the public intake form and endpoint. */
export const intakeRoutes: FastifyPluginAsync<IntakeRoutesOptions> = async (app, options) => {
  const { reports } = options;
  const limiter = new AddressLimiter(options.rate ?? { burst: 3, perHour: 5 }, options.now ?? Date.now);

  // Our own bounded parsers only: JSON and urlencoded as strings, decoded by functions that refuse with a code.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: REPORT_BODY_LIMIT },
    (_r, body, done) => {
      try {
        done(null, decodeJson(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: REPORT_BODY_LIMIT },
    (_r, body, done) => {
      try {
        done(null, decodeForm(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );

  // A form post gets its refusal as a page; everything else the JSON error shape.
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (!isFormPost(request)) return sendHttpError(error, request, reply);
    const code = error instanceof ConclaveError ? error.code : undefined;
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    const status = code ? httpStatusFor(code) : typeof statusCode === 'number' ? statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'security report failed');
    const shown = code ?? (status === 413 ? 'REQUEST_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL');
    const message = status < 500 ? error.message : 'internal error';
    return sendPage(
      reply,
      status,
      page(
        'Report not accepted',
        `<p><code>${escapeHtml(shown)}</code>: ${escapeHtml(message)}</p><p><a href="/security/report">Back to the form</a></p>`,
      ),
    );
  });

  app.get('/security/report', async (_request, reply) => sendPage(reply, 200, FORM_PAGE, "'self'"));

  app.post(
    '/security/reports',
    {
      bodyLimit: REPORT_BODY_LIMIT,
      // Before the body is read: a flood costs a map lookup, not a parse.
      onRequest: async (request) => {
        if (!limiter.tryTake(request.ip))
          throw new ConclaveError('REPORT_RATE_LIMITED', 'at most a few reports per hour from one address');
      },
    },
    async (request, reply) => {
      const report = await reports.create(parseReport(request.body));
      request.log.info({ reportId: report.id }, 'security report received');
      if (!isFormPost(request)) return reply.status(201).send({ id: report.id, receivedAt: report.receivedAt });
      return sendPage(
        reply,
        201,
        page(
          'Thank you — report received',
          `<p>Your acknowledgement id is <strong><code>${escapeHtml(report.id)}</code></strong>
(received ${escapeHtml(new Date(report.receivedAt).toISOString())}). Please quote it when you write to us.</p>`,
        ),
      );
    },
  );
};
