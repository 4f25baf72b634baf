// BrolostackWSClientside (wasm core + JS shim) against the real server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { waitFor, until } from './support/events.mjs';

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

/** Web Storage over a Map, like localStorage within one origin. */
class MemoryStorage {
  #items = new Map();
  get length() { return this.#items.size; }
  key(i) { return [...this.#items.keys()][i] ?? null; }
  getItem(k) { return this.#items.has(k) ? this.#items.get(k) : null; }
  setItem(k, v) { this.#items.set(k, String(v)); }
  removeItem(k) { this.#items.delete(k); }
  keys() { return [...this.#items.keys()]; }
}


/** A loopback port nothing listens on (a server was there and is gone). */
async function vacantPort() {
  const server = await startServer();
  await server.stop();
  return server.port;
}

test('a page reload with persistOffline loses nothing queued: the next page rejoins and sends it once', async () => {
  const port = await vacantPort();
  const url = `ws://127.0.0.1:${port}/ws`;
  const storage = new MemoryStorage();
  const persistent = { storage, messageQueue: { persistOffline: true }, reconnection: false };
  const before = makeClient(url, { ...persistent, autoConnect: false });
  before.joinRoom('notes', 'Notes', { name: 'Ada' }).catch(() => {});
  const queued = ['one', 'two', 'three'].map((text) => before.sendToRoom('notes', 'note', { text }).catch(() => {}));
  await before.ready;
  await until(() => storage.keys().some((k) => /three/.test(storage.getItem(k))), 'the queue to be stored');
  assert.equal(storage.keys().length, 1);
  assert.ok(storage.keys()[0].startsWith(`brolostack:queue:${url}#`), 'one entry per client, under its URL');
  // The page goes away without a goodbye (a reload): nothing is cleared.
  void queued;

  const server = await startServer({}, { port });
  const after = makeClient(url, { ...persistent, reconnection: true });
  const restored = await waitFor(after, 'queue-restored');
  assert.deepEqual(restored.data, { messages: 3, rooms: 1 });
  await waitFor(after, 'queue-processed');
  await until(() => storage.keys().length === 0, 'the answered queue to leave storage');
  const history = await (await fetch(`${server.httpUrl}/api/v1/rooms/notes/history?limit=10`)).json();
  assert.deepEqual(history.messages.map((m) => m.data.text), ['one', 'two', 'three']);
  assert.deepEqual(after.getRooms(), ['notes'], 'the room the messages needed was joined again');
  const members = await (await fetch(`${server.httpUrl}/api/v1/rooms/notes/members`)).json();
  assert.deepEqual(members.members.map((m) => m.info), [{ name: 'Ada' }]);
});

test('a reloaded page resumes its room from the last offset it saw and gets what it missed, once', async () => {
  const server = await startServer();
  const storage = new MemoryStorage();
  const reader = makeClient(server.wsUrl, { storage, messageQueue: { persistOffline: true }, reconnection: false });
  const other = makeClient(server.wsUrl);
  await reader.joinRoom('feed');
  await other.joinRoom('feed');
  const seen = waitFor(reader, 'item', (d) => d.n === 1);
  await other.sendToRoom('feed', 'item', { n: 1 });
  await seen;
  // The page queues a message, then is closed abruptly while the room moves on.
  reader.socket.terminate();
  await waitFor(reader, 'disconnected');
  reader.sendToRoom('feed', 'item', { n: 'mine' }).catch(() => {});
  await until(() => storage.keys().length === 1, 'the queue to be stored');
  await other.sendToRoom('feed', 'item', { n: 2 });
  await other.sendToRoom('feed', 'item', { n: 3 });

  const next = makeClient(server.wsUrl, { storage, messageQueue: { persistOffline: true } });
  const items = [];
  next.on('item', (d, frame) => items.push([d.n, frame.offset]));
  await waitFor(next, 'room-joined');
  assert.deepEqual(items, [[2, 2], [3, 3]], 'the two it missed, in order, and not the one it had');
  await until(() => storage.length === 0, 'the queued message to be answered');
  const history = await (await fetch(`${server.httpUrl}/api/v1/rooms/feed/history?limit=10`)).json();
  assert.deepEqual(history.messages.map((m) => m.data.n), [1, 2, 3, 'mine']);
});

test('an unreadable stored queue is discarded with an error, and the client still works', async () => {
  const server = await startServer();
  const storage = new MemoryStorage();
  storage.setItem(`brolostack:queue:${server.wsUrl}#0123456789abcdef`, '{"messages":[{"op":"publish"');
  const client = makeClient(server.wsUrl, { storage, messageQueue: { persistOffline: true } });
  const error = await waitFor(client, 'error', (e) => e.code === 'bad_snapshot');
  assert.match(error.data.message, /unreadable/);
  await until(() => storage.length === 0, 'the bad entry to go');
  await client.joinRoom('ok');
  assert.equal((await client.sendToRoom('ok', 'x', 1)).offset, 1);
});

test('priority picks what a full queue gives up; a bad priority is refused', async () => {
  const offline = makeClient('ws://127.0.0.1:1/ws', { autoConnect: false, messageQueue: { maxSize: 2 } });
  await assert.rejects(offline.send('x', 1, { priority: 'urgent' }), (e) => e.code === 'bad_request' && /low, medium, high, critical/.test(e.message));
  const dropped = waitFor(offline, 'message-dropped');
  const low = offline.sendToRoom('r', 'e', 'low', { priority: 'low' });
  offline.send('e', 'critical', { priority: 'critical' }).catch(() => {});
  offline.send('e', 'high', { priority: 'high', room: 'r' }).catch(() => {});
  await assert.rejects(low, (e) => e.code === 'dropped');
  assert.equal((await dropped).data.reason, 'queue-full');
  assert.equal(offline.getStats().dropped, 1);
});

test('history reads a joined room oldest first; a bad limit or a room not joined is refused', async () => {
  const server = await startServer();
  const writer = makeClient(server.wsUrl);
  await writer.joinRoom('log');
  for (let n = 1; n <= 3; n += 1) await writer.sendToRoom('log', 'line', { n });
  const page = await writer.history('log', { limit: 2 });
  assert.deepEqual(page.messages.map((m) => m.data.n), [2, 3]);
  assert.equal(page.offset, 3);
  await assert.rejects(writer.history('log', { limit: 0 }), (e) => e.code === 'bad_request');
  const outsider = makeClient(server.wsUrl);
  await assert.rejects(outsider.history('log'), (e) => e.code === 'forbidden');
});

test('a URL without a path reaches the default endpoint, as the seed writes it; http(s) means ws(s)', async () => {
  const { endpointUrl } = await import('../../js/src/client.mjs');
  assert.equal(endpointUrl('wss://your-server.com'), 'wss://your-server.com/ws');
  assert.equal(endpointUrl('ws://localhost:3001?token=t'), 'ws://localhost:3001/ws?token=t');
  assert.equal(endpointUrl('https://example.com:8443'), 'wss://example.com:8443/ws');
  assert.equal(endpointUrl('ws://localhost:3001/'), 'ws://localhost:3001/', 'an explicit path is kept');
  assert.equal(endpointUrl('ws://localhost:3001/custom/ws'), 'ws://localhost:3001/custom/ws');

  const server = await startServer();
  const client = makeClient(`ws://127.0.0.1:${server.port}`);
  await client.connect();
  assert.equal(client.isConnected(), true);
});
