/**
 * One cluster node's callback dispatcher as its own process, for the exactly-once test (cluster-delivery.test.ts):
 * its own PostgreSQL connections, its own node id; killed with SIGKILL by the test. Configured by environment:
 * PG_URL, MASTER_KEY, NODE_ID, RECEIVER_URL, CLAIM_LEASE_MS, TIMEOUT_MS. Prints `ready` once delivering.
 */
import { createLogger } from '../../logger.ts';
import { openRegionStores } from '../../storage/regions.ts';
import { CallbackDispatcher } from '../dispatcher.ts';
import { CallbackUrlPolicy } from '../url-policy.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const log = createLogger(process.env.CONCLAVE_TEST_LOG ?? 'silent');
const stores = await openRegionStores(
  { regions: { default: { driver: 'postgres', url: env('PG_URL') } }, control: 'default' },
  { masterKey: env('MASTER_KEY'), logger: log },
);
const dispatcher = new CallbackDispatcher({
  stores,
  callbackConfig: () => Promise.resolve({ url: env('RECEIVER_URL'), key: 'cluster-test-key' }),
  log,
  nodeId: env('NODE_ID'),
  claimLeaseMs: Number(env('CLAIM_LEASE_MS')),
  timeoutMs: Number(env('TIMEOUT_MS')),
  pollMs: 100,
  urlPolicy: new CallbackUrlPolicy({ allowedHosts: ['127.0.0.1'], allowInsecureHttp: true }),
});
await dispatcher.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void dispatcher
    .close()
    .then(() => stores.close())
    .then(() => process.exit(0));
});
