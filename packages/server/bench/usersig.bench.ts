// Verifications per second on one core (target ≥ 50,000/s) for a UserSig and a PrivateMapKey.
// Run: npm run bench:usersig   (node --import tsx packages/server/bench/usersig.bench.ts)
import { generatePrivateMapKey, generateUserSig, verifyPrivateMapKey, verifyUserSig } from '../src/auth/index.ts';

const sdkAppId = 1400000001;
const userId = 'bench_user_0001';
const secretKey = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
const room = { roomId: 123456 };
const now = Date.now();
const TARGET_PER_SECOND = 50_000;

const userSig = generateUserSig({ sdkAppId, userId, secretKey, expireSeconds: 86400, now });
const privateMapKey = generatePrivateMapKey({
  sdkAppId,
  userId,
  secretKey,
  expireSeconds: 300,
  room,
  privileges: 255,
  now,
});
// Three rejections: a corrupt deflate stream (zlib's error path), garbage, and a well-formed token signed
// with another key (the cheapest forgery to send).
const corrupt = userSig.slice(0, -8) + 'AAAAAAAA';
const garbage = 'A'.repeat(userSig.length);
const forged = generateUserSig({ sdkAppId, userId, secretKey: 'not-the-key', expireSeconds: 86400, now });

function rejecting(token: string): () => void {
  return () => {
    try {
      verifyUserSig(token, { sdkAppId, userId, secretKey, now });
    } catch {
      return;
    }
    throw new Error('the token was accepted');
  };
}

/** Runs `fn` for about `ms` milliseconds after a warm-up and returns calls per second. */
function measure(fn: () => void, ms = 1500): number {
  for (let i = 0; i < 20_000; i++) fn();
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    elapsed = performance.now() - started;
  }
  return (calls / elapsed) * 1000;
}

const results: [string, number][] = [
  [
    `verifyUserSig (${userSig.length} chars)`,
    measure(() => verifyUserSig(userSig, { sdkAppId, userId, secretKey, now })),
  ],
  [
    `verifyPrivateMapKey (${privateMapKey.length} chars)`,
    measure(() => verifyPrivateMapKey(privateMapKey, { sdkAppId, userId, secretKey, room, now })),
  ],
  ['verifyUserSig, rejected: corrupt deflate', measure(rejecting(corrupt))],
  ['verifyUserSig, rejected: garbage', measure(rejecting(garbage))],
  ['verifyUserSig, rejected: bad signature', measure(rejecting(forged))],
  ['generateUserSig', measure(() => generateUserSig({ sdkAppId, userId, secretKey, expireSeconds: 86400, now }))],
];

console.log(`node ${process.version}, one core (single thread)`);
for (const [name, perSecond] of results) {
  const mark =
    name.startsWith('verify') && !name.includes('rejected')
      ? perSecond >= TARGET_PER_SECOND
        ? '  ok'
        : '  BELOW TARGET'
      : '';
  console.log(
    `${name.padEnd(44)} ${Math.round(perSecond).toLocaleString('en-US').padStart(10)} /s  (${(1e6 / perSecond).toFixed(1)} µs each)${mark}`,
  );
}
