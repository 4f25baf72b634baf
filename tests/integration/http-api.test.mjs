// The server's HTTP API on the same port (PROTOCOL.md sections 8 and 10).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, http } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const isMessage = (room) => (f) => f.op === 'message' && f.room === room;

test('/healthz answers {"status":"ok"} and /readyz 200 while accepting connections', async () => {
  const server = await startServer();
  const health = await http(server.httpUrl, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok' });
  assert.match(health.headers.get('content-type'), /json/);
  const ready = await http(server.httpUrl, 'GET', '/readyz');
  assert.equal(ready.status, 200);
});

test('HTTP answers say Connection: close, so keep-alive clients never reuse a closing socket', async () => {
  const server = await startServer();
  const first = await http(server.httpUrl, 'GET', '/healthz');
  assert.equal(first.headers.get('connection'), 'close');
  const missing = await http(server.httpUrl, 'DELETE', '/api/v1/sessions/none/tasks/none');
  assert.equal(missing.headers.get('connection'), 'close');
  // fetch pools connections: back-to-back requests all succeed.
  for (let i = 0; i < 100; i += 1) {
    const method = i % 2 ? 'GET' : 'DELETE';
    const r = await http(server.httpUrl, method, i % 2 ? '/healthz' : '/api/v1/sessions/none/tasks/none');
    assert.equal(r.status, i % 2 ? 200 : 404);
  }
});

test('/metrics is Prometheus text and follows the connection count', async () => {
  const server = await startServer();
  await connect(server.wsUrl);
  await connect(server.wsUrl);
  const res = await http(server.httpUrl, 'GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  const lines = res.text.split('\n').filter((l) => l.length > 0);
  assert.ok(lines.length > 0);
  const samples = new Map();
  for (const line of lines) {
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+/, line);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)( \d+)?$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    assert.ok(!Number.isNaN(Number(m[3])) || /^[+-]?Inf$|^NaN$/.test(m[3]), line);
    samples.set(m[1], Number(m[3]));
  }
  assert.match(res.text, /# TYPE brolostack_connected_clients gauge/);
  assert.equal(samples.get('brolostack_connected_clients'), 2);
});

test('/api/v1/stats has the fields of section 10 and counts connections, rooms and traffic', async () => {
  const server = await startServer();
  const before = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json;
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  await a.join('s1');
  await b.join('s1');
  await a.publish('s1', { hello: 'stats' });
  await b.next(isMessage('s1'));
  const res = await http(server.httpUrl, 'GET', '/api/v1/stats');
  assert.equal(res.status, 200);
  const s = res.json;
  for (const field of ['activeSessions', 'connectedClients', 'totalAgents', 'activeStreams', 'totalTasks',
    'completedTasks', 'errorRate', 'avgExecutionTime', 'uptime', 'rooms', 'messagesIn', 'messagesOut', 'bytesIn',
    'bytesOut', 'droppedMessages', 'slowConsumerDisconnects']) {
    assert.equal(typeof s[field], 'number', `stats.${field} is a number`);
    assert.ok(s[field] >= 0, `stats.${field} >= 0`);
  }
  assert.equal(s.environment, 'test');
  assert.equal(s.connectedClients, 2);
  assert.equal(before.connectedClients, 0);
  assert.ok(s.rooms >= 1);
  assert.ok(s.messagesIn >= before.messagesIn + 5, 'hello x2, join x2, publish');
  assert.ok(s.messagesOut > before.messagesOut);
  assert.ok(s.bytesIn > before.bytesIn);
  assert.ok(s.bytesOut > before.bytesOut);
  assert.ok(s.uptime >= before.uptime);
});

test('POST /api/v1/publish delivers to room members and answers offset and epoch', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  const joined = await a.join('news');
  await b.join('news');
  await a.publish('news', { first: true });
  const res = await http(server.httpUrl, 'POST', '/api/v1/publish', {
    body: { room: 'news', event: 'announcement', data: { text: 'from the backend' } },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { offset: 2, epoch: joined.epoch });
  for (const c of [a, b]) {
    const msg = await c.next((f) => f.op === 'message' && f.event === 'announcement');
    assert.equal(msg.room, 'news');
    assert.deepEqual(msg.data, { text: 'from the backend' });
    assert.equal(msg.offset, 2);
    assert.equal(msg.epoch, joined.epoch);
  }
  // It is part of the room's history.
  const h = await a.call({ op: 'history', room: 'news' });
  assert.deepEqual(h.messages.map((m) => m.event), ['message', 'announcement']);
});

test('POST /api/v1/publish rejects bad bodies with 400 and JSON errors', async () => {
  const server = await startServer();
  for (const body of ['not json', '[]', JSON.stringify({ event: 'e' }), JSON.stringify({ room: 'bad room', event: 'e' }),
    JSON.stringify({ room: 'r', event: '' }), JSON.stringify({ room: 'r', event: 5 })]) {
    const res = await http(server.httpUrl, 'POST', '/api/v1/publish', { body });
    assert.equal(res.status, 400, body);
    assert.equal(res.json.error.code, 'bad_request', body);
    assert.equal(typeof res.json.error.message, 'string');
  }
});

test('POST /api/v1/broadcast publishes to every listed room', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  await a.join('b1');
  await b.join('b2');
  const res = await http(server.httpUrl, 'POST', '/api/v1/broadcast', {
    body: { rooms: ['b1', 'b2'], event: 'maintenance', data: { at: 1 } },
  });
  assert.equal(res.status, 200);
  assert.deepEqual((await a.next(isMessage('b1'))).data, { at: 1 });
  assert.deepEqual((await b.next(isMessage('b2'))).data, { at: 1 });
});

test('GET /api/v1/rooms/{room}/members lists the members; unknown rooms are 404', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  await a.join('lobby', { info: { name: 'Ada' } });
  await b.join('lobby', { info: { name: 'Bob' } });
  const res = await http(server.httpUrl, 'GET', '/api/v1/rooms/lobby/members');
  assert.equal(res.status, 200);
  assert.equal(res.json.room, 'lobby');
  assert.equal(res.json.memberCount, 2);
  const bySid = Object.fromEntries(res.json.members.map((m) => [m.sid, m]));
  assert.deepEqual(bySid[a.sid], { sid: a.sid, user: null, info: { name: 'Ada' } });
  assert.deepEqual(bySid[b.sid], { sid: b.sid, user: null, info: { name: 'Bob' } });
  const missing = await http(server.httpUrl, 'GET', '/api/v1/rooms/nowhere/members');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'not_found');
});

test('GET /api/v1/rooms/{room}/history pages like the history op', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  const { epoch } = await a.join('log');
  for (let i = 1; i <= 5; i++) await a.publish('log', { i });
  let res = await http(server.httpUrl, 'GET', '/api/v1/rooms/log/history?limit=2');
  assert.equal(res.status, 200);
  assert.equal(res.json.room, 'log');
  assert.equal(res.json.epoch, epoch);
  assert.equal(res.json.offset, 5);
  assert.deepEqual(res.json.messages.map((m) => m.offset), [4, 5]);
  assert.equal(res.json.complete, true);
  res = await http(server.httpUrl, 'GET', `/api/v1/rooms/log/history?sinceOffset=1&epoch=${epoch}&limit=2`);
  assert.deepEqual(res.json.messages.map((m) => m.data.i), [2, 3]);
  assert.equal(res.json.complete, false);
  res = await http(server.httpUrl, 'GET', `/api/v1/rooms/log/history?sinceOffset=3&epoch=${epoch}`);
  assert.deepEqual(res.json.messages.map((m) => m.offset), [4, 5]);
  assert.equal(res.json.complete, true);
  res = await http(server.httpUrl, 'GET', '/api/v1/rooms/log/history?sinceOffset=1&epoch=other');
  assert.equal(res.status, 409, 'another epoch is a conflict');
  res = await http(server.httpUrl, 'GET', '/api/v1/rooms/log/history?limit=abc');
  assert.equal(res.status, 400);
  res = await http(server.httpUrl, 'GET', '/api/v1/rooms/nowhere/history');
  assert.equal(res.status, 404);
});

test('POST /api/v1/disconnect {sid} closes that client with 4003 and only that one', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  await a.join('room');
  await b.join('room');
  const res = await http(server.httpUrl, 'POST', '/api/v1/disconnect', { body: { sid: b.sid } });
  assert.equal(res.status, 200);
  const closed = await b.waitClose();
  assert.equal(closed.code, 4003);
  const leave = await a.next((f) => f.op === 'presence' && f.action === 'leave');
  assert.equal(leave.member.sid, b.sid);
  assert.equal(a.isOpen, true);
  const none = await http(server.httpUrl, 'POST', '/api/v1/disconnect', { body: { sid: 'c-nobody' } });
  assert.equal(none.status, 200);
  const bad = await http(server.httpUrl, 'POST', '/api/v1/disconnect', { body: {} });
  assert.equal(bad.status, 400);
  assert.equal(a.isOpen, true);
});

test('POST /api/v1/disconnect {user} closes every connection of that user with 4003', async () => {
  const server = await startServer({ API_KEYS: 'web=secret1,ops=secret2' });
  const web1 = await connect(server.wsUrl, { hello: { apiKey: 'secret1' } });
  const web2 = await connect(server.wsUrl, { hello: { apiKey: 'secret1' } });
  const ops = await connect(server.wsUrl, { hello: { apiKey: 'secret2' } });
  const res = await http(server.httpUrl, 'POST', '/api/v1/disconnect', { body: { user: 'key:web' } });
  assert.equal(res.status, 200);
  assert.equal((await web1.waitClose()).code, 4003);
  assert.equal((await web2.waitClose()).code, 4003);
  assert.equal(ops.isOpen, true);
});

test('unknown API paths are 404 with a JSON error', async () => {
  const server = await startServer();
  const res = await http(server.httpUrl, 'GET', '/api/v1/nothing-here');
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, 'not_found');
});

test('room ids with : and @ work percent-encoded in API paths', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  await a.join('team:ops@acme');
  const res = await http(server.httpUrl, 'GET', `/api/v1/rooms/${encodeURIComponent('team:ops@acme')}/members`);
  assert.equal(res.status, 200);
  assert.equal(res.json.room, 'team:ops@acme');
  assert.equal(res.json.memberCount, 1);
});

test('a POST body larger than MAX_MESSAGE_BYTES is refused with 413', async () => {
  const server = await startServer({ MAX_MESSAGE_BYTES: 1024 });
  const res = await http(server.httpUrl, 'POST', '/api/v1/publish', {
    body: { room: 'r', event: 'e', data: 'x'.repeat(5000) },
  });
  assert.equal(res.status, 413);
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);
});
