/**
 * WebAuthn (security keys, passkeys) as an optional second factor, through @simplewebauthn/server. The challenge
 * of each ceremony lives on the operator's session row, is used once, and is cleared whatever the outcome.
 * Origin and RP ID come from `operators.webauthnOrigin` (default the server's URL).
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ConclaveError } from '@conclave/protocol';
import type { Store } from '../storage/store.ts';

/** A registered credential as the API shows it. */
export interface WebauthnCredentialRecord {
  id: string;
  name: string;
  createdAt: number;
}

/** Options of {@link OperatorWebauthn}. */
export interface OperatorWebauthnOptions {
  store: Store;
  /** e.g. `https://console.example.com`; its host name is the RP ID. A function when known only after listen. */
  origin: string | (() => string);
  now?: () => number;
}

/** WebAuthn ceremonies of operators. */
export class OperatorWebauthn {
  readonly #store: Store;
  readonly #originOf: () => string;
  readonly #now: () => number;

  constructor(options: OperatorWebauthnOptions) {
    this.#store = options.store;
    const origin = options.origin;
    this.#originOf = typeof origin === 'string' ? () => origin : origin;
    this.#now = options.now ?? Date.now;
  }

  get #origin(): string {
    return new URL(this.#originOf()).origin;
  }

  get #rpID(): string {
    return new URL(this.#originOf()).hostname;
  }

  get #db() {
    return this.#store.db;
  }

  async #credentials(operatorId: string) {
    return this.#db
      .selectFrom('operator_webauthn_credentials')
      .selectAll()
      .where('operator_id', '=', operatorId)
      .execute();
  }

  /** True when the operator has at least one credential. */
  async hasCredentials(operatorId: string): Promise<boolean> {
    return (await this.#credentials(operatorId)).length > 0;
  }

  /** Creation options for a new credential (the challenge is for the caller to keep on the session). */
  async registrationOptions(operator: { id: string; email: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.#credentials(operator.id);
    return generateRegistrationOptions({
      rpName: 'Conclave',
      rpID: this.#rpID,
      userName: operator.email,
      userID: new TextEncoder().encode(operator.id),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /** Verifies a registration response against `challenge` and stores the credential. */
  async register(
    operatorId: string,
    challenge: string | null,
    response: unknown,
    name: string,
  ): Promise<WebauthnCredentialRecord> {
    if (challenge === null) throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'ask for registration options first');
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpID,
      });
    } catch (cause) {
      throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID', undefined, { cause });
    }
    if (!verified.verified) throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID');
    const { credential } = verified.registrationInfo;
    const createdAt = this.#now();
    await this.#db
      .insertInto('operator_webauthn_credentials')
      .values({
        id: credential.id,
        operator_id: operatorId,
        name,
        public_key: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports ? JSON.stringify(credential.transports) : null,
        created_at: createdAt,
        last_used_at: null,
      })
      .execute();
    return { id: credential.id, name, createdAt };
  }

  /** Request options for signing in with one of the operator's credentials. */
  async authenticationOptions(operatorId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const credentials = await this.#credentials(operatorId);
    if (credentials.length === 0) throw new ConclaveError('OPERATOR_STATE_CONFLICT', 'no security key is registered');
    return generateAuthenticationOptions({
      rpID: this.#rpID,
      userVerification: 'preferred',
      allowCredentials: credentials.map((c) => ({
        id: c.id,
        ...(c.transports ? { transports: JSON.parse(c.transports) as AuthenticatorTransportFuture[] } : {}),
      })),
    });
  }

  /** Verifies an authentication response; throws OPERATOR_WEBAUTHN_INVALID for anything not right. */
  async authenticate(operatorId: string, challenge: string | null, response: unknown): Promise<void> {
    if (challenge === null) throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID', 'ask for options first');
    const id = typeof response === 'object' && response !== null ? (response as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID');
    const row = await this.#db
      .selectFrom('operator_webauthn_credentials')
      .selectAll()
      .where('id', '=', id)
      .where('operator_id', '=', operatorId)
      .executeTakeFirst();
    if (!row) throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID');
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpID,
        credential: {
          id: row.id,
          publicKey: new Uint8Array(row.public_key),
          counter: Number(row.counter),
          ...(row.transports ? { transports: JSON.parse(row.transports) as AuthenticatorTransportFuture[] } : {}),
        },
      });
    } catch (cause) {
      throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID', undefined, { cause });
    }
    if (!verified.verified) throw new ConclaveError('OPERATOR_WEBAUTHN_INVALID');
    await this.#db
      .updateTable('operator_webauthn_credentials')
      .set({ counter: verified.authenticationInfo.newCounter, last_used_at: this.#now() })
      .where('id', '=', row.id)
      .execute();
  }
}
