/** Structured JSON logs (pino). One child logger per subsystem; secrets are redacted by path. */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'userSig',
  'privateMapKey',
  'secretKey',
  'masterKey',
  'adminToken',
  'authorization',
  '*.userSig',
  '*.privateMapKey',
  '*.secretKey',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  // TURN: the shared secret and the credentials derived from it.
  'secret',
  '*.secret',
  'credential',
  '*.credential',
];

/** Creates the root logger writing JSON lines to stdout (or `destination`). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'conclave' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
