// The client API users of centrifuge-js and socket.io-client reach for,
// against the real server: tokens from a getToken callback, room objects,
// once/off, and binary stream chunks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { waitFor, until } from './support/events.mjs';

const JWT_SECRET = 'client-api-test-secret';
const clients = [];
after(async () => {
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await stopAllServers();
});

function makeClient(url, extra = {}) {
  const c = new BrolostackWSClientside({ url, WebSocket, environment: 'development', storage: null, ...extra });
  clients.push(c);
  return c;
}

const b64url = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
function jwt(claims) {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${crypto.createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}
const expiringIn = (seconds, sub = 'ada') => jwt({ sub, exp: Math.floor(Date.now() / 1000) + seconds });
const handlerCount = (client) => client.listenerCount();

// ---- tokens ------------------------------------------------------------------

test('getToken gives the first token, and a fresh one when the server says it is expiring', async () => {
  const server = await startServer({ JWT_SECRET });
  // Both tokens expire within the server's one-minute warning, so the
  // warning comes at once; the second outlives the test.
  const tokens = [expiringIn(3), expiringIn(3600)];
  const asked = [];
  const client = makeClient(server.wsUrl, { autoConnect: false, getToken: async () => { asked.push(Date.now()); return tokens[asked.length - 1]; } });
  const drops = [];
  client.on('disconnected', (d) => drops.push(d.code));
  const welcome = await client.connect();
  assert.equal(welcome.user.id, 'ada', 'the hello carried the token getToken gave');
  await until(() => asked.length === 2, 'getToken asked again on token-expiring');
  // Without the refresh the server would close with 4002 at the first exp.
  await new Promise((r) => setTimeout(r, 3500));
  assert.deepEqual(drops, [], 'the refreshed connection stays open past the first token\'s exp');
  assert.equal(client.isConnected(), true);
});

test('after a close with 4002 the client asks getToken again and reconnects with the new token', async () => {
  const server = await startServer({ JWT_SECRET });
  // The refresh on token-expiring gets a token the server refuses (another
  // user's), so the server closes with 4002 at exp; the reconnect must ask
  // for a new token rather than present the expired one.
  const tokens = [expiringIn(2), expiringIn(3600, 'mallory'), expiringIn(3600)];
  let asked = 0;
  const client = makeClient(server.wsUrl, { autoConnect: false, reconnectionDelay: 50, reconnectionDelayMax: 100,
    getToken: () => tokens[Math.min(asked++, tokens.length - 1)] });
  const refused = waitFor(client, 'error', (e) => /token refresh failed/.test(e.message));
  await client.connect();
  assert.equal((await refused).data.code, 'forbidden');
  const dropped = waitFor(client, 'disconnected', (d) => d.code === 4002, 6000);
  const back = waitFor(client, 'reconnected', () => true, 8000);
  await dropped;
  await back;
  assert.equal(asked, 3, 'connect, expiring, and the reconnect after 4002 each asked once');
  assert.equal(client.getStats().reconnectCount, 1);
  assert.equal(client.isConnected(), true);
});

test('a failing getToken is reported and retried with backoff until it gives a token', async () => {
  const server = await startServer({ JWT_SECRET, BROLOSTACK_ENV: 'staging', ENABLE_ENCRYPTION: 'false' });
  let calls = 0;
  const client = makeClient(server.wsUrl, { autoConnect: false, reconnectionDelay: 20, reconnectionDelayMax: 50,
    getToken: async () => { calls += 1; if (calls < 3) throw new Error('auth service down'); return expiringIn(3600); } });
  const errors = [];
  client.on('error', (e) => errors.push(e));
  await client.connect();
  assert.equal(calls, 3);
  assert.equal(errors.length, 2);
  assert.equal(errors[0].code, 'unauthorized');
  assert.match(errors[0].message, /getToken failed: auth service down/);
});

test('getToken must be a function', () => {
  assert.throws(() => new BrolostackWSClientside({ getToken: 'jwt', autoConnect: false, WebSocket }), /getToken must be a function/);
});

// ---- rooms as objects ----------------------------------------------------------

test('client.room(): its own message, join, leave and named events, presence, history and leave', async () => {
  const server = await startServer();
  const ada = makeClient(server.wsUrl);
  const bob = makeClient(server.wsUrl);
  const general = ada.room('general', { title: 'General', info: { name: 'Ada' } });
  assert.equal(ada.room('general'), general, 'one object per joined room');
  const other = ada.room('other');
  await Promise.all([general.joined, other.joined]);

  const seen = { general: [], other: [], named: [], joins: [], leaves: [] };
  general.on('message', (frame) => seen.general.push(frame.data));
  other.on('message', (frame) => seen.other.push(frame.data));
  general.on('document-change', (data, frame) => seen.named.push([data, frame.room]));
  general.on('join', (member) => seen.joins.push(member.info.name));
  general.on('leave', (member) => seen.leaves.push(member.sid));

  const bobsGeneral = bob.room('general', { info: { name: 'Bob' } });
  await bobsGeneral.joined;
  await until(() => seen.joins.length === 1, 'the join presence');
  assert.deepEqual(seen.joins, ['Bob']);

  const presence = await general.presence();
  assert.equal(presence.memberCount, 2);
  assert.deepEqual(presence.members.map((m) => m.info.name).sort(), ['Ada', 'Bob']);

  await bobsGeneral.publish('document-change', { pos: 1 });
  await bob.sendToRoom('general', 'chat', { text: 'hi' });
  await until(() => seen.general.length === 2, 'both messages of general');
  assert.deepEqual(seen.general, [{ pos: 1 }, { text: 'hi' }]);
  assert.deepEqual(seen.named, [[{ pos: 1 }, 'general']]);
  assert.deepEqual(seen.other, [], 'a room hears only its own messages');

  const history = await general.history({ limit: 10 });
  assert.deepEqual(history.messages.map((m) => m.event), ['document-change', 'chat']);

  const listenersBefore = handlerCount(bob);
  await bobsGeneral.leave();
  await until(() => seen.leaves.length === 1, 'the leave presence');
  assert.ok(handlerCount(bob) < listenersBefore, 'leave() drops the room\'s listeners');
  assert.notEqual(bob.room('general'), bobsGeneral, 'a left room is a new object next time');
});

test('a room whose join is refused reports it on its error event and on joined', async () => {
  const server = await startServer();
  const ada = makeClient(server.wsUrl);
  const bad = ada.room('no spaces allowed');
  const reported = new Promise((resolve) => bad.on('error', resolve));
  await assert.rejects(bad.joined, (err) => err.code === 'bad_request');
  const error = await reported;
  assert.equal(error.code, 'bad_request');
  assert.equal(error.room, 'no spaces allowed');
});

test('once() runs a handler for one event; off() and the disposer remove handlers', async () => {
  const server = await startServer();
  const ada = makeClient(server.wsUrl);
  const bob = makeClient(server.wsUrl);
  await Promise.all([ada.joinRoom('r'), bob.joinRoom('r')]);
  const before = handlerCount(bob);
  const once = [];
  const always = [];
  bob.once('ping-event', (d) => once.push(d.n));
  const handler = (d) => always.push(d.n);
  bob.on('ping-event', handler);
  for (const n of [1, 2, 3]) await ada.sendToRoom('r', 'ping-event', { n });
  await until(() => always.length === 3, 'three events');
  assert.deepEqual(once, [1]);
  bob.off('ping-event', handler);
  assert.equal(handlerCount(bob), before, 'once and off leave no handler behind');
});

// ---- binary streams ------------------------------------------------------------

test('binary stream chunks go out as Uint8Array and arrive as Uint8Array, byte for byte', async () => {
  const server = await startServer();
  const sender = makeClient(server.wsUrl);
  const receiver = makeClient(server.wsUrl);
  await receiver.send('join-session', 'media');
  await sender.send('join-session', 'media');
  await sender.send('start-stream', { streamId: 'audio', type: 'binary', qualityOfService: 'guaranteed' });
  const chunks = [];
  receiver.on('stream-data', (c) => { if (c.streamId === 'audio' && c.chunk instanceof Uint8Array) chunks.push(c); });
  const payloads = [new Uint8Array([0, 1, 2, 255, 128]), crypto.randomBytes(4096), new Uint8Array(0)];
  for (const [seq, chunk] of payloads.entries()) {
    // The session comes from the last join-session when the data names none.
    const sent = await sender.send('stream-chunk', { streamId: 'audio', seq, chunk, isLast: seq === payloads.length - 1 });
    assert.deepEqual(sent, { streamId: 'audio', seq });
  }
  await until(() => chunks.length === payloads.length, 'every chunk');
  assert.deepEqual(chunks.map((c) => c.seq), [0, 1, 2]);
  for (const [i, c] of chunks.entries()) assert.deepEqual(Buffer.from(c.chunk), Buffer.from(payloads[i]));
  assert.equal(chunks[2].isLast, true);
  assert.equal(chunks[0].sessionId, 'media');
});

test('a refused binary chunk comes back as an error; a chunk offline is refused at once', async () => {
  const server = await startServer();
  const sender = makeClient(server.wsUrl);
  await sender.send('join-session', 'media');
  const refused = waitFor(sender, 'error', (e) => e?.code !== undefined);
  await sender.send('stream-chunk', { sessionId: 'media', streamId: 'never-started', seq: 0, chunk: new Uint8Array([1]) });
  assert.ok(['not_found', 'forbidden', 'bad_request'].includes((await refused).data.code));
  await assert.rejects(sender.send('stream-chunk', { streamId: 'x', seq: -1, chunk: new Uint8Array(1) }), (e) => e.code === 'bad_request');
  await sender.disconnect();
  await assert.rejects(sender.send('stream-chunk', { streamId: 'x', seq: 0, chunk: new Uint8Array(1) }), (e) => e.code === 'unavailable');
});

// ---- defaults ------------------------------------------------------------------

test('an unknown environment is refused with the names it may take', () => {
  assert.throws(() => new BrolostackWSClientside({ environment: 'prod', autoConnect: false, WebSocket }),
    /environment must be one of development, test, staging, production; got 'prod'/);
});
