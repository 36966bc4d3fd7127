/**
 * `conclave audit verify|list|checkpoint`: the audit log straight on the configured control store. As with
 * `conclave app`, the CLI does not import the server: the caller passes the opened AuditLog, which satisfies
 * {@link AuditCommandContext} structurally.
 */
import { parseArgs } from 'node:util';
import { ConclaveError } from '@conclave/protocol';

/** What the CLI shows of a record. */
export interface AuditRecordSummary {
  seq: number;
  at: number;
  actor: { kind: string; id: string; role: string | null };
  action: string;
  target: { sdkAppId: number | null; roomId: string | null; userId: string | null };
  grantId: string | null;
  sourceIp: string | null;
  result: string;
  detail: string | null;
}

/** What `verify` answers. */
export interface AuditVerifySummary {
  ok: boolean;
  records: number;
  checkpoints: number;
  prunedThrough: number;
  head: { seq: number; hash: string };
  firstProblem?: { seq: number; kind: string; message: string };
}

/** The opened audit log the command works on. */
export interface AuditCommandContext {
  audit: {
    verify(options?: { publicKey?: string }): Promise<AuditVerifySummary>;
    list(filter: { limit?: number; before?: number; action?: string; actorId?: string }): Promise<AuditRecordSummary[]>;
    checkpoint(): Promise<{ seq: number; keyId: string } | undefined>;
    readonly publicKeyHex: string;
  };
}

/** Output and exit status: verify exits 1 when it finds a problem. */
export interface AuditCommandResult {
  output: string;
  exitCode: number;
}

export const AUDIT_USAGE = `usage:
  conclave audit verify [--public-key <hex>] [--json]      checks the hash chain and signed checkpoints; exit 1 on a problem
  conclave audit list [--limit n] [--before seq] [--action name] [--actor id] [--json]
  conclave audit checkpoint                                signs the current head now`;

function usage(message: string): never {
  throw new ConclaveError('AUDIT_QUERY_INVALID', `${message}\n${AUDIT_USAGE}`);
}

function intArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value) || Number(value) < 1) usage(`--${name} must be a positive integer`);
  return Number(value);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function line(r: AuditRecordSummary): string {
  const who = `${r.actor.kind}:${r.actor.id}${r.actor.role ? `(${r.actor.role})` : ''}`;
  const target = [
    r.target.sdkAppId !== null && `app=${r.target.sdkAppId}`,
    r.target.roomId !== null && `room=${r.target.roomId}`,
    r.target.userId !== null && `user=${r.target.userId}`,
    r.grantId !== null && `grant=${r.grantId}`,
  ].filter(Boolean);
  return [
    String(r.seq).padStart(8),
    iso(r.at),
    r.result.padEnd(6),
    who,
    r.action,
    target.join(' '),
    r.sourceIp ?? '',
    r.detail ?? '',
  ]
    .filter((s) => s !== '')
    .join('  ');
}

/** Runs one `conclave audit …` command. */
export async function auditCommand(args: string[], ctx: AuditCommandContext): Promise<AuditCommandResult> {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'verify': {
      const { values } = parseArgs({
        args: rest,
        options: { 'public-key': { type: 'string' }, json: { type: 'boolean' } },
        strict: true,
      });
      const publicKey = values['public-key'];
      const result = await ctx.audit.verify(publicKey === undefined ? {} : { publicKey });
      const exitCode = result.ok ? 0 : 1;
      if (values.json) return { output: JSON.stringify(result, null, 2), exitCode };
      const summary = `${result.records} records, ${result.checkpoints} signed checkpoints, head seq ${result.head.seq}${
        result.prunedThrough > 0 ? `, pruned through seq ${result.prunedThrough}` : ''
      }`;
      const output = result.firstProblem
        ? `audit log FAILED verification at record ${result.firstProblem.seq} (${result.firstProblem.kind}): ${result.firstProblem.message}\n${summary}`
        : `audit log ok: ${summary}\ncheckpoint public key ${publicKey ?? ctx.audit.publicKeyHex}`;
      return { output, exitCode };
    }
    case 'list': {
      const { values } = parseArgs({
        args: rest,
        options: {
          limit: { type: 'string' },
          before: { type: 'string' },
          action: { type: 'string' },
          actor: { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
      });
      const limit = intArg(values.limit, 'limit') ?? 50;
      const before = intArg(values.before, 'before');
      const records = await ctx.audit.list({
        limit,
        ...(before !== undefined ? { before } : {}),
        ...(values.action !== undefined ? { action: values.action } : {}),
        ...(values.actor !== undefined ? { actorId: values.actor } : {}),
      });
      if (values.json) return { output: JSON.stringify(records, null, 2), exitCode: 0 };
      return { output: records.length === 0 ? '(no audit records)' : records.map(line).join('\n'), exitCode: 0 };
    }
    case 'checkpoint': {
      const checkpoint = await ctx.audit.checkpoint();
      return {
        output: checkpoint
          ? `signed checkpoint at seq ${checkpoint.seq} (key ${checkpoint.keyId})`
          : '(the audit log is empty)',
        exitCode: 0,
      };
    }
    default:
      usage(verb === undefined ? 'a subcommand is required' : `unknown subcommand "${verb}"`);
  }
}
