// Memory under abuse: clients may publish as much as the limits allow, but
// what the server keeps (room history) stays within HISTORY_MAX_BYTES per
// room and MEMORY_LIMIT_BYTES in all, whatever they send, and rooms nothing
// was published to go once their members left.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { rssBytes } from './support/proc.mjs';
import { closeAllClients, connect, http } from './support/client.mjs';

after(async () => {
  await closeAllClients();
  await stopAllServers();
});

const MiB = 1024 * 1024;

test('one connection publishing 1 MiB messages into many rooms leaves the server within its history budget', async () => {
  const budget = 32 * MiB;
  const server = await startServer({ MAX_MESSAGE_BYTES: 2 * MiB, HISTORY_MAX_BYTES: 8 * MiB, MEMORY_LIMIT_BYTES: budget });
  const baseline = rssBytes(server.proc.pid);
  const abuser = await connect(server.wsUrl);
  const payload = 'x'.repeat(MiB - 512);
  // 160 MiB offered: 16 rooms x 10 messages of 1 MiB.
  for (let room = 0; room < 16; room++) {
    await abuser.join(`dump-${room}`);
    for (let i = 0; i < 10; i++) await abuser.publish(`dump-${room}`, payload);
  }
  const stats = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json;
  assert.ok(stats.historyBytes <= budget, `history holds ${stats.historyBytes} bytes, over the ${budget} budget`);
  assert.ok(stats.historyEvictions > 0);
  const grown = rssBytes(server.proc.pid) - baseline;
  // The budget plus the frames in flight and allocator slack; without the
  // budget the server would hold all 160 MiB.
  assert.ok(grown < budget + 48 * MiB, `RSS grew by ${Math.round(grown / MiB)} MiB`);

  // A room's own cap: 8 MiB of 1 MiB messages is at most 8 of them.
  const history = await http(server.httpUrl, 'GET', '/api/v1/rooms/dump-15/history?limit=100');
  assert.ok(history.json.messages.length <= 8, `${history.json.messages.length} messages kept`);
  assert.ok(history.json.messages.length >= 1, 'the newest messages are kept');
});

test('MAX_ROOMS bounds rooms made through the HTTP API; a broadcast past it changes nothing', async () => {
  const server = await startServer({ MAX_ROOMS: 5 });
  const rooms = Array.from({ length: 10 }, (_, i) => `b${i}`);
  const refused = await http(server.httpUrl, 'POST', '/api/v1/broadcast', { body: { rooms, event: 'e', data: 1 } });
  assert.equal(refused.json.error.code, 'limit_exceeded');
  assert.equal((await http(server.httpUrl, 'GET', '/api/v1/stats')).json.rooms, 0, 'all or nothing');
  const fits = await http(server.httpUrl, 'POST', '/api/v1/broadcast', { body: { rooms: rooms.slice(0, 5), event: 'e', data: 1 } });
  assert.equal(fits.status, 200);
  const more = await http(server.httpUrl, 'POST', '/api/v1/publish', { body: { room: 'b9', event: 'e', data: 1 } });
  assert.equal(more.json.error.code, 'limit_exceeded');
});

test('reads of ARGS sessions nobody started create none: a SYNC flood leaves the server without sessions', async () => {
  const server = await startServer();
  const client = await connect(server.wsUrl);
  for (let i = 0; i < 200; i++) {
    const reply = await client.request({ op: 'send', event: 'sync', data: { sessionId: `ghost-${i}` } });
    assert.equal(reply.error?.code, 'not_found', JSON.stringify(reply));
  }
  assert.equal((await http(server.httpUrl, 'GET', '/api/v1/stats')).json.activeSessions, 0);
});

test('join/leave churn over many room names leaves no rooms behind once EMPTY_ROOM_TTL_MS passed', async () => {
  const server = await startServer({ EMPTY_ROOM_TTL_MS: 500, STORE: 'memory' });
  const churner = await connect(server.wsUrl);
  const bystander = await connect(server.wsUrl);
  await bystander.join('kept');
  await bystander.publish('kept', 'a message keeps its room');
  for (let i = 0; i < 5000; i += 250) {
    const batch = [];
    for (let j = i; j < i + 250; j++) {
      batch.push(churner.request({ op: 'join', room: `churn-${j}` }));
      batch.push(churner.request({ op: 'leave', room: `churn-${j}` }));
    }
    for (const reply of await Promise.all(batch)) assert.equal(reply.ok, true, JSON.stringify(reply));
  }
  const during = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json.rooms;
  assert.ok(during > 1, `${during} rooms right after the churn`);
  assert.equal((await bystander.request({ op: 'leave', room: 'kept' })).ok, true);
  let rooms = during;
  for (let i = 0; i < 40 && rooms > 1; i++) {
    await new Promise((r) => setTimeout(r, 100));
    rooms = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json.rooms;
  }
  assert.equal(rooms, 1, 'only the room with a message is left');
  const history = await http(server.httpUrl, 'GET', '/api/v1/rooms/kept/history');
  assert.equal(history.json.messages.length, 1);
});
