// The audit routes in process, behind an injected pre-handler that acts as a fixed auditor.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { openStore } from '../storage/store.ts';
import type { Store } from '../storage/store.ts';
import type { Permission } from '../operators/principal.ts';
import { AuditLog } from './audit-log.ts';
import { sampleEntry } from './audit-contract.ts';
import type { AuditRecord } from './chain.ts';
import { auditRoutes } from './audit-routes.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-audit-routes-'));
let store: Store;
let audit: AuditLog;
let app: FastifyInstance;
const asked: Permission[] = [];

before(async () => {
  store = await openStore(
    { driver: 'sqlite', path: path.join(dir, 'a.db') },
    { name: 'a', logger: pino({ level: 'silent' }) },
  );
  audit = new AuditLog({ store, masterKey: crypto.randomBytes(32), logger: pino({ level: 'silent' }) });
  for (let i = 0; i < 5; i++) await audit.append(sampleEntry(i));
  app = Fastify();
  await app.register(auditRoutes, {
    audit,
    requirePermission: (permission) => {
      asked.push(permission);
      return async (request) => {
        request.principal = { kind: 'operator', id: 'aud-1', email: 'a@example.com', role: 'auditor', sessionId: 's1' };
      };
    },
  });
});
after(async () => {
  await app.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('list pages newest first with filters, needs audit.read, and the read is itself audited', async () => {
  assert.ok(asked.length > 0 && asked.every((p) => p === 'audit.read'));
  const res = await app.inject({ method: 'GET', url: '/console/api/audit?limit=2' });
  assert.equal(res.statusCode, 200);
  const page = res.json() as { records: AuditRecord[]; nextBefore: number | null };
  assert.deepEqual(
    page.records.map((r) => r.seq),
    [5, 4],
  );
  assert.equal(page.nextBefore, 4);
  const filtered = (
    await app.inject({ method: 'GET', url: '/console/api/audit?action=apps.update&sdkAppId=1400000002' })
  ).json() as { records: AuditRecord[] };
  assert.deepEqual(
    filtered.records.map((r) => r.seq),
    [4, 2],
  );
  const [newest] = await audit.list({ limit: 1 });
  assert.equal(newest?.action, 'audit.list');
  assert.deepEqual(newest?.actor, { kind: 'operator', id: 'aud-1', role: 'auditor' });
  assert.equal(newest?.target.sdkAppId, 1400000002);
  assert.equal(newest?.sourceIp, '127.0.0.1');
});

test('a bad query is 400 AUDIT_QUERY_INVALID and recorded as denied', async () => {
  const res = await app.inject({ method: 'GET', url: '/console/api/audit?limit=100000' });
  assert.equal(res.statusCode, 400);
  assert.equal((res.json() as { error: { code: string } }).error.code, 'AUDIT_QUERY_INVALID');
  const [newest] = await audit.list({ limit: 1 });
  assert.deepEqual([newest?.action, newest?.result], ['audit.list', 'denied']);
  assert.equal((await app.inject({ method: 'GET', url: '/console/api/audit?sort=desc' })).statusCode, 400);
});

test('checkpoint signs the head; verify reports ok with the public key, then names a tampered record', async () => {
  const cp = (await app.inject({ method: 'POST', url: '/console/api/audit/checkpoint' })).json() as {
    checkpoint: { seq: number; keyId: string };
  };
  assert.equal(cp.checkpoint.keyId, audit.keyId);
  const ok = (await app.inject({ method: 'GET', url: '/console/api/audit/verify' })).json() as {
    ok: boolean;
    publicKey: string;
    checkpoints: number;
  };
  assert.equal(ok.ok, true);
  assert.equal(ok.publicKey, audit.publicKeyHex);
  assert.equal(ok.checkpoints, 1);
  await store.db.updateTable('audit_records').set({ action: 'nothing' }).where('seq', '=', 3).execute();
  const bad = (await app.inject({ method: 'GET', url: '/console/api/audit/verify' })).json() as {
    ok: boolean;
    firstProblem: { seq: number; kind: string };
  };
  assert.equal(bad.ok, false);
  assert.deepEqual([bad.firstProblem.seq, bad.firstProblem.kind], [3, 'edited']);
  const [newest] = await audit.list({ limit: 1 });
  assert.deepEqual([newest?.action, newest?.detail], ['audit.verify', 'problem edited at 3']);
});
