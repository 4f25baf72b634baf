// BrolostackWSClientside against a scripted fake server (`ws`): the
// situations a real server rarely produces on cue. Connections that die
// between a message and its answer, a server that forgets, ARGS frames as
// they arrive, wake-ups from the browser's online and visibility events.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { waitFor } from './support/events.mjs';

const clients = [];
const servers = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
after(() => { delete globalThis.window; delete globalThis.document; });

/**
 * A protocol-speaking fake: answers hello with a welcome, join with a join
 * reply, publish with the next offset (remembering mids like the real
 * server), and records every frame. `onFrame(frame, socket)` may take over
 * (return true to swallow the frame).
 */
async function fakeServer({ port = 0, onFrame = () => false } = {}) {
  const wss = new WebSocketServer({ port, host: '127.0.0.1', handleProtocols: () => 'brolostack.v1' });
  await new Promise((r) => wss.once('listening', r));
  const state = { frames: [], offsets: new Map(), mids: new Map(), sockets: new Set(), connections: 0 };
  const reply = (socket, ref, data) => socket.send(JSON.stringify({ op: 'reply', ref, ok: true, data }));
  wss.on('connection', (socket) => {
    state.connections += 1;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      state.frames.push(frame);
      if (onFrame(frame, socket)) return;
      if (frame.op === 'hello') reply(socket, frame.ref, { sid: `c-${state.connections}`, resumeToken: `t-${state.connections}`, rooms: {} });
      else if (frame.op === 'join') reply(socket, frame.ref, { room: frame.room, epoch: 'e1', offset: state.offsets.get(frame.room) ?? 0, members: [], memberCount: 1, recovered: false, missed: [] });
      else if (frame.op === 'publish') {
        const seen = state.mids.get(frame.mid);
        const offset = seen ?? (state.offsets.get(frame.room) ?? 0) + 1;
        if (seen === undefined) { state.offsets.set(frame.room, offset); state.mids.set(frame.mid, offset); }
        reply(socket, frame.ref, { room: frame.room, offset, epoch: 'e1', duplicate: seen !== undefined });
      } else if (frame.op === 'send') reply(socket, frame.ref, {});
    });
  });
  const address = wss.address();
  let closed = null;
  const server = {
    url: `ws://127.0.0.1:${address.port}/ws`,
    port: address.port,
    state,
    publishes: () => state.frames.filter((f) => f.op === 'publish'),
    push: (frame) => { for (const s of state.sockets) s.send(JSON.stringify(frame)); },
    dropAll: () => { for (const s of state.sockets) s.terminate(); },
    close: () => {
      closed ??= new Promise((r) => { for (const s of state.sockets) s.terminate(); wss.close(() => r()); });
      return closed;
    },
  };
  servers.push(server);
  return server;
}

function makeClient(url, extra = {}) {
  const c = new BrolostackWSClientside({ url, WebSocket, environment: 'development', storage: null,
    reconnectionDelay: 20, reconnectionDelayMax: 60, ...extra });
  clients.push(c);
  return c;
}


test('a publish whose answer was lost is sent again with the same mid and counted once', async () => {
  let dropFirst = true;
  const server = await fakeServer({
    onFrame: (frame, socket) => {
      if (frame.op !== 'publish' || !dropFirst) return false;
      dropFirst = false;
      // Taken by the server (offset 1), then the connection dies before the answer.
      server.state.offsets.set(frame.room, 1);
      server.state.mids.set(frame.mid, 1);
      socket.terminate();
      return true;
    },
  });
  const client = makeClient(server.url);
  await client.joinRoom('ops');
  const first = client.sendToRoom('ops', 'step', { i: 0 });
  const second = client.sendToRoom('ops', 'step', { i: 1 });
  const [a, b] = await Promise.all([first, second]);
  assert.deepEqual([a.offset, a.duplicate, b.offset], [1, true, 2], 'the server\'s first offsets, each message once');
  const sent = server.publishes();
  assert.equal(new Set(sent.map((f) => f.mid)).size, 2);
  assert.equal(sent.filter((f) => f.mid === sent[0].mid).length, 2, 'the retry carries the first attempt\'s mid');
  assert.deepEqual(sent.slice(-2).map((f) => f.data.i), [0, 1], 'resent in the original order');
  assert.equal(client.getStats().reconnectCount, 1);
});

test('queued messages reach the server once each and in order, however often the connection drops', async () => {
  const server = await fakeServer();
  const client = makeClient(server.url, { reconnectionAttempts: 100 });
  await client.joinRoom('ops');
  const pending = [];
  for (let round = 0; round < 3; round += 1) {
    if (!client.isConnected()) await waitFor(client, 'connected');
    const down = waitFor(client, 'disconnected');
    server.dropAll();
    await down;
    for (let i = 0; i < 4; i += 1) pending.push(client.sendToRoom('ops', 'step', { n: round * 4 + i }));
  }
  await Promise.all(pending);
  assert.equal(server.state.mids.size, 12);
  const firstSeen = new Map();
  for (const f of server.publishes()) if (!firstSeen.has(f.mid)) firstSeen.set(f.mid, f.data.n);
  assert.deepEqual([...firstSeen.values()], Array.from({ length: 12 }, (_, i) => i));
});

test('ARGS frames surface under kebab-case names, payload first and the whole message second', async () => {
  const server = await fakeServer();
  const client = makeClient(server.url);
  await client.connect();
  const progress = waitFor(client, 'task-progress');
  const assign = waitFor(client, 'task-assign');
  const msg = (type, payload) => ({ id: `a-${type}`, type, timestamp: 1, sessionId: 's1', payload });
  server.push({ op: 'args', msg: msg('TASK_PROGRESS', { taskId: 't1', progress: 40 }) });
  server.push({ op: 'args', msg: msg('TASK_ASSIGN', { taskId: 't1', agentId: 'a1' }) });
  const p = await progress;
  assert.equal(p.data.progress, 40, "the seed's on('task-progress', p => p.progress)");
  assert.equal(p.extra.type, 'TASK_PROGRESS');
  assert.equal(p.extra.sessionId, 's1');
  assert.equal((await assign).data.agentId, 'a1');
});

test('a terminal close (4003) rejects connect() and is never retried', async () => {
  const server = await fakeServer({ onFrame: (frame, socket) => frame.op === 'hello' && (socket.close(4003, 'forbidden'), true) });
  const client = makeClient(server.url, { reconnectionAttempts: 10 });
  await assert.rejects(client.connect(), (e) => e.code === 'closed' && /4003/.test(e.message));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.state.connections, 1);
});

test('a browser coming back online or showing the tab reconnects at once, past the backoff', async () => {
  globalThis.window = new EventTarget();
  globalThis.document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  const first = await fakeServer();
  const { port } = first;
  const client = makeClient(first.url, { reconnectionAttempts: 1, reconnectionDelay: 10, reconnectionDelayMax: 10 });
  await client.connect();
  await first.close();
  await waitFor(client, 'reconnect-error');  // retries exhausted: it waits for a reason to try again
  const back = await fakeServer({ port });
  const online = waitFor(client, 'connected');
  globalThis.window.dispatchEvent(new Event('online'));
  await online;
  assert.equal(back.state.connections, 1);

  back.dropAll();
  await back.close();
  await waitFor(client, 'reconnect-error');
  const again = await fakeServer({ port });
  const visible = waitFor(client, 'connected');
  globalThis.document.visibilityState = 'hidden';
  globalThis.document.dispatchEvent(new Event('visibilitychange'));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(again.state.connections, 0, 'a hidden tab does not wake the client');
  globalThis.document.visibilityState = 'visible';
  globalThis.document.dispatchEvent(new Event('visibilitychange'));
  await visible;
  assert.equal(again.state.connections, 1);
});
