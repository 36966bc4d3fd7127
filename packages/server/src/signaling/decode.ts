/**
 * Decoding one signaling frame from the wire: bytes → bounded → JSON → envelope → the method's schema.
 * Pure (no socket), so every byte sequence can be thrown at it by the property tests; the connection only
 * decides what each outcome costs the client (a strike, an error answer, a close).
 */
import { ConclaveError, requestEnvelopeSchema, requestSchemas, type RequestMethod } from '@conclave/protocol';

/** The outcome of {@link decodeSignalFrame}; only `request` carries data the handler may trust. */
export type DecodedFrame =
  /** Larger than the limit: nothing was parsed. */
  | { kind: 'too-large' }
  /** Binary, not UTF-8 JSON, or no valid envelope: there is no id to answer to. */
  | { kind: 'malformed' }
  /** A valid envelope naming a method this server does not know (a newer SDK may). */
  | { kind: 'unknown-method'; id: number; error: ConclaveError }
  /** A known method whose data fails its schema. */
  | { kind: 'invalid'; id: number; error: ConclaveError }
  /** A known method with data its schema accepted (and stripped to the schema's shape). */
  | { kind: 'request'; id: number; method: RequestMethod; data: unknown };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one frame; never throws. */
export function decodeSignalFrame(bytes: Uint8Array, isBinary: boolean, maxBytes: number): DecodedFrame {
  if (bytes.length > maxBytes) return { kind: 'too-large' };
  if (isBinary) return { kind: 'malformed' };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return { kind: 'malformed' };
  }
  const envelope = requestEnvelopeSchema.safeParse(value);
  if (!envelope.success) return { kind: 'malformed' };
  const { id, method, data } = envelope.data;
  if (!Object.hasOwn(requestSchemas, method)) {
    return {
      kind: 'unknown-method',
      id,
      error: new ConclaveError('SIGNAL_UNKNOWN_METHOD', `unknown method "${method.slice(0, 32)}"`),
    };
  }
  const parsed = requestSchemas[method as RequestMethod].safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`);
    return {
      kind: 'invalid',
      id,
      error: new ConclaveError('SIGNAL_MALFORMED', `invalid ${method}: ${problems.join('; ')}`),
    };
  }
  return { kind: 'request', id, method: method as RequestMethod, data: parsed.data };
}
