// HTTP on the WebSocket port as a hostile or sloppy client meets it: only
// the methods each path serves, HEAD without a body, no ambiguous
// Content-Length, no library banner, no pre-RFC 6455 drafts, and during a
// drain /readyz keeps answering 503 while new upgrades are refused.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { startServer, stopAllServers } from './support/server.mjs';
import { closeAllClients, rawUpgrade } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

/** Sends `request` as is and resolves with everything the server answers before closing. */
function exchange(port, request, ms = 3000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => { data += d; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(ms, () => { socket.destroy(); resolve(data); });
  });
}

function parse(answer) {
  const end = answer.indexOf('\r\n\r\n');
  const head = answer.slice(0, end < 0 ? answer.length : end).split('\r\n');
  const [, status] = /^HTTP\/1\.1 (\d+)/.exec(head[0]) ?? [];
  const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(status), headers, body: end < 0 ? '' : answer.slice(end + 4) };
}

const get = (path, method = 'GET', extra = '') => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;

test('paths that only serve reads answer other methods with 405 and Allow', async () => {
  const server = await startServer();
  for (const path of ['/healthz', '/readyz', '/metrics', '/', '/anything.html']) {
    for (const method of ['PUT', 'DELETE', 'TRACE', 'PATCH', 'FOO']) {
      const answer = parse(await exchange(server.port, get(path, method, 'Content-Length: 0\r\n')));
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.allow, 'GET, HEAD', `${method} ${path}`);
    }
  }
  const healthy = parse(await exchange(server.port, get('/healthz')));
  assert.equal(healthy.status, 200);
});

test('HEAD answers carry the GET answer\'s headers and length, and no body', async () => {
  const server = await startServer();
  const full = parse(await exchange(server.port, get('/healthz')));
  const head = parse(await exchange(server.port, get('/healthz', 'HEAD')));
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(head.headers['content-length'], String(Buffer.byteLength(full.body)));
  assert.equal(head.headers['content-type'], full.headers['content-type']);
  const stats = parse(await exchange(server.port, get('/api/v1/stats', 'HEAD')));
  assert.equal(stats.status, 200);
  assert.equal(stats.body, '');
});

test('two Content-Length headers that disagree are refused with 400', async () => {
  const server = await startServer();
  const body = '{"room":"r","event":"e","data":1}';
  const answer = parse(await exchange(server.port,
    `POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
    `Content-Length: 5\r\nConnection: close\r\n\r\n${body}`));
  assert.equal(answer.status, 400);
});

test('no answer names the WebSocket library or its version', async () => {
  const server = await startServer();
  for (const request of [get('/healthz'), get('/missing'), get('/ws')]) {
    const answer = await exchange(server.port, request);
    assert.doesNotMatch(answer, /websocket\+\+|websocketpp|0\.8\.\d/i);
  }
});

test('the drafts before RFC 6455 are refused with 426 and Sec-WebSocket-Version: 13', async () => {
  const server = await startServer();
  const key = crypto.randomBytes(16).toString('base64');
  for (const version of ['7', '8']) {
    const answer = parse(await exchange(server.port,
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      `Sec-WebSocket-Version: ${version}\r\n\r\n`));
    assert.equal(answer.status, 426, `version ${version}`);
    assert.equal(answer.headers['sec-websocket-version'], '13');
    assert.equal(JSON.parse(answer.body).error.code, 'bad_request');
  }
  // hybi-00 sends no version at all, and two key headers instead.
  const hybi00 = parse(await exchange(server.port,
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nOrigin: http://x\r\n' +
    'Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U'));
  assert.notEqual(hybi00.status, 101, 'hybi-00 is never upgraded');
});

test('while draining, HTTP is still answered (/readyz 503) and new upgrades get 503', async () => {
  const server = await startServer({ DRAIN_TIMEOUT_MS: 3000 });
  // A client that never answers the close keeps the server draining.
  const silent = await rawUpgrade(server.port);
  server.proc.kill('SIGTERM');
  await silent.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
  const ready = parse(await exchange(server.port, get('/readyz')));
  assert.equal(ready.status, 503, 'a new connection during the drain gets an answer');
  const healthy = parse(await exchange(server.port, get('/healthz')));
  assert.equal(healthy.status, 200);
  await assert.rejects(rawUpgrade(server.port), /raw upgrade refused: HTTP\/1\.1 503/);
  silent.destroy();
});

test('browsers of the allowed origins get CORS for the API, preflight included; others get none', async () => {
  const server = await startServer({ BROLOSTACK_ENV: 'staging', ENABLE_ENCRYPTION: 'false', API_KEYS: 'web=k1',
    ALLOWED_ORIGINS: 'https://app.example.com' });
  const preflight = parse(await exchange(server.port,
    'OPTIONS /api/v1/publish HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\n' +
    'Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\nConnection: close\r\n\r\n'));
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.match(preflight.headers['access-control-allow-headers'], /Authorization/);
  const evil = parse(await exchange(server.port,
    'OPTIONS /api/v1/publish HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com.evil.net\r\n' +
    'Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n'));
  assert.equal(evil.status, 403);
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  const stats = parse(await exchange(server.port, get('/api/v1/stats', 'GET', 'Origin: https://app.example.com\r\nX-API-Key: k1\r\n')));
  assert.equal(stats.status, 200);
  assert.equal(stats.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.equal(stats.headers.vary, 'Origin');
  assert.equal(stats.headers['x-content-type-options'], 'nosniff');
  assert.match(stats.headers['content-security-policy'], /default-src 'none'/);
});
