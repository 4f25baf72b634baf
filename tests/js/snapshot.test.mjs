// The client as an external store (what useBrolostackWebSocket renders
// from): connection and room changes are published at once, per-message
// counters at most every 250 ms, so a component showing stats does not
// re-render for every message. Driven through an in-process WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrolostackWSClientside } from '../../js/src/index.mjs';

/** A WebSocket whose server side is this test: answers hello and join. */
class LoopbackSocket {
  static last = null;
  constructor() {
    LoopbackSocket.last = this;
    setTimeout(() => this.onopen?.(), 0);
  }
  send(text) {
    const f = JSON.parse(text);
    const reply = (data) => setTimeout(() => this.deliver({ op: 'reply', ref: f.ref, ok: true, data }), 0);
    if (f.op === 'hello') reply({ sid: 'c-1', resumeToken: 't', rooms: {} });
    if (f.op === 'join') reply({ room: f.room, epoch: 'e', offset: 0, members: [], memberCount: 1, recovered: false, missed: [] });
  }
  deliver(frame) { this.onmessage?.({ data: JSON.stringify(frame) }); }
  close() {}
}

test('connection and rooms notify at once; a burst of messages notifies once, after it', async () => {
  const client = new BrolostackWSClientside({ url: 'ws://loopback/ws', WebSocket: LoopbackSocket, storage: null, heartbeatInterval: 0 });
  const seen = [];
  client.subscribe(() => seen.push(client.getSnapshot()));
  await client.connect();
  assert.ok(seen.some((s) => s.connected), 'connected was published without waiting');
  await client.joinRoom('feed');
  assert.deepEqual(seen.at(-1).stats.rooms, ['feed'], 'the room was published without waiting');

  const before = seen.length;
  let events = 0;
  client.on('item', () => { events += 1; });
  for (let i = 1; i <= 1000; i += 1) {
    LoopbackSocket.last.deliver({ op: 'message', room: 'feed', event: 'item', data: { i }, from: { sid: 'o', user: null }, offset: i, epoch: 'e', ts: 1 });
  }
  assert.equal(events, 1000);
  assert.equal(seen.length, before, 'no notification per message');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(seen.length, before + 1, 'one notification for the burst');
  assert.ok(client.getSnapshot().stats.messagesReceived >= 1000);
  assert.equal(client.getSnapshot(), seen.at(-1), 'the snapshot is stable between notifications');
  await client.destroy();
});

test('persistence writes a queued message at once, and room positions at most every second', async () => {
  const items = new Map();
  const writes = [];
  const storage = {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => { writes.push(v); items.set(k, v); },
    removeItem: (k) => items.delete(k),
    key: (i) => [...items.keys()][i] ?? null,
    get length() { return items.size; },
  };
  const client = new BrolostackWSClientside({ url: 'ws://loopback/ws', WebSocket: LoopbackSocket, storage, locks: null,
    messageQueue: { persistOffline: true }, heartbeatInterval: 0 });
  await client.joinRoom('feed');
  // The loopback server never answers publishes: the message stays owed.
  client.sendToRoom('feed', 'mine', { text: 'kept' }).catch(() => {});
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(writes.length, 1, 'written as soon as it was queued');
  assert.match(writes[0], /kept/);

  for (let i = 1; i <= 1000; i += 1) {
    LoopbackSocket.last.deliver({ op: 'message', room: 'feed', event: 'item', data: { i }, from: { sid: 'o', user: null }, offset: i, epoch: 'e', ts: 1 });
  }
  assert.equal(writes.length, 1, 'not once per incoming message');
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(writes.length, 2, 'the moved position, once');
  assert.match(writes[1], /"offset":1000/);
  assert.match(writes[1], /kept/);
  await client.destroy();
});
