// Backend webhook (PROTOCOL.md section 9): unhandled send events are POSTed,
// signed, to BACKEND_URL/brolostack/events; the answer becomes the reply.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';

const SECRET = 'hook-secret';
const calls = [];
const backend = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    calls.push({ url: req.url, signature: req.headers['x-brolostack-signature'], body });
    const { event, data } = JSON.parse(body);
    const answer = (status, value) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(value)); };
    if (event === 'echo') return answer(200, { echoed: data });
    if (event === 'deny') return answer(403, { error: { code: 'forbidden', message: 'not for you' } });
    if (event === 'crash') return answer(500, { oops: true });
    if (event === 'text') { res.writeHead(200); return res.end('not json'); }
    if (event === 'slow') return setTimeout(() => answer(200, {}), 3000);
    return answer(404, { error: { code: 'not_found', message: 'unknown event' } });
  });
});
await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
const backendUrl = `http://127.0.0.1:${backend.address().port}`;

after(async () => {
  await closeAllClients();
  await stopAllServers();
  backend.closeAllConnections();
  await new Promise((resolve) => backend.close(resolve));
});

test('an unhandled send event is POSTed signed, and the JSON answer is the reply', async () => {
  const server = await startServer({ BACKEND_URL: backendUrl, WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT_MS: 1000 });
  const client = await connect(server.wsUrl);
  const reply = await client.request({ op: 'send', event: 'echo', data: { n: 1 }, mid: 'm-1' });
  assert.equal(reply.ok, true);
  assert.deepEqual(reply.data, { echoed: { n: 1 } });
  const call = calls.at(-1);
  assert.equal(call.url, '/brolostack/events');
  assert.deepEqual(JSON.parse(call.body), { event: 'echo', data: { n: 1 }, sid: client.sid, user: null, mid: 'm-1' });
  assert.equal(call.signature, `sha256=${createHmac('sha256', SECRET).update(call.body).digest('hex')}`);

  // Without a mid the field is left out.
  await client.request({ op: 'send', event: 'echo', data: 2 });
  assert.equal('mid' in JSON.parse(calls.at(-1).body), false);
});

test('backend errors pass on; anything else is unavailable; the connection stays usable', async () => {
  const server = await startServer({ BACKEND_URL: backendUrl, WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT_MS: 1000 });
  const client = await connect(server.wsUrl);
  const denied = await client.request({ op: 'send', event: 'deny', data: {} });
  assert.deepEqual([denied.ok, denied.error.code, denied.error.message], [false, 'forbidden', 'not for you']);
  for (const event of ['crash', 'text', 'slow']) {
    const r = await client.request({ op: 'send', event, data: {} });
    assert.equal(r.ok, false, event);
    assert.equal(r.error.code, 'unavailable', event);
  }
  const ok = await client.request({ op: 'send', event: 'echo', data: 'still here' });
  assert.deepEqual(ok.data, { echoed: 'still here' });
});

test('an unreachable backend is unavailable, and ARGS shortcuts never go to the backend', async () => {
  const server = await startServer({ BACKEND_URL: 'http://127.0.0.1:1', WEBHOOK_TIMEOUT_MS: 1000 });
  const client = await connect(server.wsUrl);
  const before = calls.length;
  const r = await client.request({ op: 'send', event: 'anything', data: {} });
  assert.equal(r.error.code, 'unavailable');
  // A shortcut is ARGS business even when it fails: no session here, and no backend call.
  const sync = await client.request({ op: 'send', event: 'sync', data: {} });
  assert.equal(sync.error?.code, 'not_found');
  assert.match(sync.error.message, /no ARGS session 'default'/);
  assert.equal(calls.length, before);
});
