/** `GET /metrics` in Prometheus text format: process metrics plus media-worker gauges. */
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkerPool } from '../media/worker-pool.ts';

/** A registry per server, so several servers in one process (tests) don't share counters. */
export function createMetricsRegistry(workers: WorkerPool): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'conclave_' });
  new Gauge({
    name: 'conclave_media_workers',
    help: 'Live mediasoup workers',
    registers: [registry],
    collect() {
      this.set(workers.workers.length);
    },
  });
  new Gauge({
    name: 'conclave_media_routers',
    help: 'Routers (rooms) per live mediasoup worker',
    labelNames: ['pid'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const w of await workers.usage()) this.set({ pid: String(w.pid) }, w.routers);
    },
  });
  return registry;
}

export function registerMetrics(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
