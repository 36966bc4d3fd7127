/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utf8 } from '../bytes.ts';
import type { E2eeError } from '../errors.ts';
import { FrameCrypto } from '../frame-transform.ts';
import { FakeTimers, settle } from '../testing/fake-timers.ts';
import { generateX25519KeyPair } from './hpke.ts';
import { KeyDistributor } from './key-distributor.ts';

/** A room of distributors wired through an in-memory relay, each with its own frame worker. */
class TestRoom {
  readonly timers = new FakeTimers();
  readonly members = new Map<string, { distributor: KeyDistributor; worker: FrameCrypto; errors: E2eeError[] }>();

  async join(id: string): Promise<void> {
    const errors: E2eeError[] = [];
    const distributor = await KeyDistributor.create({
      localId: id,
      timers: this.timers,
      send: (to, blob) => void this.members.get(to)?.distributor.handleKeyMessage(id, blob),
      onError: (error) => errors.push(error),
    });
    const worker = new FrameCrypto(distributor.cipherSuite);
    for (const command of distributor.snapshot()) await worker.apply(command);
    distributor.subscribe((command) => void worker.apply(command));
    const others = [...this.members.entries()];
    this.members.set(id, { distributor, worker, errors });
    // Signaling tells the newcomer about everyone and everyone about the newcomer.
    for (const [otherId, other] of others) {
      await distributor.handleParticipantJoined(otherId, other.distributor.publicKey);
      await other.distributor.handleParticipantJoined(id, distributor.publicKey);
    }
    await settle();
  }

  leave(id: string): void {
    // The leaver keeps its distributor and worker: it is the attacker in these tests.
    for (const [otherId, other] of this.members) if (otherId !== id) other.distributor.handleParticipantLeft(id);
  }

  member(id: string): { distributor: KeyDistributor; worker: FrameCrypto; errors: E2eeError[] } {
    const found = this.members.get(id);
    assert.ok(found, id);
    return found;
  }

  async send(from: string, text: string): Promise<ArrayBuffer> {
    const result = await this.member(from).worker.encryptFrame(utf8(`\x78${text}`).slice().buffer, 'opus');
    assert.ok(result.ok);
    return result.data;
  }

  async canRead(reader: string, from: string, frame: ArrayBuffer): Promise<boolean> {
    return (await this.member(reader).worker.decryptFrame(from, frame, 'opus')).ok;
  }
}

describe('managed sender keys', () => {
  it('everyone decrypts everyone', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob', 'carol']) await room.join(id);
    for (const from of ['alice', 'bob', 'carol']) {
      const frame = await room.send(from, `from ${from}`);
      for (const reader of ['alice', 'bob', 'carol']) {
        if (reader !== from) assert.ok(await room.canRead(reader, from, frame), `${reader} reads ${from}`);
      }
    }
    for (const { errors } of room.members.values()) assert.deepEqual(errors, []);
  });

  it('the departed participant cannot decrypt frames sent after the rotation (within 5 s of leaving)', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob', 'carol']) await room.join(id);
    const beforeLeave = await room.send('alice', 'before');
    assert.ok(await room.canRead('carol', 'alice', beforeLeave));

    room.leave('carol');
    await room.timers.advance(5000);
    const afterLeave = await room.send('alice', 'after');
    assert.ok(!(await room.canRead('carol', 'alice', afterLeave)), 'carol must not read alice after leaving');
    assert.ok(await room.canRead('bob', 'alice', afterLeave), 'bob still reads alice');
    const fromBob = await room.send('bob', 'after');
    assert.ok(!(await room.canRead('carol', 'bob', fromBob)));
    assert.ok(await room.canRead('alice', 'bob', fromBob));
  });

  it('several leaves in the debounce window share one rotation', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob', 'carol', 'dave']) await room.join(id);
    const alice = room.member('alice').distributor;
    const kidBefore = alice.senderKid;
    room.leave('carol');
    await room.timers.advance(500);
    room.leave('dave');
    await room.timers.advance(2000);
    assert.equal(alice.senderKid >> 8n, (kidBefore >> 8n) + 1n, 'exactly one new generation');
    assert.ok(!(await room.canRead('dave', 'alice', await room.send('alice', 'x'))));
  });

  it('a newcomer cannot decrypt frames from before it joined, and can after', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob']) await room.join(id);
    const beforeJoin = await room.send('alice', 'before dave');
    await room.join('dave');
    assert.ok(!(await room.canRead('dave', 'alice', beforeJoin)), 'dave must not read the past');
    const afterJoin = await room.send('alice', 'after dave');
    assert.ok(await room.canRead('dave', 'alice', afterJoin));
    assert.ok(await room.canRead('bob', 'alice', afterJoin), 'bob follows the ratchet by itself');
  });

  it('rejects key messages from strangers and forgeries in another participant’s name', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob']) await room.join(id);
    const bob = room.member('bob');
    await bob.distributor.handleKeyMessage('alice', new Uint8Array(100));
    // A stranger's messages wait for an announcement that never comes, then are reported.
    await bob.distributor.handleKeyMessage('mallory', new Uint8Array(100));
    await room.timers.advance(10_000);
    // Mallory (the server, say) seals a key to bob claiming to be alice: HPKE auth mode refuses it.
    const mallory = await KeyDistributor.create({
      localId: 'alice',
      keyPair: await generateX25519KeyPair(),
      send: (_to, blob) => void bob.distributor.handleKeyMessage('alice', blob),
    });
    await mallory.handleParticipantJoined('bob', bob.distributor.publicKey);
    await settle();
    assert.deepEqual(
      bob.errors.map((e) => e.code),
      ['E2EE_KEY_MESSAGE_MALFORMED', 'E2EE_KEY_MESSAGE_UNREADABLE', 'E2EE_KEY_MESSAGE_UNREADABLE'],
    );
    mallory.close();
  });

  it('security codes match across participants and change when a key is swapped', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob', 'carol']) await room.join(id);
    const codes = await Promise.all(['alice', 'bob', 'carol'].map((id) => room.member(id).distributor.securityCode()));
    assert.match(codes[0] ?? '', /^\d{5}( \d{5}){5}$/);
    assert.equal(new Set(codes).size, 1);

    // A server in the middle gives alice its own key for bob.
    const alice = room.member('alice').distributor;
    await alice.handleParticipantJoined('bob', (await generateX25519KeyPair()).publicKey);
    const swapped = await alice.securityCode();
    assert.notEqual(swapped, await room.member('bob').distributor.securityCode());
  });
});
