/** `GET /metrics` in Prometheus text format: process metrics plus media-worker gauges; behind a bearer token. */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkerPool } from '../media/worker-pool.ts';
import type { RoomDirectory } from '../rooms/index.ts';
import { bearerAuth } from './admin-auth.ts';

/** How often the event-loop lag histogram takes a sample (ms). */
const EVENT_LOOP_SAMPLE_MS = 100;

/** What is waiting in memory for a store that is down, and what was dropped for it (docs/architecture.md, Faults). */
export interface OutageGauges {
  callbacks: () => { spooled: number; spoolDropped: number };
  telemetry: () => { retained: number; dropped: number };
}

/** A registry per server, so several servers in one process (tests) don't share counters. */
export function createMetricsRegistry(workers: WorkerPool, rooms: RoomDirectory, outage?: OutageGauges): Registry {
  const registry = new Registry();
  const hung = new Counter({
    name: 'conclave_media_workers_hung_total',
    help: 'Media workers killed because they stopped answering liveness probes',
    registers: [registry],
  });
  workers.on('workerhung', () => hung.inc());
  if (outage) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    gauge(
      'conclave_callback_spooled',
      'Callback events in memory waiting for the store',
      () => outage.callbacks().spooled,
    );
    gauge(
      'conclave_callback_spool_dropped',
      'Callback events dropped: spool full',
      () => outage.callbacks().spoolDropped,
    );
    gauge(
      'conclave_telemetry_retained',
      'Telemetry items in memory waiting for the store',
      () => outage.telemetry().retained,
    );
    gauge(
      'conclave_telemetry_dropped',
      'Telemetry items dropped (buffer full or store refused)',
      () => outage.telemetry().dropped,
    );
  }
  // The event-loop lag histogram samples with a timer on the main loop: prom-client's default of every 10 ms woke
  // an idle server 100 times a second (most of its idle CPU). Every 100 ms still gives a scrape's p50/p99.
  collectDefaultMetrics({
    register: registry,
    prefix: 'conclave_',
    eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
  });
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
  new Gauge({
    name: 'conclave_rooms',
    help: 'Open rooms on this node',
    registers: [registry],
    collect() {
      this.set(rooms.roomCount);
    },
  });
  new Gauge({
    name: 'conclave_participants',
    help: 'Participants in rooms on this node (including those in their reconnection grace period)',
    registers: [registry],
    collect() {
      this.set(rooms.rooms().reduce((n, r) => n + r.userCount, 0));
    },
  });
  return registry;
}

/** Who may read `/metrics`: with a token, bearers of it; without one, everyone when `open` (dev mode), else nobody. */
export interface MetricsAccess {
  token: string | undefined;
  open: boolean;
}

/**
 * Registers `GET /metrics`. Metrics name rooms, workers and load, so outside dev mode they are served only with
 * `metrics.token`; without one the route does not exist (404).
 */
export function registerMetrics(app: FastifyInstance, registry: Registry, access: MetricsAccess): void {
  if (access.token === undefined && !access.open) {
    app.log.info('GET /metrics is disabled: set metrics.token (CONCLAVE_METRICS_TOKEN) to scrape it');
    return;
  }
  const preHandler =
    access.token === undefined
      ? []
      : [bearerAuth(access.token, 'METRICS_UNAUTHORIZED', 'a valid metrics bearer token is required')];
  app.get('/metrics', { preHandler }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
