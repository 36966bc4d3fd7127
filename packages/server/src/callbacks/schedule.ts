/**
 * TRTC's delivery schedule: a 5 s timeout per attempt, one immediate retry after the first failure, then one
 * attempt every 10 s until a minute has passed since the event was first tried; then it is given up.
 */
export const ATTEMPT_TIMEOUT_MS = 5_000;
export const RETRY_INTERVAL_MS = 10_000;
export const GIVE_UP_AFTER_MS = 60_000;

/** When to try again after a failed attempt number `attempts` (1-based), or undefined to give up. */
export function nextAttemptAt(firstAttemptAt: number, attempts: number, failedAt: number): number | undefined {
  const next = attempts === 1 ? failedAt : failedAt + RETRY_INTERVAL_MS;
  return next - firstAttemptAt > GIVE_UP_AFTER_MS ? undefined : next;
}
