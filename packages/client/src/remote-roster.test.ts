/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RemoteStream } from '@conclave/protocol';
import { RemoteRoster } from './remote-roster.ts';

function record(roster: RemoteRoster): string[] {
  const out: string[] = [];
  roster.on('userEnter', (u) => out.push(`enter ${u}`));
  roster.on('userExit', (u) => out.push(`exit ${u}`));
  roster.on('audioAvailable', (u) => out.push(`audio+ ${u}`));
  roster.on('audioUnavailable', (u) => out.push(`audio- ${u}`));
  roster.on('videoAvailable', (u, t) => out.push(`video+ ${u} ${t}`));
  roster.on('videoUnavailable', (u, t) => out.push(`video- ${u} ${t}`));
  return out;
}

const stream = (
  producerId: string,
  userId: string,
  kind: 'audio' | 'video',
  streamType: 'main' | 'sub' = 'main',
): RemoteStream => ({
  producerId,
  userId,
  kind,
  streamType,
  simulcast: false,
  paused: false,
});

test('a snapshot announces users before their streams; leaving withdraws streams before the user', () => {
  const roster = new RemoteRoster('me', 'rtc');
  const events = record(roster);
  roster.handleSnapshot(
    [
      { userId: 'a', role: 'anchor' },
      { userId: 'me', role: 'anchor' },
    ],
    [stream('p1', 'a', 'audio'), stream('p2', 'a', 'video', 'sub')],
  );
  assert.deepEqual(events.splice(0), ['enter a', 'audio+ a', 'video+ a sub']);
  roster.handleStreamPaused('p1', true);
  roster.handleStreamPaused('p1', true);
  assert.deepEqual(events.splice(0), ['audio- a']);
  roster.handleParticipantLeft('a');
  assert.deepEqual(events.splice(0), ['video- a sub', 'exit a']);
});

test('a snapshot after a reconnection emits only what changed', () => {
  const roster = new RemoteRoster('me', 'rtc');
  const events = record(roster);
  roster.handleSnapshot(
    [
      { userId: 'a', role: 'anchor' },
      { userId: 'b', role: 'anchor' },
    ],
    [stream('p1', 'a', 'video')],
  );
  events.splice(0);
  roster.handleSnapshot(
    [
      { userId: 'a', role: 'anchor' },
      { userId: 'c', role: 'audience' },
    ],
    [stream('p9', 'a', 'video'), stream('p3', 'c', 'audio')],
  );
  assert.deepEqual(events, ['enter c', 'audio+ c', 'exit b']);
  assert.equal(roster.findStream('a', 'video', 'main')?.producerId, 'p9');
});

test('in a live room only anchors are announced', () => {
  const roster = new RemoteRoster('me', 'live');
  const events = record(roster);
  roster.handleParticipantJoined({ userId: 'viewer', role: 'audience' });
  assert.deepEqual(events.splice(0), []);
  roster.handleRoleChanged({ userId: 'viewer', role: 'anchor' });
  assert.deepEqual(events.splice(0), ['enter viewer']);
});

test('a recording participant entering and leaving changes the recording state once each', () => {
  const roster = new RemoteRoster('me', 'rtc');
  const changes: string[][] = [];
  roster.on('recordingChanged', (ids) => changes.push(ids));
  roster.handleSnapshot([{ userId: 'a', role: 'anchor' }], []);
  roster.handleParticipantJoined({ userId: 'rec', role: 'anchor', recording: true });
  roster.handleParticipantJoined({ userId: 'b', role: 'anchor' });
  roster.handleParticipantLeft('rec');
  assert.deepEqual(changes, [['rec'], []]);
});
