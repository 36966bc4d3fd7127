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

  it('security codes match across participants; a swapped key is refused, and changes the code once accepted', async () => {
    const room = new TestRoom();
    for (const id of ['alice', 'bob', 'carol']) await room.join(id);
    const codes = await Promise.all(['alice', 'bob', 'carol'].map((id) => room.member(id).distributor.securityCode()));
    assert.match(codes[0] ?? '', /^\d{5}( \d{5}){5}$/);
    assert.equal(new Set(codes).size, 1);

    // A server in the middle gives alice its own key for bob: refused, the code stays.
    const alice = room.member('alice').distributor;
    const swappedKey = (await generateX25519KeyPair()).publicKey;
    await alice.handleParticipantJoined('bob', swappedKey);
    assert.equal(await alice.securityCode(), codes[0]);
    // The app accepts it explicitly (say, after users compared codes): now the code differs from bob's.
    await alice.acceptPeerKey('bob', swappedKey);
    await room.timers.advance(3000);
    assert.notEqual(await alice.securityCode(), await room.member('bob').distributor.securityCode());
  });
});

describe('managed sender keys: trust in announced keys', () => {
  /** A distributor whose outgoing key messages are recorded; it plays "alice". */
  async function alice(options: Partial<Parameters<typeof KeyDistributor.create>[0]> = {}) {
    const sent: { to: string; blob: Uint8Array }[] = [];
    const changes: { userId: string; current: Uint8Array; announced: Uint8Array }[] = [];
    const refused: string[] = [];
    const distributor = await KeyDistributor.create({
      localId: 'alice',
      timers: new FakeTimers(),
      send: (to, blob) => sent.push({ to, blob }),
      onPeerKeyChanged: (userId, current, announced) => changes.push({ userId, current, announced }),
      onPeerKeyRefused: (userId) => refused.push(userId),
      ...options,
    });
    return { distributor, sent, changes, refused };
  }

  it('a known userId announced again with a new key: no sender key sealed to the new key, a key-change event', async () => {
    const a = await alice();
    const bobKeys = await generateX25519KeyPair();
    const impostorKeys = await generateX25519KeyPair();
    await a.distributor.handleParticipantJoined('bob', bobKeys.publicKey);
    const grantsBefore = a.sent.length;
    assert.ok(grantsBefore > 0, 'bob got the sender key');

    await a.distributor.handleParticipantJoined('bob', impostorKeys.publicKey);
    await a.distributor.idle();
    assert.deepEqual(
      a.changes.map((c) => [c.userId, Buffer.from(c.current).equals(Buffer.from(bobKeys.publicKey))]),
      [['bob', true]],
    );
    assert.ok(Buffer.from(a.changes[0]?.announced ?? []).equals(Buffer.from(impostorKeys.publicKey)));
    // Nothing new went out, and what went out before cannot be opened with the impostor's key.
    assert.equal(a.sent.length, grantsBefore);
    const impostorErrors: E2eeError[] = [];
    const probe = await KeyDistributor.create({
      localId: 'bob',
      keyPair: impostorKeys,
      send: () => undefined,
      onError: (e) => impostorErrors.push(e),
    });
    await probe.handleParticipantJoined('alice', a.distributor.publicKey);
    for (const { blob } of a.sent) await probe.handleKeyMessage('alice', blob);
    assert.equal(impostorErrors.length, a.sent.length, 'no grant opens with the impostor key');
    assert.deepEqual(
      a.distributor.keyHolders().map((h) => h.userId),
      ['bob'],
    );
    assert.ok(Buffer.from(a.distributor.keyHolders()[0]?.publicKey ?? []).equals(Buffer.from(bobKeys.publicKey)));
    probe.close();
  });

  it('every participant sealed our sender key is listed in keyHolders() when it is sent', async () => {
    const holdersAtSend: string[][] = [];
    const sentTo: string[] = [];
    const distributor: KeyDistributor = await KeyDistributor.create({
      localId: 'alice',
      timers: new FakeTimers(),
      send: (to) => {
        sentTo.push(to);
        holdersAtSend.push(distributor.keyHolders().map((h) => h.userId));
      },
    });
    // An audience member in a live room (no REMOTE_USER_ENTER) is still a key holder, and listed.
    for (const id of ['bob', 'phantom-audience']) {
      await distributor.handleParticipantJoined(id, (await generateX25519KeyPair()).publicKey);
    }
    assert.ok(sentTo.includes('phantom-audience'));
    for (const [i, to] of sentTo.entries()) assert.ok(holdersAtSend[i]?.includes(to), `${to} listed when sealed to`);
    distributor.handleParticipantLeft('phantom-audience');
    assert.deepEqual(
      distributor.keyHolders().map((h) => h.userId),
      ['bob'],
    );
  });

  it('verifyPeerKey refusing a key: no grant, not a key holder, not in the security code', async () => {
    const mallory = await generateX25519KeyPair();
    const bob = await generateX25519KeyPair();
    const asked: string[] = [];
    const a = await alice({
      verifyPeerKey: async (userId, publicKey) => {
        asked.push(userId);
        await settle();
        return !Buffer.from(publicKey).equals(Buffer.from(mallory.publicKey));
      },
    });
    await a.distributor.handleParticipantJoined('bob', bob.publicKey);
    await a.distributor.handleParticipantJoined('mallory', mallory.publicKey);
    await a.distributor.idle();
    assert.deepEqual(asked, ['bob', 'mallory']);
    assert.deepEqual(a.refused, ['mallory']);
    assert.ok(!a.sent.some((m) => m.to === 'mallory'), 'nothing sealed to mallory');
    assert.ok(a.sent.some((m) => m.to === 'bob'));
    assert.deepEqual(
      a.distributor.keyHolders().map((h) => h.userId),
      ['bob'],
    );
    const withoutMallory = await a.distributor.securityCode();
    await a.distributor.handleParticipantJoined('mallory', mallory.publicKey);
    await a.distributor.idle();
    assert.equal(await a.distributor.securityCode(), withoutMallory);
  });
});
