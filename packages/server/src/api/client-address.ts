/**
 * Who the client is: the socket's peer, or — only when that peer is a configured proxy — the nearest address in
 * X-Forwarded-For that is not itself a trusted proxy. Used by HTTP (fastify's `trustProxy`) and the signaling
 * upgrade alike, so per-IP limits see the same address everywhere.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export type ClientAddress = (request: IncomingMessage) => string;

export function clientAddress(trustedProxies: readonly string[]): ClientAddress {
  if (trustedProxies.length === 0) return (request) => request.socket.remoteAddress ?? 'unknown';
  const trust = proxyAddr.compile([...trustedProxies]);
  return (request) => (request.socket.remoteAddress ? proxyAddr(request, trust) : 'unknown');
}
