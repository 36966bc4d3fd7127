/** Maps Conclave's error codes to TRTC Cloud API error codes (the API edge is the only place that knows them). */
import type { ErrorCode } from '@conclave/protocol';

const TRTC_CODE: Partial<Record<ErrorCode, string>> = {
  API_AUTH_MISSING: 'AuthFailure.InvalidAuthorization',
  API_SECRET_ID_UNKNOWN: 'AuthFailure.SecretIdNotFound',
  API_SIGNATURE_INVALID: 'AuthFailure.SignatureFailure',
  API_SIGNATURE_EXPIRED: 'AuthFailure.SignatureExpire',
  API_UNAUTHORIZED_APP: 'AuthFailure.UnauthorizedOperation',
  API_RATE_LIMITED: 'RequestLimitExceeded',
  API_UNKNOWN_ACTION: 'InvalidAction',
  API_UNSUPPORTED_VERSION: 'NoSuchVersion',
  API_INVALID_PARAMETER: 'InvalidParameter',
  ROOM_NOT_FOUND: 'FailedOperation.RoomNotExist',
  USER_NOT_FOUND: 'FailedOperation.UserNotExist',
  INVALID_SDK_APP_ID: 'InvalidParameter.SdkAppId',
  INVALID_ROOM_ID: 'InvalidParameter.RoomId',
  INVALID_USER_ID: 'InvalidParameter.UserIds',
  RECORDING_CONCURRENCY_LIMIT: 'FailedOperation.RestrictedConcurrency',
  RECORDING_TASK_NOT_FOUND: 'InvalidParameter.TaskId',
  RECORDING_NOT_CONFIGURED: 'FailedOperation',
  RECORDING_START_FAILED: 'FailedOperation',
  RECORDING_TASK_EXITED: 'FailedOperation',
  RECORDING_STORAGE_DENIED: 'InvalidParameter',
  RECORDING_NOT_MIXED: 'InvalidParameter.MixLayoutParams',
};

/** TRTC's specific codes for the monitoring queries' refusals (query-params.ts names the reason). */
const PARAMETER_REASON: Record<string, string> = {
  too_old: 'InvalidParameter.StartTsOversize',
  span_too_long: 'InvalidParameter.QueryScaleOversize',
  page_size: 'InvalidParameter.PageSizeOversize',
  too_many_users: 'InvalidParameter.UserIdsMorethanSix',
};

/**
 * TRTC's code for a failure. Parameter errors name the field the way TRTC does
 * (`InvalidParameter.SdkAppId`, `MissingParameter` for an absent required one).
 */
export function trtcErrorCode(code: ErrorCode, details?: Record<string, unknown>): string {
  if (code === 'API_INVALID_PARAMETER' && typeof details?.reason === 'string') {
    const specific = PARAMETER_REASON[details.reason];
    if (specific !== undefined) return specific;
  }
  if (code === 'API_INVALID_PARAMETER' && typeof details?.field === 'string') {
    return details.missing === true ? 'MissingParameter' : `InvalidParameter.${details.field}`;
  }
  return TRTC_CODE[code] ?? 'InternalError';
}
