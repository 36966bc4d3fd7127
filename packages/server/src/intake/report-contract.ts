/**
 * Vulnerability inbox tests run by the store contract (storage/contract.ts) on SQLite and PostgreSQL: the report
 * store round-trips hostile-looking text, and retention deletes reports past `securityReportDays`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runRetention } from '../privacy/retention.ts';
import { DAY_MS } from '../privacy/retention-policy.ts';
import type { RegionStores } from '../storage/regions.ts';
import { REPORT_ID, ReportStore } from './report-store.ts';

interface Fresh {
  stores: RegionStores;
  clock: { t: number };
}

/** Registers the report store tests of the store contract. */
export function reportsContract(fresh: () => Promise<Fresh>): void {
  test('security reports: create, get, list newest first, status; text round-trips exactly', async () => {
    const { stores, clock } = await fresh();
    const reports = new ReportStore(stores.control.store, () => clock.t);
    const steps = `1. open /x?q=<script>alert(1)</script>\n2. ' OR 1=1 --\t😀 ${'é'.repeat(100)}`;
    const a = await reports.create({ contact: 'mailto:r@example.org', feature: 'signaling', steps, severity: 'high' });
    assert.match(a.id, REPORT_ID);
    clock.t += 1000;
    const b = await reports.create({ contact: 'https://r.example/me', feature: 'console', steps: 'x'.repeat(20_000) });
    assert.deepEqual(await reports.get(a.id), { ...a });
    assert.equal((await reports.get(a.id))?.steps, steps);
    assert.equal((await reports.get(b.id))?.severity, null);
    assert.deepEqual(
      (await reports.list()).map((r) => r.id),
      [b.id, a.id],
    );
    clock.t += 1000;
    const triaged = await reports.setStatus(a.id, 'triaged');
    assert.deepEqual([triaged?.status, triaged?.updatedAt], ['triaged', clock.t]);
    assert.deepEqual(
      (await reports.list({ status: 'triaged' })).map((r) => r.id),
      [a.id],
    );
    assert.equal(await reports.setStatus('VR-AAAAAAAAAAAAAAAA', 'fixed'), undefined);
  });

  test('security reports: retention deletes a report past securityReportDays (moved clock)', async () => {
    const { stores, clock } = await fresh();
    const reports = new ReportStore(stores.control.store, () => clock.t);
    const old = await reports.create({ contact: 'mailto:a@example.org', feature: 'sdk', steps: 'steps to reproduce' });
    clock.t += 10 * DAY_MS;
    const recent = await reports.create({ contact: 'mailto:b@example.org', feature: 'sdk', steps: 'steps again here' });
    clock.t += 715 * DAY_MS;
    assert.equal((await runRetention(stores)).securityReportsPruned, 0);
    clock.t += 6 * DAY_MS;
    assert.equal((await runRetention(stores)).securityReportsPruned, 1);
    assert.equal(await reports.get(old.id), undefined);
    assert.ok(await reports.get(recent.id));
    clock.t += 30 * DAY_MS;
    assert.equal((await runRetention(stores, { policy: { securityReportDays: 30 } })).securityReportsPruned, 1);
    assert.equal(await reports.count(), 0);
  });
}
