// PROTOCOL.md section 1 (transport) and section 3 (connection start).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, expectRefusedUpgrade, closeAllClients, SUBPROTOCOL, sleep } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

// ---- subprotocol ------------------------------------------------------------

test('subprotocol brolostack.v1 is selected when offered', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl, { protocols: [SUBPROTOCOL] });
  assert.equal(c.ws.protocol, SUBPROTOCOL);
  assert.equal(typeof c.sid, 'string');
});

test('subprotocol brolostack.v1 is selected among other offers', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl, { protocols: ['chat.other', SUBPROTOCOL] });
  assert.equal(c.ws.protocol, SUBPROTOCOL);
});

test('a client that offers no subprotocol is accepted and can say hello', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl, { protocols: null });
  assert.equal(c.ws.protocol, '');
  assert.equal(c.hello.v, 1);
  c.send({ op: 'ping', ts: 5 });
  const pong = await c.next('pong');
  assert.equal(pong.ts, 5);
});

// ---- checks before the upgrade ---------------------------------------------

test('an upgrade on another path is refused with HTTP 404', async () => {
  const server = await startServer();
  const refused = await expectRefusedUpgrade(server.wsUrl.replace(/\/ws$/, '/not-the-endpoint'));
  assert.equal(refused.status, 404);
  // The right path still works.
  await connect(server.wsUrl);
});

test('Origin not in ALLOWED_ORIGINS is refused with 403; an allowed one and none are accepted', async () => {
  const server = await startServer({ ALLOWED_ORIGINS: 'https://good.example,https://also.example' });
  const refused = await expectRefusedUpgrade(server.wsUrl, { headers: { Origin: 'https://evil.example' } });
  assert.equal(refused.status, 403);
  const good = await connect(server.wsUrl, { headers: { Origin: 'https://good.example' } });
  assert.equal(good.isOpen, true);
  const also = await connect(server.wsUrl, { headers: { Origin: 'https://also.example' } });
  assert.equal(also.isOpen, true);
  const noOrigin = await connect(server.wsUrl); // ws sends no Origin header by default
  assert.equal(noOrigin.isOpen, true);
});

test('MAX_CONNECTIONS reached: HTTP 503 with Retry-After; a freed slot is usable again', async () => {
  const server = await startServer({ MAX_CONNECTIONS: 2 });
  const a = await connect(server.wsUrl);
  await connect(server.wsUrl);
  const refused = await expectRefusedUpgrade(server.wsUrl);
  assert.equal(refused.status, 503);
  const retryAfter = refused.headers['retry-after'];
  assert.ok(retryAfter !== undefined, 'Retry-After header present');
  assert.match(retryAfter, /^\d+$/);
  assert.ok(Number(retryAfter) > 0);

  await a.close();
  // The server sees the close shortly after the client does: retry a few times.
  let c = null;
  for (let i = 0; i < 20 && !c; i++) {
    try {
      c = await connect(server.wsUrl);
    } catch {
      await sleep(100);
    }
  }
  assert.ok(c, 'a connection succeeds once a slot is free');
});

test('invalid credentials at the upgrade are refused with 401 (X-API-Key, ?apiKey=, Bearer, ?token=)', async () => {
  const server = await startServer({ API_KEYS: 'web=secret1' });
  assert.equal((await expectRefusedUpgrade(server.wsUrl, { headers: { 'X-API-Key': 'wrong' } })).status, 401);
  assert.equal((await expectRefusedUpgrade(server.wsUrl, { query: { apiKey: 'wrong' } })).status, 401);
  assert.equal((await expectRefusedUpgrade(server.wsUrl, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
  assert.equal((await expectRefusedUpgrade(server.wsUrl, { query: { token: 'wrong' } })).status, 401);
});

test('valid credentials at the upgrade authenticate the connection (X-API-Key, ?apiKey=)', async () => {
  const server = await startServer({ API_KEYS: 'web=secret1' });
  const byHeader = await connect(server.wsUrl, { headers: { 'X-API-Key': 'secret1' } });
  assert.deepEqual(byHeader.hello.user, { id: 'key:web' });
  const byQuery = await connect(server.wsUrl, { query: { apiKey: 'secret1' } });
  assert.deepEqual(byQuery.hello.user, { id: 'key:web' });
  const anonymous = await connect(server.wsUrl);
  assert.equal(anonymous.hello.user, null);
});

test('CONNECTION_RATE_PER_IP: more new connections per minute get HTTP 429 with Retry-After', async () => {
  const server = await startServer({ CONNECTION_RATE_PER_IP: 3 });
  for (let i = 0; i < 3; i++) await connect(server.wsUrl);
  const refused = await expectRefusedUpgrade(server.wsUrl);
  assert.equal(refused.status, 429);
  assert.match(refused.headers['retry-after'] ?? '', /^\d+$/);
  assert.ok(Number(refused.headers['retry-after']) > 0);
  // HTTP requests are not upgrades: they are not counted.
  assert.equal((await fetch(`${server.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);
});

test('TRUSTED_PROXIES: behind a trusted proxy the per-IP limit counts X-Forwarded-For; otherwise the header is ignored', async () => {
  const behind = await startServer({ CONNECTION_RATE_PER_IP: 2, TRUSTED_PROXIES: '127.0.0.0/8' });
  const from = (ip) => ({ headers: { 'X-Forwarded-For': ip } });
  await connect(behind.wsUrl, from('198.51.100.1'));
  await connect(behind.wsUrl, from('198.51.100.1'));
  assert.equal((await expectRefusedUpgrade(behind.wsUrl, from('198.51.100.1'))).status, 429);
  await connect(behind.wsUrl, from('198.51.100.2'));  // another client behind the same proxy
  // A client forging an address in front of its own gains nothing.
  assert.equal((await expectRefusedUpgrade(behind.wsUrl, from('203.0.113.5, 198.51.100.1'))).status, 429);

  const direct = await startServer({ CONNECTION_RATE_PER_IP: 2 });
  await connect(direct.wsUrl, from('198.51.100.1'));
  await connect(direct.wsUrl, from('198.51.100.2'));
  assert.equal((await expectRefusedUpgrade(direct.wsUrl, from('198.51.100.3'))).status, 429, 'the header alone is not believed');
});

test('upgrade checks run in order: origin, then connection limit, then credentials', async () => {
  const server = await startServer({ ALLOWED_ORIGINS: 'https://good.example', API_KEYS: 'k', MAX_CONNECTIONS: 1 });
  // Bad origin and bad key: the origin is checked first.
  let r = await expectRefusedUpgrade(server.wsUrl, { headers: { Origin: 'https://evil.example', 'X-API-Key': 'bad' } });
  assert.equal(r.status, 403);
  await connect(server.wsUrl);
  // Full server and bad key: the limit is checked before the credentials.
  r = await expectRefusedUpgrade(server.wsUrl, { headers: { 'X-API-Key': 'bad' } });
  assert.equal(r.status, 503);
});

// ---- hello -------------------------------------------------------------------

test('hello reply carries sid, user, protocol, version, environment, heartbeat, capabilities and limits', async () => {
  const server = await startServer({
    HEARTBEAT_MS: 20000, MAX_MESSAGE_BYTES: 4096, RATE_LIMIT_RPM: 6000, MAX_ROOMS_PER_CONNECTION: 7,
  });
  const c = await connect(server.wsUrl, { hello: false });
  const reply = await c.request({ op: 'hello', ref: 1, v: 1, client: { name: 'node-test', version: '0.0.1' } });
  assert.equal(reply.op, 'reply');
  assert.equal(reply.ref, 1);
  assert.equal(reply.ok, true);
  const d = reply.data;
  assert.equal(typeof d.sid, 'string');
  assert.ok(d.sid.length > 0);
  assert.equal(d.user, null);
  assert.equal(d.protocol, 'ARGS');
  assert.equal(d.version, '1.0.0');
  assert.equal(d.v, 1);
  assert.equal(d.environment, 'test');
  assert.equal(d.heartbeatMs, 20000);
  assert.ok(Array.isArray(d.capabilities));
  for (const cap of ['rooms', 'presence', 'history', 'recovery']) assert.ok(d.capabilities.includes(cap), cap);
  assert.deepEqual(d.limits, { maxMessageBytes: 4096, rateLimitPerMinute: 6000, maxRoomsPerConnection: 7 });
  assert.deepEqual(d.rooms ?? {}, {});

  const other = await connect(server.wsUrl);
  assert.notEqual(other.sid, d.sid, 'each connection gets its own sid');
});

test('a first frame that is not hello closes with 4000', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl, { hello: false });
  c.send({ op: 'join', ref: 3, room: 'general' });
  const closed = await c.waitClose();
  assert.equal(closed.code, 4000);
  // The error is reported before the close.
  const err = c.all.find((f) => f.op === 'reply' || f.op === 'error');
  assert.ok(err, 'an error frame precedes the close');
  if (err.op === 'reply') assert.equal(err.ok, false);
});

test('a first frame that is not JSON, or binary, or a hello with v:2 closes with 4000', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl, { hello: false });
  a.send('hello?');
  assert.equal((await a.waitClose()).code, 4000);
  const b = await connect(server.wsUrl, { hello: false });
  b.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.equal((await b.waitClose()).code, 4000);
  const c = await connect(server.wsUrl, { hello: false });
  const reply = await c.request({ op: 'hello', ref: 1, v: 2 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'bad_request');
  assert.equal((await c.waitClose()).code, 4000);
});

test('no hello within HELLO_TIMEOUT_MS closes with 4008', async () => {
  const server = await startServer({ HELLO_TIMEOUT_MS: 400 });
  const c = await connect(server.wsUrl, { hello: false });
  const closed = await c.waitClose({ timeoutMs: 5000 });
  assert.equal(closed.code, 4008);
});

test('a client that said hello in time is not closed by the hello timeout', async () => {
  const server = await startServer({ HELLO_TIMEOUT_MS: 400 });
  const c = await connect(server.wsUrl);
  await sleep(900);
  assert.equal(c.isOpen, true);
  c.send({ op: 'ping', ts: 1 });
  assert.equal((await c.next('pong')).ts, 1);
});

test('a second hello is bad_request and the connection stays open', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const firstSid = c.sid;
  const reply = await c.request({ op: 'hello', ref: 2, v: 1 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'bad_request');
  assert.equal(c.isOpen, true);
  const joined = await c.join('after-second-hello');
  assert.equal(joined.members[0].sid, firstSid, 'the sid is unchanged');
});

test('ping is answered with pong echoing ts and a server time', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const before = Date.now();
  c.send({ op: 'ping', ts: 123 });
  const pong = await c.next('pong');
  assert.equal(pong.ts, 123);
  assert.equal(typeof pong.serverTs, 'number');
  assert.ok(Math.abs(pong.serverTs - before) < 60000, 'serverTs is epoch milliseconds');
  c.send({ op: 'ping', ts: 1732550000000.5 });
  assert.equal((await c.next('pong')).ts, 1732550000000.5);
});

test('WebSocket close from the client is clean (1000)', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const info = await c.close(1000);
  assert.equal(info.code, 1000);
  assert.equal(c.ws.readyState, WebSocket.CLOSED);
});
