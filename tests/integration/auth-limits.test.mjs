// Authentication (PROTOCOL.md section 4) and per-connection limits.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, expectRefusedUpgrade, http, rawUpgrade, sleep } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const AUTH = { API_KEY_REQUIRED: 'true', API_KEYS: 'web=secret1' };
const JWT_SECRET = 'integration-secret';

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An HS256 JWT (or alg none) signed with secret. */
function jwt(claims, { secret = JWT_SECRET, alg = 'HS256' } = {}) {
  const head = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`;
  if (alg === 'none') return `${head}.`;
  return `${head}.${crypto.createHmac('sha256', secret).update(head).digest('base64url')}`;
}
const inSeconds = (s) => Math.floor(Date.now() / 1000) + s;

// ---- limits --------------------------------------------------------------------

test('MAX_ROOMS_PER_CONNECTION: one more room is limit_exceeded; re-joining and leaving work', async () => {
  const server = await startServer({ MAX_ROOMS_PER_CONNECTION: 3 });
  const c = await connect(server.wsUrl);
  assert.equal(c.hello.limits.maxRoomsPerConnection, 3);
  for (const room of ['r1', 'r2', 'r3']) await c.join(room);
  const refused = await c.request({ op: 'join', room: 'r4' });
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'limit_exceeded');
  // Not a member of r4.
  const pub = await c.request({ op: 'publish', room: 'r4', event: 'message', data: 1 });
  assert.equal(pub.error.code, 'forbidden');
  // Re-joining a room already joined is fine at the limit.
  assert.equal((await c.request({ op: 'join', room: 'r1' })).ok, true);
  await c.call({ op: 'leave', room: 'r1' });
  assert.equal((await c.request({ op: 'join', room: 'r4' })).ok, true);
  // The limit is per connection.
  const other = await connect(server.wsUrl);
  for (const room of ['r1', 'r2', 'r3']) await other.join(room);
});

test('MAX_ROOMS_PER_CONNECTION applies to hello.resume.rooms too', async () => {
  const server = await startServer({ MAX_ROOMS_PER_CONNECTION: 2 });
  const positions = {};
  for (const room of ['a1', 'a2', 'a3']) {
    const r = await http(server.httpUrl, 'POST', '/api/v1/publish', { body: { room, event: 'seed', data: 1 } });
    assert.equal(r.status, 200);
    positions[room] = { epoch: r.json.epoch, offset: 0 };
  }
  const c = await connect(server.wsUrl, { hello: { resume: { rooms: positions } } });
  const joined = Object.values(c.hello.rooms).filter((r) => !r.error);
  assert.equal(joined.length, 2);
  const refused = Object.values(c.hello.rooms).filter((r) => r.error);
  assert.equal(refused.length, 1);
  assert.equal(refused[0].error.code, 'limit_exceeded');
  assert.equal(refused[0].recovered, false);
});

test('RATE_LIMIT_RPM=60: after the burst of 10 frames, rate_limited with details.retryAfterMs', async () => {
  const server = await startServer({ RATE_LIMIT_RPM: 60 });
  const c = await connect(server.wsUrl); // hello is frame 1 of the burst
  assert.equal(c.hello.limits.rateLimitPerMinute, 60);
  const replies = [];
  for (let i = 0; i < 12; i++) replies.push(c.request({ op: 'join', room: 'rl' }));
  const got = await Promise.all(replies);
  const okCount = got.findIndex((r) => !r.ok);
  assert.ok(okCount >= 9 && okCount <= 10, `frames accepted before the limit: ${okCount} (+ hello)`);
  assert.ok(got.slice(0, okCount).every((r) => r.ok));
  const limited = got[okCount];
  assert.equal(limited.error.code, 'rate_limited');
  assert.equal(typeof limited.error.details.retryAfterMs, 'number');
  assert.ok(limited.error.details.retryAfterMs > 0 && limited.error.details.retryAfterMs <= 1000,
    `retryAfterMs ${limited.error.details.retryAfterMs}`);
  assert.ok(got.slice(okCount).every((r) => r.error?.code === 'rate_limited'));

  // Frames without ref get an error frame.
  c.send({ op: 'join', room: 'rl' });
  const err = await c.next('error');
  assert.equal(err.error.code, 'rate_limited');

  // ping is not counted: it is answered while limited.
  c.send({ op: 'ping', ts: 9 });
  assert.equal((await c.next('pong')).ts, 9);
  assert.equal(c.isOpen, true);

  // After retryAfterMs a frame gets through again.
  await sleep(limited.error.details.retryAfterMs + 200);
  assert.equal((await c.request({ op: 'members', room: 'rl' })).ok, true);
});

test('rate limits are per connection', async () => {
  const server = await startServer({ RATE_LIMIT_RPM: 60 });
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  const burst = [];
  for (let i = 0; i < 12; i++) burst.push(a.request({ op: 'join', room: 'x' }));
  assert.ok((await Promise.all(burst)).some((r) => r.error?.code === 'rate_limited'));
  assert.equal((await b.request({ op: 'join', room: 'x' })).ok, true);
});

// ---- authentication --------------------------------------------------------------

test('API_KEY_REQUIRED: hello without credentials gets unauthorized and close 4001', async () => {
  const server = await startServer(AUTH);
  const c = await connect(server.wsUrl, { hello: false });
  const reply = await c.request({ op: 'hello', ref: 1, v: 1 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'unauthorized');
  assert.equal((await c.waitClose()).code, 4001);
});

test('API_KEY_REQUIRED: hello with a wrong apiKey gets unauthorized and close 4001', async () => {
  const server = await startServer(AUTH);
  const c = await connect(server.wsUrl, { hello: false });
  const reply = await c.request({ op: 'hello', ref: 1, v: 1, apiKey: 'secret2' });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'unauthorized');
  assert.equal((await c.waitClose()).code, 4001);
});

test('API_KEY_REQUIRED: hello with apiKey authenticates as {"id":"key:web"}', async () => {
  const server = await startServer(AUTH);
  const c = await connect(server.wsUrl, { hello: { apiKey: 'secret1' } });
  assert.deepEqual(c.hello.user, { id: 'key:web' });
  // The user shows in membership and in messages.
  const other = await connect(server.wsUrl, { hello: { apiKey: 'secret1' } });
  const joined = await c.join('secure');
  assert.equal(joined.members[0].user, 'key:web');
  await other.join('secure');
  await c.publish('secure', 'hi');
  const msg = await other.next('message');
  assert.deepEqual(msg.from, { sid: c.sid, user: 'key:web' });
});

test('API_KEY_REQUIRED: credentials at the upgrade work (Authorization: Bearer, X-API-Key, ?apiKey=)', async () => {
  const server = await startServer(AUTH);
  const bearer = await connect(server.wsUrl, { headers: { Authorization: 'Bearer secret1' } });
  assert.deepEqual(bearer.hello.user, { id: 'key:web' });
  const header = await connect(server.wsUrl, { headers: { 'X-API-Key': 'secret1' } });
  assert.deepEqual(header.hello.user, { id: 'key:web' });
  const query = await connect(server.wsUrl, { query: { apiKey: 'secret1' } });
  assert.deepEqual(query.hello.user, { id: 'key:web' });
});

test('unnamed API keys are key:1, key:2 by position', async () => {
  const server = await startServer({ API_KEY_REQUIRED: 'true', API_KEYS: 'first-secret,second-secret' });
  const c = await connect(server.wsUrl, { hello: { apiKey: 'second-secret' } });
  assert.deepEqual(c.hello.user, { id: 'key:2' });
  const d = await connect(server.wsUrl, { hello: { apiKey: 'first-secret' } });
  assert.deepEqual(d.hello.user, { id: 'key:1' });
});

test('mids are remembered per user: another connection of the same user gets duplicate:true', async () => {
  const server = await startServer(AUTH);
  const one = await connect(server.wsUrl, { hello: { apiKey: 'secret1' } });
  const two = await connect(server.wsUrl, { hello: { apiKey: 'secret1' } });
  await one.join('u');
  await two.join('u');
  const first = await one.publish('u', 1, { mid: 'user-mid' });
  const second = await two.publish('u', 1, { mid: 'user-mid' });
  assert.equal(second.duplicate, true);
  assert.equal(second.offset, first.offset);
});

test('HTTP API needs the key (401 without) while /healthz, /readyz and /metrics stay open', async () => {
  const server = await startServer(AUTH);
  const without = await http(server.httpUrl, 'GET', '/api/v1/stats');
  assert.equal(without.status, 401);
  assert.equal(without.json.error.code, 'unauthorized');
  assert.equal((await http(server.httpUrl, 'GET', '/api/v1/stats', { headers: { 'X-API-Key': 'nope' } })).status, 401);
  assert.equal((await http(server.httpUrl, 'GET', '/api/v1/stats', { headers: { Authorization: 'Bearer nope' } })).status, 401);
  const viaHeader = await http(server.httpUrl, 'GET', '/api/v1/stats', { headers: { 'X-API-Key': 'secret1' } });
  assert.equal(viaHeader.status, 200);
  assert.equal(viaHeader.json.environment, 'test');
  const viaBearer = await http(server.httpUrl, 'GET', '/api/v1/stats', { headers: { Authorization: 'Bearer secret1' } });
  assert.equal(viaBearer.status, 200);
  const publish = await http(server.httpUrl, 'POST', '/api/v1/publish', { body: { room: 'r', event: 'e', data: 1 } });
  assert.equal(publish.status, 401, 'POST endpoints too');
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);
  assert.equal((await http(server.httpUrl, 'GET', '/readyz')).status, 200);
  assert.equal((await http(server.httpUrl, 'GET', '/metrics')).status, 200);
});

test('a connection that keeps sending while rate limited for 10 s is closed with 4029', async () => {
  // 1 frame per minute: hello takes the only token, everything after is limited.
  const server = await startServer({ RATE_LIMIT_RPM: 1 });
  const c = await connect(server.wsUrl);
  c.send({ op: 'members', room: 'x', ref: 2 });
  assert.equal((await c.next((f) => f.ref === 2)).error.code, 'rate_limited');
  for (let i = 0; i < 60 && c.isOpen; i++) {
    c.send({ op: 'members', room: 'x' });
    await sleep(250);
  }
  const closed = await c.waitClose({ timeoutMs: 2000 });
  assert.equal(closed.code, 4029);
});

test('a member that does not read is closed as a slow consumer (4090); the publisher is unaffected', async () => {
  const server = await startServer({ MAX_BUFFERED_BYTES: 65536 });
  const slow = await rawUpgrade(server.port);
  slow.sendText('{"op":"hello","ref":1,"v":1}');
  slow.sendText('{"op":"join","ref":2,"room":"firehose"}');
  await slow.waitFrame((f) => f.opcode === 0x1 && /"ref":2/.test(f.payload.toString()), 5000, 'the join reply');
  slow.socket.pause(); // stop reading: the server's writes back up
  const pub = await connect(server.wsUrl);
  await pub.join('firehose');
  const chunk = 'x'.repeat(60000);
  let closedSlow = false;
  for (let round = 0; round < 20 && !closedSlow; round++) {
    const batch = [];
    for (let i = 0; i < 20; i++) batch.push(pub.publish('firehose', chunk));
    await Promise.all(batch);
    const stats = await http(server.httpUrl, 'GET', '/api/v1/stats');
    closedSlow = stats.json.slowConsumerDisconnects >= 1;
  }
  assert.equal(closedSlow, true, 'stats.slowConsumerDisconnects counts the slow member');
  assert.equal(pub.isOpen, true);
  // Reading again, the slow member finds a close 4090 after what was queued.
  slow.socket.resume();
  const close = await slow.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
  assert.equal(close.closeCode, 4090);
  // The publisher goes on.
  const after = await pub.publish('firehose', 'still here');
  assert.ok(after.offset > 1);
});

test('rate limits count binary frames as well (every client frame except ping)', async () => {
  const server = await startServer({ RATE_LIMIT_RPM: 60, PROTOCOL_ERROR_LIMIT: 100 });
  const c = await connect(server.wsUrl);
  for (let i = 0; i < 12; i++) c.send(Buffer.from([i]), { binary: true });
  const codes = [];
  for (let i = 0; i < 12; i++) codes.push((await c.next('error')).error.code);
  assert.ok(codes.includes('rate_limited'), `answers to 12 binary frames: ${codes.join(',')}`);
});

// ---- JWT (HS256) ------------------------------------------------------------------

test('JWT in hello: sub and name become the user; a rooms claim limits joins', async () => {
  const server = await startServer({ JWT_SECRET, API_KEY_REQUIRED: 'true' });
  const token = jwt({ sub: 'u1', name: 'Ada', exp: inSeconds(3600), rooms: ['general', 'doc-*'] });
  const c = await connect(server.wsUrl, { hello: { token } });
  assert.deepEqual(c.hello.user, { id: 'u1', name: 'Ada' });
  assert.equal((await c.request({ op: 'join', room: 'general' })).ok, true);
  assert.equal((await c.request({ op: 'join', room: 'doc-42' })).ok, true);
  const refused = await c.request({ op: 'join', room: 'secret-room' });
  assert.equal(refused.error.code, 'forbidden');
  // At the upgrade as a bearer token too.
  const viaHeader = await connect(server.wsUrl, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(viaHeader.hello.user.id, 'u1');
});

test('JWT: wrong signature, alg none, expired or missing sub are unauthorized with close 4001', async () => {
  const server = await startServer({ JWT_SECRET, API_KEY_REQUIRED: 'true' });
  const bad = {
    'wrong secret': jwt({ sub: 'u1', exp: inSeconds(3600) }, { secret: 'other' }),
    'alg none': jwt({ sub: 'u1', exp: inSeconds(3600) }, { alg: 'none' }),
    'expired': jwt({ sub: 'u1', exp: inSeconds(-120) }),
    'no sub': jwt({ exp: inSeconds(3600) }),
    'no exp where auth is required': jwt({ sub: 'u1' }),
  };
  for (const [what, token] of Object.entries(bad)) {
    const c = await connect(server.wsUrl, { hello: false });
    const reply = await c.request({ op: 'hello', ref: 1, v: 1, token });
    assert.equal(reply.ok, false, what);
    assert.equal(reply.error.code, 'unauthorized', what);
    assert.equal((await c.waitClose()).code, 4001, what);
  }
  const refused = await expectRefusedUpgrade(server.wsUrl, { headers: { Authorization: `Bearer ${bad['wrong secret']}` } });
  assert.equal(refused.status, 401);
});

test('JWT near exp: expiring is sent, refresh extends it, and without refresh the close is 4002', async () => {
  const server = await startServer({ JWT_SECRET });
  const c = await connect(server.wsUrl, { hello: { token: jwt({ sub: 'u1', exp: inSeconds(30) }) } });
  const warning = await c.next('expiring');
  assert.ok(warning.inMs > 0 && warning.inMs <= 60000, `inMs ${warning.inMs}`);
  const newExp = inSeconds(3600);
  const refreshed = await c.call({ op: 'refresh', token: jwt({ sub: 'u1', exp: newExp }) });
  assert.deepEqual(refreshed, { exp: newExp });
  const other = await c.request({ op: 'refresh', token: jwt({ sub: 'u2', exp: newExp }) });
  assert.equal(other.error.code, 'forbidden', 'a token for another user');

  const short = await connect(server.wsUrl, { hello: { token: jwt({ sub: 'u3', exp: inSeconds(2) }) } });
  await short.next('expiring');
  assert.equal((await short.waitClose({ timeoutMs: 6000 })).code, 4002);
});

test('a client that asks for more than it reads is closed as a slow consumer too (4090), whatever fills its buffer', async () => {
  const server = await startServer({ MAX_BUFFERED_BYTES: 65536, MAX_MESSAGE_BYTES: 262144 });
  const pub = await connect(server.wsUrl);
  await pub.join('archive');
  for (let i = 0; i < 20; i++) await pub.publish('archive', 'y'.repeat(60000));
  const slow = await rawUpgrade(server.port);
  slow.sendText('{"op":"hello","ref":1,"v":1}');
  slow.sendText('{"op":"join","ref":2,"room":"archive"}');
  await slow.waitFrame((f) => f.opcode === 0x1 && /"ref":2/.test(f.payload.toString()), 5000, 'the join reply');
  slow.socket.pause();
  // Replies to its own requests, not room traffic, back up this time.
  for (let ref = 3; ref < 40; ref++) slow.sendText(`{"op":"history","ref":${ref},"room":"archive","limit":20}`);
  let closed = false;
  for (let i = 0; i < 50 && !closed; i++) {
    const stats = await http(server.httpUrl, 'GET', '/api/v1/stats');
    closed = stats.json.slowConsumerDisconnects >= 1;
    if (!closed) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(closed, true, 'the reader that stopped reading is counted as a slow consumer');
  slow.socket.resume();
  const close = await slow.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
  assert.equal(close.closeCode, 4090);
  assert.equal(pub.isOpen, true);
});

test('a connection sending past INBOUND_BYTES_PER_SECOND is read from more slowly; others are answered meanwhile', async () => {
  const server = await startServer({ INBOUND_BYTES_PER_SECOND: 131072, MAX_MESSAGE_BYTES: 65536 });
  const heavy = await connect(server.wsUrl);
  await heavy.join('uploads');
  const bystander = await connect(server.wsUrl);
  // 8 frames of 60 KiB at 128 KiB a second: about 3 s of reading.
  const sent = Array.from({ length: 8 }, (_, i) => heavy.request({ op: 'publish', room: 'uploads', event: 'chunk', data: `${i}:${'z'.repeat(60000)}` }));
  await sleep(300);
  const early = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json;
  assert.ok(early.inboundPauses >= 1, 'the heavy connection was paused');
  const history = await http(server.httpUrl, 'GET', '/api/v1/rooms/uploads/history?limit=100');
  assert.ok(history.json.messages.length < 8, `${history.json.messages.length} of 8 read so far`);
  // The bystander is answered while the heavy connection waits.
  bystander.send({ op: 'ping', ts: 7 });
  assert.equal((await bystander.next((f) => f.op === 'pong')).ts, 7);
  // Nothing is lost: every frame is read in the end, in order.
  const replies = await Promise.all(sent);
  assert.deepEqual(replies.map((r) => r.ok), Array(8).fill(true));
  assert.deepEqual(replies.map((r) => r.data.offset), [1, 2, 3, 4, 5, 6, 7, 8]);
});
