/**
 * `conclave operator create|list`: operator accounts straight on the configured control store, e.g. to bootstrap
 * the first owner. As with `conclave app`, the CLI does not import the server: the caller passes the opened
 * accounts service (and the audit log, which records each creation as automation from the CLI).
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConclaveError } from '@conclave/protocol';

/** What the CLI shows of an operator. */
export interface OperatorSummary {
  id: string;
  email: string;
  role: string;
  status: string;
  totpEnrolled: boolean;
  createdAt: number;
  lastSignInAt: number | null;
}

type Role = 'owner' | 'admin' | 'support' | 'auditor';
const ROLES: readonly Role[] = ['owner', 'admin', 'support', 'auditor'];

/** The opened services the command works on. */
export interface OperatorCommandContext {
  operators: {
    create(input: { email: string; role: Role; password: string }): Promise<OperatorSummary>;
    list(): Promise<OperatorSummary[]>;
  };
  audit: {
    append(entry: {
      actor: { kind: 'automation'; id: 'admin-token'; role: 'admin' };
      action: string;
      target: { operatorId: string };
      result: 'ok';
      detail: string;
    }): Promise<void>;
  };
  /** Reads the password from standard input (for --password-stdin). */
  readStdin(): Promise<string>;
}

export const OPERATOR_USAGE = `usage:
  conclave operator create --email <email> --role owner|admin|support|auditor [--password-stdin] [--json]
                 without --password-stdin a password is generated and printed once; TOTP is enrolled at first sign-in
  conclave operator list [--json]`;

function usage(message: string): never {
  throw new ConclaveError('OPERATOR_INVALID', `${message}\n${OPERATOR_USAGE}`);
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** Runs `conclave operator ...` and returns what to print. */
export async function operatorCommand(argv: string[], ctx: OperatorCommandContext): Promise<string> {
  const [verb, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  switch (verb) {
    case 'create': {
      if (values.email === undefined) usage('--email is required');
      const role = values.role as Role | undefined;
      if (role === undefined || !ROLES.includes(role)) usage(`--role must be one of ${ROLES.join(', ')}`);
      const generated = !values['password-stdin'];
      const password = generated
        ? crypto.randomBytes(18).toString('base64url')
        : (await ctx.readStdin()).replace(/\r?\n$/, '');
      const operator = await ctx.operators.create({ email: values.email, role, password });
      await ctx.audit.append({
        actor: { kind: 'automation', id: 'admin-token', role: 'admin' },
        action: 'operators.create',
        target: { operatorId: operator.id },
        result: 'ok',
        detail: `role ${operator.role} (cli)`,
      });
      if (values.json) return JSON.stringify({ operator, ...(generated ? { password } : {}) }, null, 2);
      return [
        `created operator ${operator.id} ${operator.email} (${operator.role})`,
        ...(generated ? [`password (shown once): ${password}`] : []),
        'sign in at /console/ to enrol the authenticator app (TOTP)',
      ].join('\n');
    }
    case 'list': {
      const operators = await ctx.operators.list();
      if (values.json) return JSON.stringify({ operators }, null, 2);
      if (operators.length === 0) return 'no operators';
      return operators
        .map((o) =>
          [
            o.id,
            o.email,
            o.role,
            o.status,
            o.totpEnrolled ? 'totp' : 'no-totp',
            `last sign-in ${iso(o.lastSignInAt)}`,
          ].join('  '),
        )
        .join('\n');
    }
    default:
      usage(verb === undefined ? 'a subcommand is required' : `unknown subcommand "${verb}"`);
  }
}
