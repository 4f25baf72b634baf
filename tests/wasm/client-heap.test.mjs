// destroy() frees the client's core: its wasm memory goes back, so an app
// that creates and destroys clients (a React component mounted again and
// again) does not grow the page's heap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { coreModule } from '../../js/src/core.mjs';

/** A socket that never opens: the clients here only queue. */
class SilentSocket {
  send() {}
  close() {}
}

async function usedClient() {
  const client = new BrolostackWSClientside({ url: 'ws://127.0.0.1:9/ws', autoConnect: false, storage: null, WebSocket: SilentSocket });
  await client.ready;
  // Some state in the core: a room, queued messages, a pending request.
  client.joinRoom('general', 'General', { color: 'red' }).catch(() => {});
  client.sendToRoom('general', 'chat', { text: 'x'.repeat(200) }).catch(() => {});
  client.send('start-task', { taskId: 't1' }).catch(() => {});
  await new Promise((resolve) => setImmediate(resolve));
  return client;
}

test('creating and destroying 10,000 clients leaves the wasm heap flat', async () => {
  const core = coreModule();
  for (let i = 0; i < 200; i += 1) await (await usedClient()).destroy();
  const before = core.heapBytesInUse();
  for (let i = 0; i < 10000; i += 1) await (await usedClient()).destroy();
  const grown = core.heapBytesInUse() - before;
  assert.ok(grown < 64 * 1024, `the heap grew by ${grown} bytes over 10,000 destroyed clients`);
});

test('the measure sees a client that is not destroyed', async () => {
  const core = coreModule();
  const before = core.heapBytesInUse();
  const kept = [];
  for (let i = 0; i < 100; i += 1) kept.push(await usedClient());
  const perClient = (core.heapBytesInUse() - before) / kept.length;
  assert.ok(perClient > 4096, `a live client holds ${perClient} bytes of heap`);
  for (const client of kept) await client.destroy();
  assert.ok(core.heapBytesInUse() - before < 16 * 1024, 'and gives them back when destroyed');
});

test('a destroyed client refuses calls with a clear error instead of touching freed memory', async () => {
  const client = await usedClient();
  await client.destroy();
  await assert.rejects(client.joinRoom('other'), { code: 'unavailable', message: /destroyed/ });
  await assert.rejects(client.sendToRoom('general', 'chat', {}), { code: 'unavailable' });
  assert.equal(client.isConnected(), false);
  assert.deepEqual(client.getRooms(), []);
  await client.destroy();  // twice is fine
});
