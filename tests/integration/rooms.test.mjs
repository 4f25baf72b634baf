// PROTOCOL.md section 5: join, presence, publish, offsets, echo, mid dedupe,
// leave, history and members over real sockets.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const isMessage = (room) => (f) => f.op === 'message' && f.room === room;
const isPresence = (room, action) => (f) => f.op === 'presence' && f.room === room && f.action === action;

test('chat walk: join with presence, publish, receive the message frame, leave', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);

  const adaJoin = await ada.join('general', { name: 'General Discussion', info: { name: 'Ada' } });
  assert.equal(adaJoin.room, 'general');
  assert.equal(adaJoin.name, 'General Discussion');
  assert.equal(typeof adaJoin.epoch, 'string');
  assert.ok(adaJoin.epoch.length > 0);
  assert.equal(adaJoin.offset, 0, 'an empty room has offset 0');
  assert.equal(adaJoin.memberCount, 1);
  assert.deepEqual(adaJoin.members, [{ sid: ada.sid, user: null, info: { name: 'Ada' } }]);
  assert.equal(adaJoin.recovered, false, 'recovered is false without since');
  assert.deepEqual(adaJoin.missed, []);

  const bobJoin = await bob.join('general', { info: { name: 'Bob' } });
  assert.equal(bobJoin.epoch, adaJoin.epoch);
  assert.equal(bobJoin.memberCount, 2);
  assert.deepEqual(new Set(bobJoin.members.map((m) => m.sid)), new Set([ada.sid, bob.sid]));

  const presence = await ada.next(isPresence('general', 'join'));
  assert.deepEqual(presence, {
    op: 'presence', room: 'general', action: 'join',
    member: { sid: bob.sid, user: null, info: { name: 'Bob' } }, memberCount: 2,
  });
  await bob.expectNothing((f) => f.op === 'presence', 100); // no presence about oneself

  const sentAt = Date.now();
  const reply = await ada.publish('general', { content: 'Hello team!' }, { mid: 'm-5f2c', echo: false });
  assert.deepEqual(reply, { room: 'general', offset: 1, epoch: adaJoin.epoch, duplicate: false });

  const msg = await bob.next(isMessage('general'));
  assert.equal(typeof msg.ts, 'number');
  assert.ok(Math.abs(msg.ts - sentAt) < 60000, 'ts is epoch milliseconds');
  assert.deepEqual(msg, {
    op: 'message', room: 'general', event: 'message', data: { content: 'Hello team!' },
    from: { sid: ada.sid, user: null }, offset: 1, epoch: adaJoin.epoch, ts: msg.ts, mid: 'm-5f2c',
  });
  await ada.expectNothing((f) => f.op === 'message', 150); // echo:false

  const left = await bob.call({ op: 'leave', room: 'general' });
  assert.deepEqual(left, { room: 'general' });
  const leave = await ada.next(isPresence('general', 'leave'));
  assert.equal(leave.member.sid, bob.sid);
  assert.equal(leave.memberCount, 1);

  // After leaving, bob no longer receives the room's messages.
  await ada.publish('general', { content: 'anyone?' });
  await bob.expectNothing((f) => f.op === 'message', 200);
});

test('closing a connection sends leave presence for each of its rooms', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const carl = await connect(server.wsUrl);
  await ada.join('r1');
  await ada.join('r2');
  await carl.join('r1');
  await carl.join('r2');
  await ada.next(isPresence('r1', 'join'));
  await ada.next(isPresence('r2', 'join'));
  const carlSid = carl.sid;
  carl.ws.terminate(); // abrupt: no close handshake
  const l1 = await ada.next(isPresence('r1', 'leave'));
  const l2 = await ada.next(isPresence('r2', 'leave'));
  assert.equal(l1.member.sid, carlSid);
  assert.equal(l2.member.sid, carlSid);
  assert.equal(l1.memberCount, 1);
  const members = await ada.call({ op: 'members', room: 'r1' });
  assert.deepEqual(members.members.map((m) => m.sid), [ada.sid]);
  assert.equal(members.memberCount, 1);
});

test('joining a room already joined is idempotent: same reply, no new presence', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('general');
  const first = await bob.join('general');
  await ada.next(isPresence('general', 'join'));
  const second = await bob.join('general');
  assert.deepEqual(second, first);
  await ada.expectNothing((f) => f.op === 'presence', 200);
});

test('echo:true delivers the message to the sender too', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('general');
  await bob.join('general');
  const reply = await ada.publish('general', { n: 1 }, { echo: true });
  const own = await ada.next(isMessage('general'));
  const other = await bob.next(isMessage('general'));
  assert.equal(own.offset, reply.offset);
  assert.deepEqual(own, other, 'sender and member receive the same frame');
  assert.equal(own.from.sid, ada.sid);
  assert.equal('mid' in own, false, 'no mid when none was given');
});

test('offsets rise 1..200 without gaps, in order, for 200 pipelined publishes', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('burst');
  await bob.join('burst');
  const N = 200;
  const replies = [];
  for (let i = 0; i < N; i++) replies.push(ada.publish('burst', { i }));
  const got = await Promise.all(replies);
  assert.deepEqual(got.map((r) => r.offset), Array.from({ length: N }, (_, i) => i + 1));
  const received = [];
  for (let i = 0; i < N; i++) received.push(await bob.next(isMessage('burst')));
  assert.deepEqual(received.map((m) => m.offset), Array.from({ length: N }, (_, i) => i + 1));
  assert.deepEqual(received.map((m) => m.data.i), Array.from({ length: N }, (_, i) => i));
  await bob.expectNothing((f) => f.op === 'message', 150);
});

test('two publishers: each member sees every offset exactly once (own replies + received messages)', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('duo');
  await bob.join('duo');
  const N = 60;
  const adaReplies = [];
  const bobReplies = [];
  for (let i = 0; i < N; i++) {
    adaReplies.push(ada.publish('duo', { from: 'ada', i }));
    bobReplies.push(bob.publish('duo', { from: 'bob', i }));
  }
  const adaOwn = (await Promise.all(adaReplies)).map((r) => r.offset);
  const bobOwn = (await Promise.all(bobReplies)).map((r) => r.offset);
  const adaGot = [];
  const bobGot = [];
  for (let i = 0; i < N; i++) adaGot.push((await ada.next(isMessage('duo'))).offset);
  for (let i = 0; i < N; i++) bobGot.push((await bob.next(isMessage('duo'))).offset);
  const all = Array.from({ length: 2 * N }, (_, i) => i + 1);
  assert.deepEqual([...adaOwn, ...adaGot].sort((a, b) => a - b), all);
  assert.deepEqual([...bobOwn, ...bobGot].sort((a, b) => a - b), all);
  assert.deepEqual(adaGot, [...adaGot].sort((a, b) => a - b), 'received in offset order');
  assert.deepEqual(bobGot, [...bobGot].sort((a, b) => a - b), 'received in offset order');
});

test('a repeated mid is not published again: duplicate:true with the first offset, one delivery', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('general');
  await bob.join('general');
  await ada.publish('general', { n: 0 });
  const first = await ada.publish('general', { n: 1 }, { mid: 'm-dup' });
  assert.equal(first.duplicate, false);
  assert.equal(first.offset, 2);
  const again = await ada.publish('general', { n: 1, retry: true }, { mid: 'm-dup' });
  assert.deepEqual(again, { room: 'general', offset: first.offset, epoch: first.epoch, duplicate: true });
  await bob.next(isMessage('general')); // n: 0
  const delivered = await bob.next(isMessage('general'));
  assert.equal(delivered.offset, 2);
  assert.equal(delivered.mid, 'm-dup');
  await bob.expectNothing((f) => f.op === 'message', 200);
  // No gap: the next publish gets the next offset.
  const next = await ada.publish('general', { n: 2 }, { mid: 'm-other' });
  assert.equal(next.offset, 3);
  assert.equal((await bob.next(isMessage('general'))).offset, 3);
});

test('the mid dedupe window covers all rooms of the sender; other anonymous connections have their own', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await ada.join('room-a');
  await ada.join('room-b');
  await bob.join('room-b');
  const first = await ada.publish('room-a', 'x', { mid: 'm-cross' });
  const second = await ada.publish('room-b', 'x', { mid: 'm-cross' });
  assert.equal(second.duplicate, true);
  assert.equal(second.offset, first.offset);
  await bob.expectNothing((f) => f.op === 'message', 150);
  // Another anonymous connection using the same mid is a different publisher.
  const own = await bob.publish('room-b', 'y', { mid: 'm-cross' });
  assert.equal(own.duplicate, false);
});

test('publishing needs membership; $ rooms are the server\'s; bad room ids are bad_request', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  let reply = await ada.request({ op: 'publish', room: 'not-joined', event: 'message', data: 1 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'forbidden');
  reply = await ada.request({ op: 'publish', room: '$server', event: 'message', data: 1 });
  assert.equal(reply.error.code, 'forbidden');
  for (const room of ['bad room', '', 'x'.repeat(129), 'ü']) {
    reply = await ada.request({ op: 'join', room });
    assert.equal(reply.ok, false, JSON.stringify(room));
    assert.equal(reply.error.code, 'bad_request', JSON.stringify(room));
  }
  reply = await ada.request({ op: 'join', room: 'A-z_0.9:@-' + 'x'.repeat(118) });
  assert.equal(reply.ok, true, '128 bytes of allowed characters is a valid room id');
  reply = await ada.request({ op: 'publish', room: 'A-z_0.9:@-' + 'x'.repeat(118), event: 'e'.repeat(65), data: 1 });
  assert.equal(reply.error.code, 'bad_request', 'event over 64 bytes');
  // A publish without ref that fails gets an error frame naming the op.
  ada.send({ op: 'publish', room: 'not-joined', event: 'message', data: 1 });
  const err = await ada.next('error');
  assert.equal(err.error.code, 'forbidden');
  assert.equal(err.op_of, 'publish');
});

test('history: newest without since, the first after since with complete=false when more follow', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const { epoch } = await ada.join('hist');
  for (let i = 1; i <= 5; i++) await ada.publish('hist', { i });
  const newest = await ada.call({ op: 'history', room: 'hist', limit: 3 });
  assert.equal(newest.room, 'hist');
  assert.equal(newest.epoch, epoch);
  assert.equal(newest.offset, 5);
  assert.deepEqual(newest.messages.map((m) => m.offset), [3, 4, 5]);
  assert.equal(newest.messages[0].op, 'message');
  assert.deepEqual(newest.messages[0].data, { i: 3 });
  assert.equal(newest.complete, true);

  const page = await ada.call({ op: 'history', room: 'hist', since: { epoch, offset: 1 }, limit: 2 });
  assert.deepEqual(page.messages.map((m) => m.offset), [2, 3]);
  assert.equal(page.complete, false);
  const rest = await ada.call({ op: 'history', room: 'hist', since: { epoch, offset: 3 }, limit: 10 });
  assert.deepEqual(rest.messages.map((m) => m.offset), [4, 5]);
  assert.equal(rest.complete, true);

  const outsider = await connect(server.wsUrl);
  const refused = await outsider.request({ op: 'history', room: 'hist' });
  assert.equal(refused.error.code, 'forbidden');
});

test('members lists every member with memberCount', async () => {
  const server = await startServer();
  const clients = [];
  for (let i = 0; i < 3; i++) {
    const c = await connect(server.wsUrl);
    await c.join('team', { info: { n: i } });
    clients.push(c);
  }
  const m = await clients[0].call({ op: 'members', room: 'team' });
  assert.equal(m.room, 'team');
  assert.equal(m.memberCount, 3);
  assert.deepEqual(new Set(m.members.map((x) => x.sid)), new Set(clients.map((c) => c.sid)));
  assert.deepEqual(m.members.map((x) => x.info.n).sort(), [0, 1, 2]);
});

test('frames without ref get no answer when they succeed', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const bob = await connect(server.wsUrl);
  await bob.join('quiet');
  ada.send({ op: 'join', room: 'quiet' });
  await bob.next((f) => f.op === 'presence' && f.action === 'join');
  ada.send({ op: 'publish', room: 'quiet', event: 'message', data: 1 });
  assert.equal((await bob.next(isMessage('quiet'))).offset, 1);
  ada.send({ op: 'leave', room: 'quiet' });
  await bob.next((f) => f.op === 'presence' && f.action === 'leave');
  await ada.expectNothing((f) => f.op === 'reply' || f.op === 'error', 150);
});

test('a failed publish does not consume its mid', async () => {
  const server = await startServer();
  const ada = await connect(server.wsUrl);
  const refused = await ada.request({ op: 'publish', room: 'later', event: 'message', data: 1, mid: 'm-later' });
  assert.equal(refused.error.code, 'forbidden');
  await ada.join('later');
  const r = await ada.publish('later', 1, { mid: 'm-later' });
  assert.equal(r.duplicate, false);
  assert.equal(r.offset, 1);
});
