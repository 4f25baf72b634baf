// The server's log (LOG_FORMAT, LOG_LEVEL) as an operator reads it on
// stderr: JSON lines outside development, a line for each connection's open
// and close and for each HTTP answer, and the start, configuration, ready,
// drain and stop lines whatever the level.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runUntilExit, startServer, stopAllServers, stopServer } from './support/server.mjs';
import { closeAllClients, connect, http, sleep } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const jsonLines = (stderr) => stderr.trim().split('\n').map((line) => {
  try { return JSON.parse(line); } catch { assert.fail(`not a JSON line: ${line}`); }
});

/** An HTTP request written by hand, so the path can hold what fetch would escape. */
function rawGet(port, path) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    let answer = '';
    socket.on('data', (d) => { answer += d; });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('JSON lines: a connection\'s life, HTTP answers and the effective configuration with secrets masked', async () => {
  const server = await startServer({ LOG_LEVEL: 'info', API_KEYS: 'web=s3cret-key', JWT_SECRET: 'jwt-s3cret' });
  const c = await connect(server.wsUrl, { query: { apiKey: 's3cret-key' } });
  assert.equal((await c.close(1000)).code, 1000);
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);
  // A path with a quote, a backslash and the control characters a log
  // injection would use stays inside its JSON string.
  await rawGet(server.port, '/a"b\\c\x1fd');
  await sleep(100);
  await stopServer(server);

  const lines = jsonLines(server.stderr);
  for (const line of lines) {
    assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['trace', 'debug', 'info', 'warning', 'error', 'critical'].includes(line.level), line.level);
  }
  const msgs = lines.map((l) => l.msg);
  assert.equal(msgs[0], 'starting');
  assert.equal(lines[0].profile, 'test');
  for (const expected of ['ready', 'draining', 'stopped']) assert.ok(msgs.includes(expected), expected);
  const settings = lines.filter((l) => l.msg === 'setting').map((l) => l.value);
  assert.ok(settings.includes('BROLOSTACK_ENV=test'));
  assert.ok(settings.includes('LOG_FORMAT=json'));
  assert.ok(settings.some((s) => s.startsWith('JWT_SECRET=') && !s.includes('jwt-s3cret')), 'JWT_SECRET masked');
  assert.doesNotMatch(server.stderr, /s3cret-key|jwt-s3cret/, 'no secret anywhere in the log');

  const open = lines.find((l) => l.msg === 'connection open');
  const closed = lines.find((l) => l.msg === 'connection closed');
  assert.equal(open.address, '127.0.0.1');
  assert.deepEqual({ ...closed, time: undefined, durationMs: undefined },
    { time: undefined, level: 'info', msg: 'connection closed', conn: open.conn, user: 'key:web', address: '127.0.0.1',
      code: 1000, durationMs: undefined });
  assert.ok(Number.isInteger(closed.durationMs) && closed.durationMs >= 0);
  const health = lines.find((l) => l.msg === 'http' && l.path === '/healthz');
  assert.deepEqual([health.method, health.status], ['GET', 200]);
  const odd = lines.find((l) => l.msg === 'http' && l.path !== '/healthz');
  assert.equal(odd.path, '/a"b\\c\x1fd');
});

test('LOG_LEVEL=off still prints the start, configuration, ready, drain and stop lines, and nothing else', async () => {
  const server = await startServer({ LOG_LEVEL: 'off' });
  const c = await connect(server.wsUrl);
  await c.close(1000);
  await stopServer(server);
  const msgs = new Set(jsonLines(server.stderr).map((l) => l.msg));
  assert.deepEqual([...msgs].sort(), ['draining', 'ready', 'setting', 'signal received: draining', 'starting', 'stopped']);
});

test('LOG_FORMAT=text: one readable line each, fields as name=value', async () => {
  const server = await startServer({ LOG_FORMAT: 'text', LOG_LEVEL: 'info' });
  const c = await connect(server.wsUrl);
  await c.close(4321);
  await stopServer(server);
  assert.match(server.stderr, /^\[\S+Z\] \[info\] starting version=\S+ profile=test$/m);
  assert.match(server.stderr, /^\[\S+Z\] \[info\] connection closed conn=\d+ user= address=127\.0\.0\.1 code=4321 durationMs=\d+$/m);
});

test('an unknown LOG_FORMAT stops the start with exit 78', async () => {
  const r = await runUntilExit({ LOG_FORMAT: 'xml' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /LOG_FORMAT must be json or text/);
});
