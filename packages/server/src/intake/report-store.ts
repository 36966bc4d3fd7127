/**
 * The vulnerability inbox in the control store (table `security_reports`). Reports are kept
 * `retention.securityReportDays` from receipt (privacy/retention.ts prunes them). The reporter's IP address is
 * never stored; it only feeds the in-memory rate limit of intake-routes.ts.
 */
import crypto from 'node:crypto';
import type { Store } from '../storage/store.ts';
import type { SecurityReportsTable } from '../storage/schema.ts';

export const REPORT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ReportSeverity = (typeof REPORT_SEVERITIES)[number];
export const REPORT_STATUSES = ['new', 'triaged', 'fixed', 'rejected'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** What a reporter sends (already validated). */
export interface ReportInput {
  contact: string;
  feature: string;
  steps: string;
  severity?: ReportSeverity | undefined;
}

/** A stored report. */
export interface SecurityReport {
  id: string;
  receivedAt: number;
  contact: string;
  feature: string;
  steps: string;
  severity: ReportSeverity | null;
  status: ReportStatus;
  updatedAt: number;
}

/** A report in the inbox listing (without the steps). */
export type SecurityReportSummary = Omit<SecurityReport, 'steps' | 'updatedAt'>;

// RFC 4648 base32 alphabet: unambiguous to read out and copy.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A fresh acknowledgement id: `VR-` and 16 random base32 characters (80 bits). */
export function newReportId(): string {
  const bytes = crypto.randomBytes(16);
  let id = 'VR-';
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

/** The shape of an acknowledgement id. */
export const REPORT_ID = /^VR-[A-Z2-7]{16}$/;

function fromRow(row: SecurityReportsTable): SecurityReport {
  return {
    id: row.id,
    receivedAt: Number(row.received_at),
    contact: row.contact,
    feature: row.feature,
    steps: row.steps,
    severity: row.severity,
    status: row.status,
    updatedAt: Number(row.updated_at),
  };
}

/** The security_reports table. */
export class ReportStore {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  async create(input: ReportInput): Promise<SecurityReport> {
    const now = this.#now();
    const row: SecurityReportsTable = {
      id: newReportId(),
      received_at: now,
      contact: input.contact,
      feature: input.feature,
      steps: input.steps,
      severity: input.severity ?? null,
      status: 'new',
      updated_at: now,
    };
    await this.#store.db.insertInto('security_reports').values(row).execute();
    return fromRow(row);
  }

  async get(id: string): Promise<SecurityReport | undefined> {
    const row = await this.#store.db.selectFrom('security_reports').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** Newest first. */
  async list(filter: { status?: ReportStatus | undefined; limit?: number } = {}): Promise<SecurityReportSummary[]> {
    let query = this.#store.db
      .selectFrom('security_reports')
      .select(['id', 'received_at', 'contact', 'feature', 'severity', 'status']);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const rows = await query
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 200)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      receivedAt: Number(r.received_at),
      contact: r.contact,
      feature: r.feature,
      severity: r.severity,
      status: r.status,
    }));
  }

  async setStatus(id: string, status: ReportStatus): Promise<SecurityReport | undefined> {
    const result = await this.#store.db
      .updateTable('security_reports')
      .set({ status, updated_at: this.#now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? this.get(id) : undefined;
  }

  /** How many reports are stored (tests, metrics). */
  async count(): Promise<number> {
    const row = await this.#store.db
      .selectFrom('security_reports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
