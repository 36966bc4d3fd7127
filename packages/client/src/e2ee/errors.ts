/**
 * The one error type of the e2ee modules. Codes are stable strings; the SDK maps them to `RtcError` at its
 * edge. (They live here rather than in protocol's registry because nothing on the server ever sees them.)
 */

/** Stable codes of {@link E2eeError}, with their meaning. */
export const E2eeErrorCodes = {
  SFRAME_HEADER_TRUNCATED: 'The SFrame header is cut short',
  SFRAME_HEADER_NOT_MINIMAL: 'The SFrame header encodes KID or CTR in more bytes than needed (RFC 9605 §4.3)',
  SFRAME_VALUE_OUT_OF_RANGE: 'KID and CTR must be integers 0..2^64-1',
  SFRAME_COUNTER_EXHAUSTED: 'This sender key has used every counter value; a new key is needed',
  SFRAME_BAD_KEY: 'The key material has the wrong length or type',
  SFRAME_UNKNOWN_SUITE: 'The SFrame cipher suite is not supported',
  E2EE_KEY_MESSAGE_MALFORMED: 'The key message is not a well-formed Conclave key message',
  E2EE_KEY_MESSAGE_UNREADABLE: 'The key message could not be opened with this participant’s private key',
  E2EE_UNSUPPORTED_CODEC: 'This codec cannot be end-to-end encrypted',
} as const;

/** One of {@link E2eeErrorCodes}' keys. */
export type E2eeErrorCode = keyof typeof E2eeErrorCodes;

/** An e2ee failure with a stable {@link E2eeErrorCode}. Never carries key material. */
export class E2eeError extends Error {
  /** Why it failed. */
  readonly code: E2eeErrorCode;

  constructor(code: E2eeErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail === undefined ? E2eeErrorCodes[code] : `${E2eeErrorCodes[code]}: ${detail}`, options);
    this.name = 'E2eeError';
    this.code = code;
  }
}
