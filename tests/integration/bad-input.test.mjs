// Malformed input (PROTOCOL.md section 2): errors, never a crash, and the
// connection stays usable until the protocol error limit.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, http, rawUpgrade } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

/** The connection is open and answers: ping/pong round trip. */
async function assertAlive(c, ts = 42) {
  assert.equal(c.isOpen, true, 'connection still open');
  c.send({ op: 'ping', ts });
  assert.equal((await c.next((f) => f.op === 'pong' && f.ts === ts)).ts, ts);
}

/** Sends one bad frame without ref and returns the error frame it caused. */
async function errorFor(c, frame, opts) {
  c.send(frame, opts);
  const e = await c.next('error');
  assert.equal(typeof e.error.message, 'string');
  return e.error;
}

test('non-JSON text is bad_request and the connection stays open', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  assert.equal((await errorFor(c, 'this is not json')).code, 'bad_request');
  assert.equal((await errorFor(c, '{"op":"join",')).code, 'bad_request');
  assert.equal((await errorFor(c, '')).code, 'bad_request');
  await assertAlive(c);
});

test('JSON that is not an object is bad_request and the connection stays open', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  for (const text of ['[1,2,3]', '"hello"', '42', 'null', 'true']) {
    assert.equal((await errorFor(c, text)).code, 'bad_request', text);
  }
  await assertAlive(c);
});

test('an unknown op is unknown_op (as a reply when it has a ref) and the connection stays open', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const reply = await c.request({ op: 'frobnicate', ref: 9 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'unknown_op');
  assert.equal((await errorFor(c, { op: 'frobnicate' })).code, 'unknown_op');
  assert.equal((await errorFor(c, { noop: true })).code, 'bad_request', 'missing op');
  assert.equal((await errorFor(c, { op: 7 })).code, 'bad_request', 'op not a string');
  await assertAlive(c);
});

test('wrong field types are bad_request and change nothing', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const other = await connect(server.wsUrl);
  await other.join('typed');
  const cases = [
    { op: 'join', room: 42 },
    { op: 'join', room: 'typed', info: 'not-an-object' },
    { op: 'join', room: 'typed', since: { epoch: 1, offset: 'x' } },
    { op: 'publish', room: 'typed', event: 123, data: {} },
    { op: 'publish', room: 'typed', event: 'message', mid: 5 },
    { op: 'publish', room: 'typed', event: 'message', echo: 'yes' },
    { op: 'history', room: 'typed', limit: -1 },
    { op: 'ping', ts: 'soon' },
  ];
  for (const frame of cases) {
    const reply = await c.request(frame);
    assert.equal(reply.ok, false, JSON.stringify(frame));
    assert.equal(reply.error.code, 'bad_request', JSON.stringify(frame));
  }
  // A ref that is not a positive integer: an error frame (there is no ref to answer).
  assert.equal((await errorFor(c, { op: 'join', ref: 'x', room: 'typed' })).code, 'bad_request');
  assert.equal((await errorFor(c, { op: 'join', ref: -1, room: 'typed' })).code, 'bad_request');
  // Nothing happened in the room.
  await other.expectNothing((f) => f.op === 'presence' || f.op === 'message', 150);
  await assertAlive(c);
  // And the connection still works for real requests.
  await c.join('typed');
  const r = await c.publish('typed', { ok: true });
  assert.equal(r.offset, 1);
});

test('a binary frame without an open stream is bad_request and the connection stays open', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  c.send(Buffer.from([0, 0, 0, 2, 123, 125, 1, 2, 3]), { binary: true });
  const e = await c.next((f) => f.op === 'error' || f.op === 'reply');
  assert.equal((e.error ?? {}).code, 'bad_request');
  await assertAlive(c);
});

test('20 bad frames are tolerated; the 21st closes the connection with 4000', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  for (let i = 0; i < 20; i++) c.send(`garbage ${i}`);
  for (let i = 0; i < 20; i++) assert.equal((await c.next('error')).error.code, 'bad_request');
  await assertAlive(c);
  c.send('garbage 21');
  const closed = await c.waitClose();
  assert.equal(closed.code, 4000);
});

test('unknown ops count towards the protocol error limit as well', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  for (let i = 0; i < 21; i++) c.send({ op: 'nope' });
  assert.equal((await c.waitClose()).code, 4000);
  assert.equal(c.all.filter((f) => f.op === 'error' && f.error.code === 'unknown_op').length >= 20, true);
});

test('other errors (forbidden) do not count towards the protocol error limit', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  for (let i = 0; i < 25; i++) c.send({ op: 'publish', room: 'not-joined', event: 'message', data: i });
  for (let i = 0; i < 25; i++) assert.equal((await c.next('error')).error.code, 'forbidden');
  await assertAlive(c);
});

test('a frame larger than MAX_MESSAGE_BYTES closes the connection with 1009', async () => {
  const server = await startServer({ MAX_MESSAGE_BYTES: 2048 });
  const c = await connect(server.wsUrl);
  await c.join('big');
  // Just under the limit is fine.
  const small = JSON.stringify({ op: 'publish', ref: 5, room: 'big', event: 'message', data: '' });
  const fits = JSON.parse(small.replace('"data":""', `"data":"${'a'.repeat(2048 - small.length)}"`));
  assert.equal(JSON.stringify(fits).length, 2048);
  const ok = await c.request(fits);
  assert.equal(ok.ok, true);
  c.send({ op: 'publish', room: 'big', event: 'message', data: 'x'.repeat(3000) });
  const closed = await c.waitClose();
  assert.equal(closed.code, 1009);
  // The server is fine.
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);
});

test('a client still writing a too-large frame gets close 1009, not a reset', async () => {
  // The server stops reading at the frame's header; the megabytes still on
  // their way must not turn into a TCP reset that overtakes the close frame.
  const server = await startServer({ MAX_MESSAGE_BYTES: 65536 });
  const big = 'x'.repeat(2 * 1024 * 1024);
  for (let attempt = 1; attempt <= 8; attempt++) {
    const c = await connect(server.wsUrl);
    c.send({ op: 'publish', room: 'big', event: 'message', data: big });
    const closed = await c.waitClose();
    assert.equal(closed.code, 1009, `attempt ${attempt}: ${JSON.stringify(closed)}`);
  }
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);
});

test('a 100,000-deep nested JSON array does not crash the server', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const depth = 100000;
  assert.equal((await errorFor(c, '['.repeat(depth) + ']'.repeat(depth))).code, 'bad_request');
  assert.equal((await errorFor(c, '['.repeat(depth))).code, 'bad_request', 'unterminated');
  await c.join('deep');
  const reply = await c.request({ op: 'publish', room: 'deep', event: 'message', data: null, ref: 77 });
  assert.equal(reply.ok, true);
  // Deep nesting inside an otherwise valid publish.
  const deepData = `{"op":"publish","ref":78,"room":"deep","event":"message","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  c.send(deepData);
  const deepReply = await c.next((f) => (f.op === 'reply' && f.ref === 78) || f.op === 'error');
  assert.equal(deepReply.error.code, 'bad_request');
  // Deeply nested objects too.
  assert.equal((await errorFor(c, '{"a":'.repeat(depth) + '1' + '}'.repeat(depth))).code, 'bad_request');
  await assertAlive(c);
  const health = await http(server.httpUrl, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok' });
  assert.equal(server.proc.exitCode, null, 'the server process is still running');
});

test('invalid UTF-8 in a text frame does not crash the server', async () => {
  const server = await startServer();
  const raw = await rawUpgrade(server.port);
  raw.sendText('{"op":"hello","ref":1,"v":1}');
  await raw.waitFrame((f) => f.opcode === 0x1, 5000, 'the hello reply');
  const seen = raw.frames.length;
  raw.sendText(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])); // {"\xff\xfe"}
  // Either an error frame or a close (1007 per RFC 6455): anything but a crash.
  const answer = await raw.waitFrame(
    (f) => raw.frames.indexOf(f) >= seen && (f.opcode === 0x1 || f.opcode === 0x8), 5000, 'an answer');
  if (answer.opcode === 0x1) assert.equal(JSON.parse(answer.payload.toString()).error.code, 'bad_request');
  else assert.ok([1007, 4000].includes(answer.closeCode), `close code ${answer.closeCode}`);
  const health = await http(server.httpUrl, 'GET', '/healthz');
  assert.equal(health.status, 200);
  const c = await connect(server.wsUrl);
  await assertAlive(c);
});

test('field checks come before permission checks: a bad publish to a room not joined is bad_request', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  let reply = await c.request({ op: 'publish', room: 'not-joined', event: 5, data: 1 });
  assert.equal(reply.error.code, 'bad_request');
  reply = await c.request({ op: 'publish', room: '$server', event: 5, data: 1 });
  assert.equal(reply.error.code, 'bad_request');
  // An error frame without ref names the op it answers.
  c.send({ op: 'join', room: 42 });
  const err = await c.next('error');
  assert.equal(err.error.code, 'bad_request');
  assert.equal(err.op_of, 'join');
});
