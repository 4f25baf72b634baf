// BrolostackWSClientside (wasm core + JS shim) against the real server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { startServer, stopAllServers } from '../integration/support/server.mjs';

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

function waitFor(client, event, predicate = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no ${event} in ${ms} ms`)); }, ms);
    const off = client.on(event, (data, extra) => {
      if (!predicate(data, extra)) return;
      clearTimeout(timer);
      off();
      resolve({ data, extra });
    });
  });
}

test('two clients chat: join, presence, sendToRoom, events by name with the frame second', async () => {
  const server = await startServer();
  const ada = makeClient(server.wsUrl);
  const bob = makeClient(server.wsUrl);
  await Promise.all([ada.ready, bob.ready]);
  await ada.joinRoom('general', 'General Discussion', { name: 'Ada' });
  const joined = waitFor(ada, 'user-joined');
  await bob.joinRoom('general');
  assert.equal((await joined).data.info.name ?? null, null);
  const got = waitFor(bob, 'message', (f) => f.room === 'general');
  const byName = waitFor(bob, 'chat');
  const reply = await ada.sendToRoom('general', 'chat', { content: 'Hello team!' });
  assert.equal(reply.duplicate, false);
  const frame = (await got).data;
  assert.deepEqual(frame.data, { content: 'Hello team!' });
  assert.equal(frame.offset, reply.offset);
  const named = await byName;
  assert.deepEqual(named.data, { content: 'Hello team!' });
  assert.equal(named.extra.room, 'general');
  assert.equal(ada.isConnected(), true);
  assert.deepEqual(ada.getRooms(), ['general']);
  assert.equal(ada.getStats().connected, true);
});

test('calls made before the connection is up are queued, not thrown', async () => {
  const server = await startServer();
  const early = makeClient(server.wsUrl, { autoConnect: false });
  const joining = early.joinRoom('lobby');
  const sending = early.sendToRoom('lobby', 'hi', 1);
  await early.connect();
  await joining;
  const published = await sending;
  assert.equal(published.offset, 1);
});

test('messages sent while the server is down arrive exactly once, in order, when it is back', async () => {
  const first = await startServer();
  const port = first.port;
  const listener = makeClient(first.wsUrl, { reconnectionAttempts: 50, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  const recoveryFailed = waitFor(listener, 'recovery-failed', (d) => d.room === 'ops', 15000);
  const sender = makeClient(first.wsUrl, { reconnectionAttempts: 50, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  await Promise.all([listener.ready, sender.ready]);
  await listener.joinRoom('ops');
  await sender.joinRoom('ops');

  const down = waitFor(sender, 'disconnected');
  await first.stop();
  await down;
  const sent = Array.from({ length: 20 }, (_, i) => sender.sendToRoom('ops', 'step', { i }));

  const second = await startServer({}, { port });
  await Promise.all(sent);
  // The room on the restarted server holds each message once, in order.
  const history = await (await fetch(`${second.httpUrl}/api/v1/rooms/ops/history?limit=100`)).json();
  assert.deepEqual(history.messages.map((m) => m.data.i), Array.from({ length: 20 }, (_, i) => i));
  assert.ok(sender.getStats().reconnectCount >= 1);
  // The listener is told that its old position cannot be recovered
  // (the restarted server has a new epoch), so it knows to resync.
  await recoveryFailed;
});

test('a queued message survives a new client instance through persisted storage', async () => {
  const server = await startServer();
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const url = `ws://127.0.0.1:1/ws`;  // nothing listens there: the message stays queued
  const offline = makeClient(url, { storage, messageQueue: { persistOffline: true }, reconnection: false });
  await offline.ready;
  offline.send('note', { text: 'kept' }).catch(() => {});
  await new Promise((r) => setTimeout(r, 20));
  const snapshot = store.get(`brolostack:queue:${url}`);
  assert.match(snapshot, /kept/);
  // The page goes away without a goodbye (a reload): nothing is cleared.

  // The next page load, at the real server: the stored queue is restored and sent.
  store.set(`brolostack:queue:${server.wsUrl}`, snapshot);
  const reader = makeClient(server.wsUrl, { storage, messageQueue: { persistOffline: true } });
  await reader.ready;
  const processed = await waitFor(reader, 'queue-processed');
  assert.equal(processed.data.sent, 1);
  // Once answered, the message leaves the stored queue.
  const deadline = Date.now() + 5000;
  while (/kept/.test(store.get(`brolostack:queue:${server.wsUrl}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.doesNotMatch(store.get(`brolostack:queue:${server.wsUrl}`), /kept/);
});
