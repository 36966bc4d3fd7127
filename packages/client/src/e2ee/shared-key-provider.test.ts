/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utf8 } from './bytes.ts';
import { FrameCrypto } from './frame-transform.ts';
import type { KeyProvider } from './key-provider.ts';
import { SharedKeyProvider, sharedKidGeneration } from './shared-key-provider.ts';
import { FakeTimers } from './testing/fake-timers.ts';

async function workerFor(provider: KeyProvider): Promise<FrameCrypto> {
  const crypto = new FrameCrypto(provider.cipherSuite);
  for (const command of provider.snapshot()) await crypto.apply(command);
  provider.subscribe((command) => void crypto.apply(command));
  return crypto;
}

const opusFrame = (text: string): ArrayBuffer => utf8(`\x78${text}`).slice().buffer;

describe('shared key provider', () => {
  it('two providers with the same secret interoperate, each sender with its own key and KID', async () => {
    const alice = await SharedKeyProvider.create({ secret: 'correct horse', userId: 'alice', roomId: '1234' });
    const bob = await SharedKeyProvider.create({ secret: 'correct horse', userId: 'bob', roomId: '1234' });
    assert.notEqual(alice.senderKid, bob.senderKid);
    const aliceWorker = await workerFor(alice);
    const bobWorker = await workerFor(bob);

    const sent = await aliceWorker.encryptFrame(opusFrame('hello bob'), 'opus');
    assert.ok(sent.ok);
    const received = await bobWorker.decryptFrame('alice', sent.data, 'opus');
    assert.ok(received.ok);
    assert.equal(new TextDecoder().decode(received.data), '\x78hello bob');

    // The key is bound to the sender's identity: the same frame attributed to someone else is dropped.
    assert.deepEqual(await bobWorker.decryptFrame('carol', sent.data, 'opus'), { ok: false, reason: 'auth-failed' });
  });

  it('a different secret (or room) fails authentication and the frame is dropped', async () => {
    const alice = await SharedKeyProvider.create({ secret: 'correct horse', userId: 'alice', roomId: '1234' });
    const eve = await SharedKeyProvider.create({ secret: 'wrong horse', userId: 'eve', roomId: '1234' });
    const otherRoom = await SharedKeyProvider.create({ secret: 'correct horse', userId: 'bob', roomId: '99' });
    const sent = await (await workerFor(alice)).encryptFrame(opusFrame('secret'), 'opus');
    assert.ok(sent.ok);
    for (const provider of [eve, otherRoom]) {
      const worker = await workerFor(provider);
      assert.deepEqual(await worker.decryptFrame('alice', sent.data, 'opus'), { ok: false, reason: 'auth-failed' });
      assert.deepEqual(worker.takeDropStats(), { alice: { 'auth-failed': 1 } });
    }
  });

  it('rotate() bumps the generation; old frames decrypt during the grace period only', async () => {
    const timers = new FakeTimers();
    const options = { userId: 'alice', roomId: '1', timers, previousKeyGraceMs: 5000 };
    const alice = await SharedKeyProvider.create({ ...options, secret: 's1' });
    const bob = await SharedKeyProvider.create({ ...options, userId: 'bob', secret: 's1' });
    const aliceWorker = await workerFor(alice);
    const bobWorker = await workerFor(bob);
    const before = await aliceWorker.encryptFrame(opusFrame('gen 0'), 'opus');
    assert.ok(before.ok);

    await alice.rotate('s2');
    await bob.rotate('s2');
    assert.equal(alice.generation, 1);
    assert.equal(sharedKidGeneration(alice.senderKid ?? 0n), 1);
    await timers.advance(0);
    const after = await aliceWorker.encryptFrame(opusFrame('gen 1'), 'opus');
    assert.ok(after.ok);
    assert.equal((await bobWorker.decryptFrame('alice', after.data, 'opus')).ok, true);
    assert.equal((await bobWorker.decryptFrame('alice', before.data, 'opus')).ok, true);

    await timers.advance(5000);
    assert.deepEqual(await bobWorker.decryptFrame('alice', before.data, 'opus'), { ok: false, reason: 'unknown-kid' });
    // Dropping the old generation keeps the replay windows: a frame seen before is still refused.
    assert.deepEqual(await bobWorker.decryptFrame('alice', after.data, 'opus'), { ok: false, reason: 'replay' });
    const later = await aliceWorker.encryptFrame(opusFrame('gen 1, later'), 'opus');
    assert.ok(later.ok);
    assert.equal((await bobWorker.decryptFrame('alice', later.data, 'opus')).ok, true);
    alice.close();
    bob.close();
  });

  it('a rejoin with the same secret encrypts under a new KID and key (no nonce reuse across sessions)', async () => {
    const first = await SharedKeyProvider.create({ secret: 's', userId: 'alice', roomId: '1' });
    const second = await SharedKeyProvider.create({ secret: 's', userId: 'alice', roomId: '1' });
    assert.notEqual(first.senderKid, second.senderKid);
  });
});
