import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PrivilegeBits as P } from '../auth/index.ts';
import { ROOM, setup, throwsCode } from './test-fixtures.ts';

const on = { privilegeControl: true } as const;

describe('advanced permission control on', () => {
  test('entering without a PrivateMapKey is PRIVATE_MAP_KEY_REQUIRED and creates nothing', () => {
    const { directory, admit, events } = setup();
    throwsCode(() => admit('alice', on), 'PRIVATE_MAP_KEY_REQUIRED');
    assert.equal(directory.roomCount, 0);
    assert.deepEqual(events, []);
  });

  test('creating the room needs CreateRoom and EnterRoom; joining it needs EnterRoom', () => {
    const { directory, admit } = setup();
    throwsCode(() => admit('alice', { ...on, privileges: P.EnterRoom }), 'PRIVILEGE_MISSING');
    throwsCode(() => admit('alice', { ...on, privileges: P.CreateRoom }), 'PRIVILEGE_MISSING');
    assert.equal(directory.roomCount, 0);
    admit('alice', { ...on, privileges: P.CreateRoom | P.EnterRoom });
    throwsCode(() => admit('bob', { ...on, privileges: P.CreateRoom | P.SendAudio }), 'PRIVILEGE_MISSING');
    assert.equal(admit('bob', { ...on, privileges: P.EnterRoom }).roomCreated, false);
  });

  test('publishing needs the send bit of its kind and stream type', () => {
    const { directory, admit } = setup();
    const alice = admit('alice', { ...on, privileges: P.CreateRoom | P.EnterRoom | P.SendAudio }).participant;
    directory.addStream(alice, { id: 'a', kind: 'audio', streamType: 'main' });
    throwsCode(() => directory.addStream(alice, { id: 'v', kind: 'video', streamType: 'main' }), 'PRIVILEGE_MISSING');
    throwsCode(() => directory.addStream(alice, { id: 's', kind: 'video', streamType: 'sub' }), 'PRIVILEGE_MISSING');
    const bob = admit('bob', { ...on, privileges: P.EnterRoom | P.SendVideo | P.SendSubStream }).participant;
    directory.addStream(bob, { id: 'v', kind: 'video', streamType: 'main' });
    directory.addStream(bob, { id: 's', kind: 'video', streamType: 'sub' });
    throwsCode(() => directory.addStream(bob, { id: 'b', kind: 'audio', streamType: 'main' }), 'PRIVILEGE_MISSING');
  });

  test('receiving needs the receive bit of the stream', () => {
    const { directory, admit } = setup();
    const alice = admit('alice', { ...on, privileges: P.All }).participant;
    for (const [id, kind, streamType] of [
      ['a', 'audio', 'main'],
      ['v', 'video', 'main'],
      ['s', 'video', 'sub'],
    ] as const) {
      directory.addStream(alice, { id, kind, streamType });
    }
    const carol = admit('carol', { ...on, role: 'audience', privileges: P.EnterRoom | P.ReceiveAudio }).participant;
    assert.equal(directory.authorizeReceive(carol, 'a').id, 'a');
    throwsCode(() => directory.authorizeReceive(carol, 'v'), 'PRIVILEGE_MISSING');
    throwsCode(() => directory.authorizeReceive(carol, 's'), 'PRIVILEGE_MISSING');
    const dave = admit('dave', {
      ...on,
      role: 'audience',
      privileges: P.EnterRoom | P.ReceiveVideo | P.ReceiveSubStream,
    }).participant;
    throwsCode(() => directory.authorizeReceive(dave, 'a'), 'PRIVILEGE_MISSING');
    directory.authorizeReceive(dave, 'v');
    directory.authorizeReceive(dave, 's');
  });

  test('switching role needs a fresh PrivateMapKey, whose privileges then apply', () => {
    const { directory, admit } = setup();
    admit('alice', { ...on, privileges: P.All });
    const carol = admit('carol', { ...on, role: 'audience', privileges: P.EnterRoom }).participant;
    throwsCode(() => directory.switchRole(carol, 'anchor'), 'PRIVATE_MAP_KEY_REQUIRED');
    throwsCode(() => directory.switchRole(carol, 'anchor', P.SendAudio), 'PRIVILEGE_MISSING');
    assert.equal(carol.role, 'audience');
    directory.switchRole(carol, 'anchor', P.EnterRoom | P.SendVideo);
    assert.equal(carol.privileges, P.EnterRoom | P.SendVideo);
    directory.addStream(carol, { id: 'cv', kind: 'video', streamType: 'main' });
    throwsCode(() => directory.addStream(carol, { id: 'ca', kind: 'audio', streamType: 'main' }), 'PRIVILEGE_MISSING');
  });
});

describe('advanced permission control off', () => {
  test('privileges are neither required nor enforced, but kept', () => {
    const { directory, admit } = setup();
    const alice = admit('alice', { privileges: 0 }).participant;
    assert.equal(alice.privileges, 0);
    directory.addStream(alice, { id: 's', kind: 'video', streamType: 'sub' });
    const carol = admit('carol', { role: 'audience' }).participant;
    assert.equal(directory.authorizeReceive(carol, 's').id, 's');
    directory.switchRole(carol, 'anchor');
    assert.equal(directory.getRoom(ROOM)?.anchorCount, 2);
  });
});
