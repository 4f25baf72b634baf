// Recovery over a real socket (PROTOCOL.md sections 3 and 5): join with
// since, hello.resume.rooms, small histories, epochs, and mid dedupe across
// a reconnect.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const isMessage = (room) => (f) => f.op === 'message' && f.room === room;

/** Ada joins and reads 2 messages, drops; bob publishes n more. */
async function missedWhileAway(server, room, n) {
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join(room);
  await bob.join(room);
  await bob.publish(room, { text: 'before-1' });
  await bob.publish(room, { text: 'before-2' });
  await ada.next(isMessage(room));
  const last = await ada.next(isMessage(room));
  const position = { epoch: last.epoch, offset: last.offset };
  ada.ws.terminate();
  await ada.closed;
  const sent = [];
  for (let i = 0; i < n; i++) {
    const r = await bob.publish(room, { text: `missed-${i}` }, { mid: `mid-${i}` });
    sent.push(r.offset);
  }
  return { ada, bob, position, sent };
}

function assertMissed(missed, room, position, n, bobSid) {
  assert.equal(missed.length, n);
  assert.deepEqual(missed.map((m) => m.offset), Array.from({ length: n }, (_, i) => position.offset + 1 + i));
  missed.forEach((m, i) => {
    assert.equal(m.op, 'message');
    assert.equal(m.room, room);
    assert.equal(m.epoch, position.epoch);
    assert.deepEqual(m.data, { text: `missed-${i}` });
    assert.equal(m.mid, `mid-${i}`);
    assert.equal(m.from.sid, bobSid);
  });
}

test('join with since recovers exactly the messages published while away, in order', async () => {
  const server = await startServer();
  const N = 25;
  const { bob, position, sent } = await missedWhileAway(server, 'recover', N);
  assert.equal(position.offset, 2);
  const back = await connect(server.wsUrl);
  const joined = await back.join('recover', { since: position });
  assert.equal(joined.recovered, true);
  assert.equal(joined.epoch, position.epoch);
  assert.equal(joined.offset, sent[sent.length - 1]);
  assertMissed(joined.missed, 'recover', position, N, bob.sid);
  // And the live stream continues right after the recovered part.
  await bob.publish('recover', { text: 'live' });
  const live = await back.next(isMessage('recover'));
  assert.equal(live.offset, joined.offset + 1);
});

test('hello.resume.rooms re-joins and recovers in one round trip', async () => {
  const server = await startServer();
  const N = 10;
  const { bob, position } = await missedWhileAway(server, 'resume-room', N);
  const back = await connect(server.wsUrl, { hello: { resume: { rooms: { 'resume-room': position } } } });
  const room = back.hello.rooms['resume-room'];
  assert.ok(room, 'the hello reply has the room');
  assert.equal(room.recovered, true);
  assert.equal(room.epoch, position.epoch);
  assert.equal(room.offset, position.offset + N);
  assertMissed(room.missed, 'resume-room', position, N, bob.sid);
  // It is a member again: bob saw a join and its next message reaches it.
  const presence = await bob.next((f) => f.op === 'presence' && f.action === 'join' && f.member.sid === back.sid);
  assert.equal(presence.room, 'resume-room');
  await bob.publish('resume-room', { text: 'live' });
  assert.equal((await back.next(isMessage('resume-room'))).offset, position.offset + N + 1);
});

test('since at the latest offset recovers with nothing missed', async () => {
  const server = await startServer();
  const { position } = await missedWhileAway(server, 'uptodate', 3);
  const back = await connect(server.wsUrl);
  const joined = await back.join('uptodate', { since: { epoch: position.epoch, offset: position.offset + 3 } });
  assert.equal(joined.recovered, true);
  assert.deepEqual(joined.missed, []);
});

test('another epoch cannot recover: recovered false, missed empty', async () => {
  const server = await startServer();
  const { position } = await missedWhileAway(server, 'epochs', 3);
  const back = await connect(server.wsUrl);
  const joined = await back.join('epochs', { since: { epoch: 'not-' + position.epoch, offset: position.offset } });
  assert.equal(joined.recovered, false);
  assert.deepEqual(joined.missed, []);
  assert.equal(joined.epoch, position.epoch, 'the reply names the current epoch');
});

test('HISTORY_SIZE smaller than the gap: recovered false', async () => {
  const server = await startServer({ HISTORY_SIZE: 5 });
  const { position } = await missedWhileAway(server, 'small', 12);
  const back = await connect(server.wsUrl);
  const joined = await back.join('small', { since: position });
  assert.equal(joined.recovered, false);
  assert.ok(joined.missed.length <= 5, `missed is partial (${joined.missed.length})`);
  // Whatever is there is in order and after since.
  const offsets = joined.missed.map((m) => m.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  assert.ok(offsets.every((o) => o > position.offset));
  // Through hello.resume as well.
  const viaHello = await connect(server.wsUrl, { hello: { resume: { rooms: { small: position } } } });
  assert.equal(viaHello.hello.rooms.small.recovered, false);
});

test('HISTORY_SIZE that holds the whole gap still recovers', async () => {
  const server = await startServer({ HISTORY_SIZE: 5 });
  const { position } = await missedWhileAway(server, 'fits', 5);
  const back = await connect(server.wsUrl);
  const joined = await back.join('fits', { since: position });
  assert.equal(joined.recovered, true);
  assert.equal(joined.missed.length, 5);
});

test('an anonymous client resuming with its resumeToken gets duplicate:true when it re-sends a publish', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('retry');
  await bob.join('retry');
  const first = await ada.publish('retry', { text: 'once' }, { mid: 'm-retry-1' });
  const oldSid = ada.sid;
  const { resumeToken } = ada.hello;
  assert.match(resumeToken, /^[0-9a-f]{32}$/);
  ada.ws.terminate();
  await ada.closed;

  const again = await connect(server.wsUrl, {
    hello: { resume: { sid: oldSid, token: resumeToken, rooms: { retry: { epoch: first.epoch, offset: first.offset } } } },
  });
  assert.equal(again.hello.rooms.retry.recovered, true);
  const retried = await again.publish('retry', { text: 'once' }, { mid: 'm-retry-1' });
  assert.deepEqual(retried, { room: 'retry', offset: first.offset, epoch: first.epoch, duplicate: true });

  // Bob received the message once.
  const got = await bob.next(isMessage('retry'));
  assert.equal(got.offset, first.offset);
  await bob.expectNothing((f) => f.op === 'message', 200);

  // A connection naming the sid without the token is another publisher.
  const guesser = await connect(server.wsUrl, { hello: { resume: { sid: oldSid } } });
  await guesser.join('retry');
  assert.equal((await guesser.publish('retry', { text: 'guess' }, { mid: 'm-retry-1' })).duplicate, false);
  await bob.next(isMessage('retry'));

  // A new anonymous connection that does not resume at all is another publisher.
  const stranger = await connect(server.wsUrl);
  await stranger.join('retry');
  const fresh = await stranger.publish('retry', { text: 'mine' }, { mid: 'm-retry-1' });
  assert.equal(fresh.duplicate, false);
  assert.equal(fresh.offset, first.offset + 2);
});

test('messages older than HISTORY_TTL_MS are not recoverable', async () => {
  const server = await startServer({ HISTORY_TTL_MS: 300 });
  const { position } = await missedWhileAway(server, 'ttl', 3);
  // Expiry runs on the server's timer; wait well past the TTL.
  await new Promise((r) => setTimeout(r, 900));
  const back = await connect(server.wsUrl);
  const joined = await back.join('ttl', { since: position });
  assert.equal(joined.recovered, false);
  assert.deepEqual(joined.missed, []);
});

test('another connection cannot take over a live connection\'s mids by resuming its sid', async () => {
  // Sids are public (presence, members). Resuming one that is still connected
  // is not a reconnect: the live connection's publishes must stay its own.
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('shared');
  await bob.join('shared');
  const intruder = await connect(server.wsUrl, { hello: { resume: { sid: ada.sid } } });
  await intruder.join('shared');
  await intruder.publish('shared', 'squatted', { mid: 'm-1' });
  const mine = await ada.publish('shared', 'ada speaking', { mid: 'm-1' });
  assert.equal(mine.duplicate, false, 'ada\'s publish was swallowed as a duplicate of another connection\'s');
  const got = [];
  for (let i = 0; i < 2; i++) got.push((await bob.next(isMessage('shared'))).data);
  assert.deepEqual(got, ['squatted', 'ada speaking']);
});
