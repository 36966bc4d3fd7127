/** Retention periods: defaults and the settings that override them (one source for the jobs and the inventory). */

/** Configurable retention, in days. */
export interface RetentionPolicy {
  /** Quality samples and user events. */
  qualityRetentionDays: number;
  /** Backend logs (room entry/exit) and room sessions. */
  logRetentionDays: number;
  /**
   * Days after termination at which an app's data is hard-deleted and its data key destroyed. The promise is
   * "within 7 days"; 6 leaves a day of slack for a job that runs daily.
   */
  terminatedAppPurgeDays: number;
  /** Aggregated daily usage (no personal data), kept for billing disputes. */
  usageRetentionDays: number;
  /** Finished job records and deletion receipts (hashes and counts only). */
  receiptRetentionDays: number;
  /**
   * Audit records (operator and Cloud API access). Pruning leaves a signed "pruned through seq N" marker, so
   * verification still anchors the oldest remaining record.
   */
  auditRetentionDays: number;
  /** Vulnerability reports sent through the public intake (intake/), counted from receipt. */
  securityReportDays: number;
}

/** The defaults: quality and logs 14 days (TRTC's quality queries reach 14 days back). */
export const DEFAULT_RETENTION: RetentionPolicy = {
  qualityRetentionDays: 14,
  logRetentionDays: 14,
  terminatedAppPurgeDays: 6,
  usageRetentionDays: 400,
  receiptRetentionDays: 365,
  auditRetentionDays: 400,
  securityReportDays: 730,
};

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;
