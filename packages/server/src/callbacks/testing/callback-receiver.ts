/**
 * A callback receiver for tests: an HTTP server on loopback that checks every request's Sign with the app's
 * callback key, answers 200 and keeps the bodies. (The callback network policy refuses loopback and plain http by
 * default: tests allow-list 127.0.0.1 with `callbacks.allowedHosts` and `allowInsecureHttp`.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallbackBody } from '../events.ts';
import { verifyCallbackSignature } from '../signature.ts';

export interface CallbackReceiver {
  url: string;
  received: CallbackBody[];
  /** Requests whose Sign did not verify (expected: none). */
  badSignatures: number;
  /** Waits until `check` holds (or throws after `timeoutMs`, naming what arrived). */
  until(check: (received: CallbackBody[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCallbackReceiver(callbackKey: string): Promise<CallbackReceiver> {
  const received: CallbackBody[] = [];
  const state = { badSignatures: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (!verifyCallbackSignature(callbackKey, raw, String(req.headers.sign))) state.badSignatures++;
      else received.push(JSON.parse(raw) as CallbackBody);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/trtc/callback`,
    received,
    get badSignatures() {
      return state.badSignatures;
    },
    async until(check, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(received)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; received ${JSON.stringify(received.map((b) => b.EventType))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
