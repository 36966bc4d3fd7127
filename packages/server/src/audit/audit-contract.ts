/**
 * Audit log tests run by the store contract (storage/contract.ts) on SQLite and PostgreSQL, and the tampering
 * helpers the fast-check property test shares: each changes the stored chain the way an attacker with SQL access
 * would, and returns the problem verify must report.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { pino } from 'pino';
import { runRetention } from '../privacy/retention.ts';
import type { RegionStores } from '../storage/regions.ts';
import { openStore } from '../storage/store.ts';
import type { Store, StoreConfig } from '../storage/store.ts';
import type { AuditEntry } from './audit-entry.ts';
import { AuditLog } from './audit-log.ts';
import { chainHash, fromRow, recordBody } from './chain.ts';
import type { AuditProblem } from './verify.ts';

const silent = pino({ level: 'silent' });

/** A plausible entry number `i`. */
export function sampleEntry(i: number): AuditEntry {
  return {
    actor: { kind: 'operator', id: `op-${i % 3}`, email: 'x@example.com', role: 'support', sessionId: 's' },
    action: i % 2 === 0 ? 'call_data.read.timeline' : 'apps.update',
    target: { sdkAppId: 1_400_000_001 + (i % 2), roomId: `room-${i}`, userId: `user-${i}` },
    grantId: i % 2 === 0 ? `grant-${i}` : null,
    sourceIp: '203.0.113.7',
    result: i % 5 === 0 ? 'denied' : 'ok',
    detail: `detail ${i}`,
  };
}

/** The tampering kinds the property test draws from. */
export type Tampering =
  | { kind: 'edit'; seq: number; field: 'action' | 'actor_id' | 'detail' | 'result' | 'at' | 'hash' | 'prev_hash' }
  | { kind: 'delete'; seq: number }
  | { kind: 'insert'; after: number; forgeHash: boolean }
  | { kind: 'swap'; seq: number; other: number };

/** Applies `t` with direct SQL and returns what verify must say. */
export async function tamper(store: Store, t: Tampering): Promise<Pick<AuditProblem, 'seq' | 'kind'>> {
  const db = store.db;
  switch (t.kind) {
    case 'edit': {
      const row = await db.selectFrom('audit_records').selectAll().where('seq', '=', t.seq).executeTakeFirstOrThrow();
      const set =
        t.field === 'at'
          ? { at: Number(row.at) + 1 }
          : t.field === 'result'
            ? { result: row.result === 'ok' ? ('denied' as const) : ('ok' as const) }
            : { [t.field]: t.field.endsWith('hash') ? crypto.randomBytes(32).toString('hex') : `${row[t.field]}!` };
      await db.updateTable('audit_records').set(set).where('seq', '=', t.seq).execute();
      return { seq: t.seq, kind: 'edited' };
    }
    case 'delete':
      await db.deleteFrom('audit_records').where('seq', '=', t.seq).execute();
      return { seq: t.seq, kind: 'deleted' };
    case 'insert': {
      // Make room at after+1 (highest first, so the primary key never collides), then slip a forged record in.
      const rows = await db
        .selectFrom('audit_records')
        .select('seq')
        .where('seq', '>', t.after)
        .orderBy('seq', 'desc')
        .execute();
      for (const r of rows)
        await db
          .updateTable('audit_records')
          .set({ seq: Number(r.seq) + 1 })
          .where('seq', '=', r.seq)
          .execute();
      const prev = await db
        .selectFrom('audit_records')
        .select('hash')
        .where('seq', '=', t.after)
        .executeTakeFirstOrThrow();
      const body = recordBody(sampleEntry(9999), t.after + 1, Date.UTC(2025, 0, 1));
      // forgeHash: an attacker who knows the format links and hashes the forgery correctly.
      const prevHash = t.forgeHash ? prev.hash : crypto.randomBytes(32).toString('hex');
      const hash = t.forgeHash ? chainHash(prevHash, body) : crypto.randomBytes(32).toString('hex');
      await db
        .insertInto('audit_records')
        .values({
          seq: t.after + 1,
          at: body.at,
          actor_kind: 'operator',
          actor_id: 'mallory',
          actor_role: 'owner',
          action: 'apps.delete',
          target_app: null,
          target_room: null,
          target_user: null,
          target_operator: null,
          target_grant: null,
          grant_id: null,
          source_ip: null,
          result: 'ok',
          detail: null,
          prev_hash: prevHash,
          hash,
        })
        .execute();
      return { seq: t.after + 1, kind: 'inserted' };
    }
    case 'swap': {
      const [a, b] = [Math.min(t.seq, t.other), Math.max(t.seq, t.other)];
      await db.updateTable('audit_records').set({ seq: -1 }).where('seq', '=', a).execute();
      await db.updateTable('audit_records').set({ seq: a }).where('seq', '=', b).execute();
      await db.updateTable('audit_records').set({ seq: b }).where('seq', '=', -1).execute();
      return { seq: a, kind: 'reordered' };
    }
  }
}

interface Fresh {
  stores: RegionStores;
  clock: { t: number };
  fixture: { config: StoreConfig };
}

/** Registers the audit tests of the store contract; `fresh` gives a new migrated store. */
export function auditContract(fresh: () => Promise<Fresh>): void {
  const logOf = (f: Fresh, masterKey = crypto.randomBytes(32), store = f.stores.control.store) =>
    new AuditLog({ store, masterKey, logger: silent, now: () => f.clock.t, checkpointEveryRecords: 0 });

  test('audit: append, list with filters, fields round-trip, verify ok', async () => {
    const f = await fresh();
    const audit = logOf(f);
    assert.deepEqual(await audit.verify(), {
      ok: true,
      records: 0,
      checkpoints: 0,
      prunedThrough: 0,
      head: { seq: 0, hash: '0'.repeat(64) },
    });
    const first = await audit.record(sampleEntry(0));
    assert.equal(first.seq, 1);
    assert.equal(first.prevHash, '0'.repeat(64));
    for (let i = 1; i < 10; i++) await audit.append(sampleEntry(i));
    await audit.append({
      actor: { kind: 'customer', id: 'AKIDxyz', sdkAppId: 1_400_000_009 },
      action: 'cloud_api.DismissRoom',
      target: { roomId: '8' },
      result: 'ok',
      detail: 'x'.repeat(5000),
    });
    const all = await audit.list();
    assert.deepEqual(
      all.map((r) => r.seq),
      [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
    );
    const customer = all[0];
    assert.deepEqual(customer?.actor, { kind: 'customer', id: 'AKIDxyz', role: null });
    assert.equal(customer?.target.sdkAppId, 1_400_000_009, "a customer's own app is the target");
    assert.equal(customer?.detail?.length, 512, 'detail is bounded');
    assert.deepEqual(all.at(-1), first);
    assert.deepEqual(
      (await audit.list({ action: 'apps.update', limit: 2 })).map((r) => r.seq),
      [10, 8],
    );
    assert.deepEqual(
      (await audit.list({ actorId: 'op-1', before: 8 })).map((r) => r.seq),
      [5, 2],
    );
    assert.deepEqual(
      (await audit.list({ sdkAppId: 1_400_000_001, before: 6 })).map((r) => r.seq),
      [5, 3, 1],
    );
    const result = await audit.verify();
    assert.equal(result.ok, true, JSON.stringify(result.firstProblem));
    assert.equal(result.records, 11);
  });

  test('audit: two logs on two connections to one store keep one valid chain under concurrency', async () => {
    const f = await fresh();
    const masterKey = crypto.randomBytes(32);
    const other = await openStore(f.fixture.config, { name: 'second-process', logger: silent });
    try {
      const a = logOf(f, masterKey);
      const b = logOf(f, masterKey, other);
      // Small batches so the two writers interleave many times.
      const appends = [];
      for (let i = 0; i < 300; i++) appends.push((i % 2 ? a : b).record(sampleEntry(i)));
      const records = await Promise.all(appends);
      assert.deepEqual(
        records.map((r) => r.seq).sort((x, y) => x - y),
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      await a.checkpoint();
      await b.append(sampleEntry(300));
      await b.checkpoint();
      const viaA = await a.verify();
      assert.equal(viaA.ok, true, JSON.stringify(viaA.firstProblem));
      assert.deepEqual([viaA.records, viaA.checkpoints], [301, 2]);
      assert.equal((await b.verify()).ok, true);
    } finally {
      await other.close();
    }
  });

  test('audit: checkpoints every N records and on demand; bad signature and wrong key are bad_checkpoint', async () => {
    const f = await fresh();
    const audit = new AuditLog({
      store: f.stores.control.store,
      masterKey: crypto.randomBytes(32),
      logger: silent,
      now: () => f.clock.t,
      checkpointEveryRecords: 5,
      maxBatch: 5,
    });
    for (let i = 0; i < 12; i++) await audit.append(sampleEntry(i));
    assert.deepEqual(
      (await audit.checkpoints()).map((c) => c.seq),
      [5, 10],
    );
    const onDemand = await audit.checkpoint();
    assert.equal(onDemand?.seq, 12);
    assert.deepEqual(await audit.checkpoint(), onDemand, 'one checkpoint per head');
    assert.equal((await audit.verify({ publicKey: audit.publicKeyHex })).ok, true, 'an external copy of the key');
    const wrongKey = logOf(f).publicKeyHex;
    assert.deepEqual(pick(await audit.verify({ publicKey: wrongKey })), { seq: 5, kind: 'bad_checkpoint' });
    const forged = Buffer.from(onDemand?.signature ?? '', 'base64');
    forged[0] = (forged[0] ?? 0) ^ 1;
    await f.stores.control.store.db
      .updateTable('audit_checkpoints')
      .set({ signature: forged.toString('base64') })
      .where('seq', '=', 10)
      .execute();
    assert.deepEqual(pick(await audit.verify()), { seq: 10, kind: 'bad_checkpoint' });
  });

  test('audit: verify names an edited, deleted, inserted and reordered record, and a recomputed chain', async () => {
    const f = await fresh();
    const audit = logOf(f);
    const store = f.stores.control.store;
    for (let i = 0; i < 12; i++) await audit.append(sampleEntry(i));
    await audit.checkpoint();
    const snapshot = await store.db.selectFrom('audit_records').selectAll().execute();
    const restore = async () => {
      await store.db.deleteFrom('audit_records').execute();
      await store.db.insertInto('audit_records').values(snapshot).execute();
    };
    for (const t of [
      { kind: 'edit', seq: 4, field: 'detail' },
      { kind: 'delete', seq: 7 },
      { kind: 'delete', seq: 12 },
      { kind: 'insert', after: 3, forgeHash: true },
      { kind: 'swap', seq: 2, other: 9 },
    ] as const) {
      const expected = await tamper(store, t);
      assert.deepEqual(pick(await audit.verify()), expected, JSON.stringify(t));
      await restore();
      assert.equal((await audit.verify()).ok, true);
    }
    // An attacker who rewrites record 4 and recomputes every hash after it: only the signed checkpoint catches it.
    const rows = await store.db.selectFrom('audit_records').selectAll().orderBy('seq').execute();
    let prev = '0'.repeat(64);
    for (const row of rows) {
      const r = row.seq === 4 ? { ...row, detail: 'nothing to see' } : row;
      const { prevHash: _prevHash, hash: _hash, ...body } = fromRow(r);
      const hash = chainHash(prev, body);
      await store.db
        .updateTable('audit_records')
        .set({ detail: r.detail, prev_hash: prev, hash })
        .where('seq', '=', r.seq)
        .execute();
      prev = hash;
    }
    await store.db.updateTable('audit_head').set({ hash: prev }).execute();
    const rewritten = await audit.verify();
    assert.deepEqual(pick(rewritten), { seq: 12, kind: 'edited' });
    assert.match(rewritten.firstProblem?.message ?? '', /1\.\.12/);
  });

  test('audit: retention prunes behind a signed marker and verify still passes; deleting without it fails', async () => {
    const f = await fresh();
    const audit = logOf(f);
    const store = f.stores.control.store;
    const day = 86_400_000;
    for (let i = 0; i < 6; i++) {
      await audit.append(sampleEntry(i));
      if (i === 2) await audit.checkpoint();
      f.clock.t += day;
    }
    const report = await runRetention(f.stores, { audit, policy: { auditRetentionDays: 2.5 } });
    assert.equal(report.auditPruned, 4);
    const after = await audit.verify();
    assert.equal(after.ok, true, JSON.stringify(after.firstProblem));
    assert.deepEqual([after.records, after.prunedThrough], [2, 4]);
    assert.equal(await audit.prune(f.clock.t + day), 1, 'the newest record always stays');
    assert.equal((await audit.verify()).ok, true);
    await audit.append(sampleEntry(7));
    await store.db.deleteFrom('audit_records').where('seq', '=', 6).execute();
    assert.deepEqual(pick(await audit.verify()), { seq: 6, kind: 'deleted' });
    // Without a marker, removing the oldest records is a deletion like any other.
    const f2 = await fresh();
    const plain = logOf(f2);
    for (let i = 0; i < 3; i++) await plain.append(sampleEntry(i));
    await f2.stores.control.store.db.deleteFrom('audit_records').where('seq', '<=', 2).execute();
    assert.deepEqual(pick(await plain.verify()), { seq: 1, kind: 'deleted' });
  });
}

/** The seq and kind of a verify result's first problem. */
export function pick(result: { firstProblem?: AuditProblem }): Pick<AuditProblem, 'seq' | 'kind'> | undefined {
  return result.firstProblem && { seq: result.firstProblem.seq, kind: result.firstProblem.kind };
}
