/**
 * `RtcError` with TRTC's numeric codes. The server speaks Conclave's stable string codes (protocol
 * `ErrorCodes`); this is the one place they become TRTC codes. The server code stays on the error as
 * `serverCode` (and in the message) so callers and tests can tell, e.g., ROLE_CANNOT_PUBLISH from ROOM_FULL.
 */
import { isErrorCode, type ErrorCode } from '@conclave/protocol';
import { SignalFailure } from './signal-client.ts';

/** TRTC Web SDK v5 error codes. */
export const ERROR_CODE = {
  INVALID_PARAMETER: 5000,
  INVALID_OPERATION: 5100,
  ENV_NOT_SUPPORTED: 5200,
  DEVICE_ERROR: 5300,
  SERVER_ERROR: 5400,
  OPERATION_FAILED: 5500,
  OPERATION_ABORT: 5998,
  UNKNOWN_ERROR: 5999,
} as const;

/** One of {@link ERROR_CODE}'s values. */
export type RtcErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

/** Fields of an {@link RtcError} beyond its code and message. */
export interface RtcErrorOptions {
  functionName?: string;
  extraCode?: number;
  /** Conclave's string code when the server refused the request (e.g. `ROLE_CANNOT_PUBLISH`). */
  serverCode?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The error every SDK method rejects with and the `ERROR` event carries (TRTC's shape). */
export class RtcError extends Error {
  /** A TRTC code from {@link ERROR_CODE}. */
  readonly code: RtcErrorCode;
  /** A finer code; for a server refusal, this is unset and {@link RtcError.serverCode} says why. */
  readonly extraCode: number | undefined;
  /** The SDK method that failed (`enterRoom`, `startLocalVideo`, …). */
  readonly functionName: string;
  /** Conclave's stable server error code, when the server refused the request. */
  readonly serverCode: string | undefined;
  /** Non-secret facts from the server about the failure. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RtcErrorCode, message: string, options: RtcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RtcError';
    this.code = code;
    this.extraCode = options.extraCode;
    this.functionName = options.functionName ?? '';
    this.serverCode = options.serverCode;
    this.details = options.details;
  }

  /** A bad argument (5000). */
  static invalidParameter(functionName: string, message: string): RtcError {
    return new RtcError(ERROR_CODE.INVALID_PARAMETER, message, { functionName });
  }
  /** A call that is not allowed in the current state (5100). */
  static invalidOperation(functionName: string, message: string): RtcError {
    return new RtcError(ERROR_CODE.INVALID_OPERATION, message, { functionName });
  }
  /** The browser lacks what the SDK needs (5200). */
  static envNotSupported(functionName: string, message: string, cause?: unknown): RtcError {
    return new RtcError(ERROR_CODE.ENV_NOT_SUPPORTED, message, { functionName, cause });
  }
  /** Capturing from a camera, microphone or screen failed (5300). */
  static deviceError(functionName: string, cause: unknown): RtcError {
    const name = cause instanceof Error ? cause.name : 'Error';
    const message = cause instanceof Error ? cause.message : String(cause);
    return new RtcError(ERROR_CODE.DEVICE_ERROR, `${name}: ${message}`, { functionName, cause });
  }
  /** The operation could not complete (network, timeout, media negotiation) (5500). */
  static operationFailed(functionName: string, message: string, cause?: unknown): RtcError {
    return new RtcError(ERROR_CODE.OPERATION_FAILED, message, { functionName, cause });
  }
  /** The operation was cancelled by a later call such as exitRoom (5998). */
  static aborted(functionName: string, message = 'the operation was aborted'): RtcError {
    return new RtcError(ERROR_CODE.OPERATION_ABORT, message, { functionName });
  }
  /** The server refused a request: the TRTC code is derived from Conclave's string code. */
  static fromServer(
    functionName: string,
    serverCode: string,
    message: string,
    details?: Record<string, unknown>,
  ): RtcError {
    return new RtcError(trtcCodeForServerCode(serverCode), `${serverCode}: ${message}`, {
      functionName,
      serverCode,
      details,
    });
  }

  /** Wraps anything thrown inside the SDK as an RtcError for `functionName`. */
  static from(functionName: string, err: unknown): RtcError {
    if (err instanceof RtcError) return err;
    if (err instanceof SignalFailure) {
      switch (err.kind) {
        case 'server':
          return RtcError.fromServer(functionName, err.serverCode ?? 'INTERNAL', err.message, err.details);
        case 'too_large':
          return RtcError.invalidParameter(functionName, err.message);
        case 'aborted':
          return RtcError.aborted(functionName, err.message);
        default:
          return RtcError.operationFailed(functionName, `signaling ${err.kind}: ${err.message}`, err);
      }
    }
    if (err instanceof Error && err.name === 'UnsupportedError')
      return RtcError.envNotSupported(functionName, err.message, err);
    const message = err instanceof Error ? err.message : String(err);
    return new RtcError(ERROR_CODE.UNKNOWN_ERROR, message, { functionName, cause: err });
  }
}

const INVALID_PARAMETER: readonly ErrorCode[] = [
  'INVALID_USER_ID',
  'INVALID_ROOM_ID',
  'INVALID_SDK_APP_ID',
  'SIGNAL_MALFORMED',
  'SIGNAL_TOO_LARGE',
  'SIGNAL_UNKNOWN_METHOD',
];
const INVALID_OPERATION: readonly ErrorCode[] = [
  'ROLE_CANNOT_PUBLISH',
  'SUB_STREAM_TAKEN',
  'STREAM_ALREADY_PUBLISHED',
  'CUSTOM_MESSAGE_FORBIDDEN',
  'SIGNAL_NOT_JOINED',
  'SIGNAL_ALREADY_JOINED',
  'ROOM_SCENE_MISMATCH',
  'NOT_ROOM_ADMIN',
  'NOT_ROOM_OWNER',
  'CONTROL_TARGET_INVALID',
  'MEDIA_DISABLED_BY_HOST',
  'NOT_ON_SEAT',
  'SEAT_UNAVAILABLE',
  'SEAT_MODE_OFF',
  'DEVICE_REQUEST_NOT_FOUND',
];
const OPERATION_FAILED: readonly ErrorCode[] = [
  'SIGNAL_RATE_LIMITED',
  'CUSTOM_MESSAGE_RATE_LIMITED',
  'MEDIA_CANNOT_CONSUME',
  'NOT_FOUND',
  'SIGNAL_JOIN_TIMEOUT',
  'SIGNAL_IDLE_TIMEOUT',
  'CONTROL_RATE_LIMITED',
  'CHAT_RATE_LIMITED',
];

/**
 * TRTC's code for a Conclave server code: bad input → 5000, not allowed now (role, one screen share per
 * room, …) → 5100, transient or per-request failures → 5500, and everything else the server refuses —
 * tokens, privileges, capacity, apps, internal faults, unknown codes — → 5400 SERVER_ERROR, as TRTC does
 * for refused room entry.
 */
export function trtcCodeForServerCode(serverCode: string): RtcErrorCode {
  if (!isErrorCode(serverCode)) return ERROR_CODE.SERVER_ERROR;
  if (INVALID_PARAMETER.includes(serverCode)) return ERROR_CODE.INVALID_PARAMETER;
  if (INVALID_OPERATION.includes(serverCode)) return ERROR_CODE.INVALID_OPERATION;
  if (OPERATION_FAILED.includes(serverCode)) return ERROR_CODE.OPERATION_FAILED;
  return ERROR_CODE.SERVER_ERROR;
}
