/**
 * A whole Conclave server as its own process, for tests that kill one (cluster failover): configuration
 * overrides as JSON in CONCLAVE_TEST_OVERRIDES, the data directory (dev keys) in CONCLAVE_TEST_DATA_DIR, and
 * optionally a callback URL for the dev app in CONCLAVE_TEST_CALLBACK_URL (set once it is started). Prints
 * one JSON line `{"url": …}` once listening and registered; stops on SIGTERM, or dies on SIGKILL.
 */
import { startTestServer } from './test-server.ts';

const dataDir = process.env.CONCLAVE_TEST_DATA_DIR;
if (!dataDir) throw new Error('CONCLAVE_TEST_DATA_DIR is required');
const overrides = JSON.parse(process.env.CONCLAVE_TEST_OVERRIDES ?? '{}') as Parameters<typeof startTestServer>[0];
const test = await startTestServer(overrides, { dataDir });
const callbackUrl = process.env.CONCLAVE_TEST_CALLBACK_URL;
if (callbackUrl) await test.server.stores.apps.update(test.sdkAppId, { callbackUrl });
process.stdout.write(`${JSON.stringify({ url: test.server.url })}\n`);
process.on('SIGTERM', () => void test.stop().then(() => process.exit(0)));
