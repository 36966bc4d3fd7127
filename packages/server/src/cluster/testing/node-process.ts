/**
 * One cluster node (registry and placement, no media) as its own process, for the kill test in
 * cluster-node.test.ts. Environment: REDIS_URL, KEY_PREFIX, NODE_ID. Prints `ready` once registered.
 */
import { createLogger } from '../../logger.ts';
import { RoomDirectory } from '../../rooms/index.ts';
import { ClusterNode } from '../cluster-node.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

await ClusterNode.start({
  redisUrl: env('REDIS_URL'),
  nodeId: env('NODE_ID'),
  region: 'eu',
  publicUrl: 'http://127.0.0.1:1',
  secret: 'a-cluster-secret-of-at-least-32-characters',
  keyPrefix: env('KEY_PREFIX'),
  rooms: new RoomDirectory(),
  workers: () => 1,
  regionOf: () => Promise.resolve('eu'),
  log: createLogger('silent'),
});
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000); // stays until killed
