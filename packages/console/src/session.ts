/** Who is signed in (from sign-in or GET /console/api/auth/session). */
import { api, setCsrfToken } from './api.ts';

export interface Operator {
  id: string;
  email: string;
  role: 'owner' | 'admin' | 'support' | 'auditor';
}

let current: Operator | null = null;

export function operator(): Operator | null {
  return current;
}

/** Records a completed sign-in. */
export function signedIn(op: Operator, csrfToken: string): void {
  current = op;
  setCsrfToken(csrfToken);
}

/** Asks the server for the current session; null when there is none. */
export async function loadSession(): Promise<Operator | null> {
  try {
    const s = await api<{ operator: Operator; csrfToken: string }>('GET', '/console/api/auth/session');
    signedIn(s.operator, s.csrfToken);
  } catch {
    current = null;
    setCsrfToken(null);
  }
  return current;
}

export async function signOut(): Promise<void> {
  await api('POST', '/console/api/auth/sign-out').catch(() => undefined);
  current = null;
  setCsrfToken(null);
}
