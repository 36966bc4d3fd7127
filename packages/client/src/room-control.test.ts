/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoomControlState } from '@conclave/protocol';
import { Emitter } from './emitter.ts';
import { EVENT, type TRTCEventMap, type TRTCEventPayloads } from './events.ts';
import type { Requester } from './media-session.ts';
import type { PublishSlot } from './media-session.ts';
import { RoomControlClient } from './room-control.ts';

const STATE: RoomControlState = {
  ownerId: 'host',
  adminIds: ['ada'],
  disabled: { microphone: false, camera: false, screen: false },
  locked: false,
  hasPassword: false,
  maxSeats: 2,
  seats: [
    { index: 0, userId: 'me', locked: false },
    { index: 1, userId: null, locked: true },
  ],
  raisedHands: ['bo'],
};

function setup() {
  const sent: { method: string; data: unknown }[] = [];
  const closed: PublishSlot[] = [];
  const events = new Emitter<TRTCEventMap>();
  const request = (async (method: string, data: unknown) => {
    sent.push({ method, data });
    return {};
  }) as unknown as Requester;
  const control = new RoomControlClient('me', 'Me', { request, events, onDeviceClosed: (s) => closed.push(s) });
  return { control, sent, closed, events };
}

test('the snapshot gives the user list with names, control roles, seats and hands', () => {
  const { control, events } = setup();
  const states: RoomControlState[] = [];
  events.on(EVENT.ROOM_CONTROL_CHANGED, (s) => states.push(s));
  control.handleSnapshot(
    [
      { userId: 'host', role: 'anchor', userName: 'Host' },
      { userId: 'ada', role: 'anchor' },
      { userId: 'bo', role: 'audience', userName: 'Bo' },
    ],
    STATE,
  );
  assert.equal(states.length, 1);
  assert.deepEqual(control.userList(), [
    { userId: 'me', userName: 'Me', roomRole: 'member', seat: 0, handRaised: false },
    { userId: 'host', userName: 'Host', roomRole: 'owner', handRaised: false },
    { userId: 'ada', roomRole: 'admin', handRaised: false },
    { userId: 'bo', userName: 'Bo', roomRole: 'member', handRaised: true },
  ]);
  control.handleParticipantLeft('bo');
  assert.equal(control.nameOf('bo'), undefined);
  assert.deepEqual(
    control.userList().map((u) => u.userId),
    ['me', 'host', 'ada'],
  );
});

test('a device request is answered once, by the user; a closed device releases its slot', async () => {
  const { control, sent, closed, events } = setup();
  const requests: TRTCEventPayloads[typeof EVENT.DEVICE_OPEN_REQUEST][] = [];
  events.on(EVENT.DEVICE_OPEN_REQUEST, (r) => requests.push(r));
  control.handleDeviceRequest({ requestId: 'r1', from: 'host', device: 'camera' });
  assert.equal(sent.length, 0, 'nothing is answered (nor opened) on its own');
  assert.deepEqual([requests[0]?.userId, requests[0]?.device], ['host', 'camera']);
  await requests[0]!.accept();
  await requests[0]!.reject();
  assert.deepEqual(sent, [
    { method: 'roomControl', data: { action: 'answerDeviceRequest', requestId: 'r1', accept: true } },
  ]);
  const byHost: unknown[] = [];
  events.on(EVENT.DEVICE_CLOSED_BY_HOST, (d) => byHost.push(d));
  control.handleDeviceClosed({ device: 'microphone', by: 'host' });
  control.handleDeviceClosed({ device: 'screen', by: 'ada' });
  assert.deepEqual(closed, ['audio', 'sub']);
  assert.deepEqual(byHost, [
    { device: 'microphone', userId: 'host' },
    { device: 'screen', userId: 'ada' },
  ]);
});

test('chat messages become TEXT_MESSAGE with the sender name and time', () => {
  const { control, events } = setup();
  const got: unknown[] = [];
  events.on(EVENT.TEXT_MESSAGE, (m) => got.push(m));
  control.handleChat({ userId: 'host', userName: 'Host', text: 'hi', at: 5 });
  control.handleChat({ userId: 'bo', text: 'yo', at: 6 });
  assert.deepEqual(got, [
    { userId: 'host', userName: 'Host', text: 'hi', time: 5 },
    { userId: 'bo', text: 'yo', time: 6 },
  ]);
});
