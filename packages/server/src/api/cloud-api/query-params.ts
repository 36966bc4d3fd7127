/**
 * TRTC's rules for the monitoring queries' shared parameters: StartTime/EndTime in Unix seconds reaching back at
 * most 14 days (and, per action, spanning at most 24 h, 4 h or 1 h), PageNumber/PageSize paging, and a CommId
 * that must belong to the calling app. Failures are API_INVALID_PARAMETER naming the field, with a `reason`
 * that the edge (trtc-errors.ts) turns into TRTC's specific code.
 */
import { z } from 'zod';
import { ConclaveError } from '@conclave/protocol';
import { parseCommId, type CommIdParts } from '../../telemetry/comm-id.ts';

/** How far back TRTC's quality queries reach. */
export const QUERY_MAX_AGE_SECONDS = 14 * 86_400;

/** Why a parameter was refused, beyond "invalid" (mapped to TRTC's codes in trtc-errors.ts). */
export type ParameterReason = 'too_old' | 'span_too_long' | 'page_size' | 'too_many_users';

/** Unix seconds (2100 at most: a millisecond value is refused, not misread). */
export const unixSeconds = z.number().int().min(0).max(4_102_444_800);
export const pageNumber = z.number().int().min(0).max(1_000_000).optional();
export const pageSize = z.number().int().min(1).max(1_000).optional();
export const commIdParam = z.string().min(1).max(96);

/** A parameter error naming `field`. */
export function invalidParameter(field: string, message: string, reason?: ParameterReason): ConclaveError {
  return new ConclaveError('API_INVALID_PARAMETER', `${field}: ${message}`, {
    details: reason === undefined ? { field } : { field, reason },
  });
}

/** Checks StartTime/EndTime; returns the window in epoch ms, EndTime's whole second included. */
export function timeWindow(
  p: { StartTime: number; EndTime: number },
  nowMs: number,
  maxSpanSeconds?: number,
): { start: number; end: number } {
  if (p.StartTime < Math.floor(nowMs / 1000) - QUERY_MAX_AGE_SECONDS)
    throw invalidParameter('StartTime', 'queries reach back at most 14 days', 'too_old');
  if (p.EndTime < p.StartTime) throw invalidParameter('EndTime', 'must not be before StartTime');
  if (maxSpanSeconds !== undefined && p.EndTime - p.StartTime > maxSpanSeconds)
    throw invalidParameter('EndTime', `must be at most ${maxSpanSeconds} s after StartTime`, 'span_too_long');
  return { start: p.StartTime * 1000, end: p.EndTime * 1000 + 999 };
}

/**
 * TRTC's paging: PageNumber counts from 0; when either parameter is missing the first page of the default size
 * is returned. A PageSize above the action's maximum is refused.
 */
export function paging(
  p: { PageNumber?: number | undefined; PageSize?: number | undefined },
  defaultSize: number,
  maxSize: number,
): { offset: number; limit: number } {
  if (p.PageSize !== undefined && p.PageSize > maxSize)
    throw invalidParameter('PageSize', `must be 1..${maxSize}`, 'page_size');
  if (p.PageNumber === undefined || p.PageSize === undefined) return { offset: 0, limit: defaultSize };
  return { offset: p.PageNumber * p.PageSize, limit: p.PageSize };
}

/** Parses a CommId and checks it belongs to `sdkAppId`. */
export function commIdOf(commId: string, sdkAppId: number): CommIdParts {
  let parts: CommIdParts;
  try {
    parts = parseCommId(commId);
  } catch {
    throw invalidParameter('CommId', 'must be {SdkAppId}_{RoomId}_{CreateTime}');
  }
  if (parts.sdkAppId !== sdkAppId) throw invalidParameter('CommId', 'belongs to another SdkAppId');
  return parts;
}

/** Epoch ms → Unix seconds. */
export const seconds = (ms: number): number => Math.floor(ms / 1000);
