/**
 * Verification of the audit chain. Walks the records in seq order from the anchor (genesis, or the newest signed
 * retention marker), checks each record's hash and link, checks every checkpoint's signature and that the record
 * it covers still has the signed hash, and that the chain ends at the head row. The first problem is named by seq
 * and kind:
 * - `deleted`: a seq is missing (a record in the middle, or the newest ones behind the head / a checkpoint);
 * - `inserted`: a record that no other record links to sits in the chain;
 * - `reordered`: a record links to a record stored at another position;
 * - `edited`: a record's content no longer matches its hash (or a signed checkpoint, when the chain after the
 *   edit was recomputed: then the seq named is the checkpoint's, the edit lies at or before it);
 * - `bad_checkpoint`: a checkpoint's signature does not verify with the deployment's (or the given) public key.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Store } from '../storage/store.ts';
import type { AuditCheckpointsTable, AuditRecordsTable, Database } from '../storage/schema.ts';
import { chainHash, fromRow, GENESIS_HASH } from './chain.ts';
import type { CheckpointVerifier } from './checkpoint-key.ts';

/** Kinds of problems verification names. */
export type AuditProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'bad_checkpoint';

/** The first place the log stops being trustworthy. */
export interface AuditProblem {
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

/** Result of {@link verifyAuditChain}. */
export interface AuditVerifyResult {
  ok: boolean;
  /** Records checked. */
  records: number;
  /** Checkpoints (and retention markers) checked. */
  checkpoints: number;
  /** Seq the chain starts after (0, or the seq a retention marker pruned through). */
  prunedThrough: number;
  head: { seq: number; hash: string };
  firstProblem?: AuditProblem;
}

const PAGE = 5000;

type Db = Kysely<Database> | Transaction<Database>;

async function* recordsAfter(db: Db, seq: number): AsyncGenerator<AuditRecordsTable> {
  let cursor = seq;
  for (;;) {
    const page = await db
      .selectFrom('audit_records')
      .selectAll()
      .where('seq', '>', cursor)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const row of page) yield row;
    if (page.length < PAGE) return;
    cursor = Number((page[page.length - 1] as AuditRecordsTable).seq);
  }
}

function selfConsistent(row: AuditRecordsTable): boolean {
  const { prevHash, hash, ...body } = fromRow(row);
  return chainHash(prevHash, body) === hash;
}

/** Classifies the record `cur` that failed its check; `expected` is the hash it should link to. */
async function classify(
  db: Db,
  cur: AuditRecordsTable,
  prev: AuditRecordsTable | undefined,
  next: AuditRecordsTable | undefined,
  expected: string,
  headSeq: number,
): Promise<AuditProblem> {
  const seq = Number(cur.seq);
  if (seq > headSeq) return { seq, kind: 'inserted', message: `record ${seq} was added behind the chain head` };
  // The previous record passed, yet this one links where it did: the previous one was slipped in between.
  if (prev !== undefined && cur.prev_hash !== expected && cur.prev_hash === prev.prev_hash)
    return { seq: Number(prev.seq), kind: 'inserted', message: `record ${prev.seq} was inserted into the chain` };
  if (cur.prev_hash !== expected) {
    const linked = await db
      .selectFrom('audit_records')
      .select('seq')
      .where('hash', '=', cur.prev_hash)
      .executeTakeFirst();
    if (linked !== undefined)
      return {
        seq,
        kind: 'reordered',
        message: `record ${seq} follows record ${linked.seq} in the chain but is stored at another position`,
      };
  }
  // The next record links past this one to its predecessor: this one does not belong.
  if (next !== undefined && next.prev_hash === expected && cur.hash !== expected)
    return { seq, kind: 'inserted', message: `record ${seq} was inserted into the chain` };
  return { seq, kind: 'edited', message: `record ${seq} does not match its hash: it was edited` };
}

async function verifyIn(db: Db, verifier: CheckpointVerifier): Promise<AuditVerifyResult> {
  const headRow = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  const head = { seq: Number(headRow?.seq ?? 0), hash: headRow?.hash ?? GENESIS_HASH };
  const checkpoints = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
  const problems: AuditProblem[] = [];

  for (const c of checkpoints) {
    const statement = { kind: c.kind, seq: Number(c.seq), hash: c.hash, at: Number(c.at) };
    if (c.key_id !== verifier.keyId || !verifier.verify(statement, c.signature))
      problems.push({
        seq: Number(c.seq),
        kind: 'bad_checkpoint',
        message: `the ${c.kind === 'head' ? 'checkpoint' : 'retention marker'} at record ${c.seq} has an invalid signature (key ${c.key_id})`,
      });
  }
  const marker = checkpoints.filter((c) => c.kind === 'pruned').at(-1);
  const prunedThrough = marker ? Number(marker.seq) : 0;
  const signedHeads = new Map<number, AuditCheckpointsTable>(
    checkpoints.filter((c) => c.kind === 'head' && Number(c.seq) > prunedThrough).map((c) => [Number(c.seq), c]),
  );

  let expectedSeq = prunedThrough + 1;
  let expectedHash = marker ? marker.hash : GENESIS_HASH;
  let lastCheckpointSeq = prunedThrough;
  let records = 0;
  let chainProblem: AuditProblem | undefined;
  const rows = recordsAfter(db, Number.MIN_SAFE_INTEGER);
  const pull = async () => (await rows.next()).value ?? undefined;
  let prev: AuditRecordsTable | undefined;
  let cur = await pull();
  while (cur !== undefined) {
    const next = await pull();
    const seq = Number(cur.seq);
    records += 1;
    if (seq < expectedSeq) {
      chainProblem = { seq, kind: 'inserted', message: `record ${seq} sits before the start of the chain` };
      break;
    }
    if (seq > expectedSeq) {
      chainProblem = {
        seq: expectedSeq,
        kind: 'deleted',
        message:
          seq === expectedSeq + 1
            ? `record ${expectedSeq} was deleted`
            : `records ${expectedSeq}..${seq - 1} were deleted`,
      };
      break;
    }
    if (cur.prev_hash !== expectedHash || !selfConsistent(cur)) {
      chainProblem = await classify(db, cur, prev, next, expectedHash, head.seq);
      break;
    }
    const signed = signedHeads.get(seq);
    if (signed !== undefined) {
      if (signed.hash !== cur.hash) {
        // A well-forged record slipped in here: the record after it still links to the same predecessor.
        chainProblem =
          next?.prev_hash === cur.prev_hash
            ? { seq, kind: 'inserted', message: `record ${seq} was inserted into the chain` }
            : {
                seq,
                kind: 'edited',
                message: `record ${seq} no longer matches its signed checkpoint: a record in ${lastCheckpointSeq + 1}..${seq} was edited and the chain recomputed`,
              };
        break;
      }
      lastCheckpointSeq = seq;
    }
    expectedHash = cur.hash;
    expectedSeq += 1;
    prev = cur;
    cur = next;
  }
  await rows.return(undefined);

  if (chainProblem === undefined) {
    const last = expectedSeq - 1;
    const beyond = Math.max(head.seq, ...[...signedHeads.keys()]);
    if (beyond > last)
      chainProblem = {
        seq: last + 1,
        kind: 'deleted',
        message: `records ${last + 1}..${beyond} were deleted (the newest records of the chain)`,
      };
    else if (head.seq < last)
      chainProblem = {
        seq: head.seq + 1,
        kind: 'inserted',
        message: `record ${head.seq + 1} was added behind the head`,
      };
    else if (head.hash !== expectedHash)
      chainProblem = { seq: last, kind: 'edited', message: `record ${last} does not match the chain head` };
  }
  if (chainProblem !== undefined) problems.unshift(chainProblem);
  // The lowest seq is where trust ends; on a tie the chain problem (listed first) is the more specific one.
  const firstProblem = problems.reduce<AuditProblem | undefined>(
    (a, p) => (a === undefined || p.seq < a.seq ? p : a),
    undefined,
  );
  return {
    ok: firstProblem === undefined,
    records,
    checkpoints: checkpoints.length,
    prunedThrough,
    head,
    ...(firstProblem ? { firstProblem } : {}),
  };
}

/** Verifies the audit chain of `store` against checkpoint signatures checked by `verifier`, on one snapshot. */
export async function verifyAuditChain(store: Store, verifier: CheckpointVerifier): Promise<AuditVerifyResult> {
  // One snapshot, so appends committed meanwhile are either wholly seen (records and head) or not at all.
  const tx =
    store.dialect === 'postgres' ? store.db.transaction().setIsolationLevel('repeatable read') : store.db.transaction();
  return tx.execute((trx) => verifyIn(trx, verifier));
}
