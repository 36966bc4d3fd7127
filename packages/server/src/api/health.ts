/** `GET /health`: liveness plus the state of the media plane. 200 when workers are up, 503 otherwise. */
import type { FastifyInstance } from 'fastify';
import type { WorkerPool } from '../media/worker-pool.ts';

export function registerHealth(app: FastifyInstance, deps: { workers: WorkerPool; startedAt: number }): void {
  app.get('/health', async (_request, reply) => {
    const workers = deps.workers.workers.length;
    return reply.status(workers > 0 ? 200 : 503).send({
      status: workers > 0 ? 'ok' : 'degraded',
      workers,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    });
  });
}
