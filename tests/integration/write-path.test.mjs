// How frames leave the server (native-server/src/direct_writer.hpp): whole,
// in order, past a socket that fills up, and never mixed with the control
// frames websocketpp writes itself.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, rawUpgrade, closeAllClients, http } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

/** A masked ping frame (the mask is zero, so the payload is as given). */
function pingFrame(text) {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x89, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** Every frame is one the server may send, and every text frame is JSON. */
function assertWellFormed(frames) {
  for (const f of frames) {
    assert.ok([0x1, 0x8, 0x9, 0xa].includes(f.opcode), `opcode ${f.opcode}: bytes out of place`);
    if (f.opcode === 0x1) assert.doesNotThrow(() => JSON.parse(f.payload.toString()), 'a text frame is whole JSON');
  }
}

test('a member that stops reading gets every frame whole and in order once it reads again, its pings answered in between', async () => {
  // A backlog far past what the socket buffers hold: most of it waits in the server.
  const server = await startServer({ MAX_BUFFERED_BYTES: 256 * 1024 * 1024, HISTORY_MAX_BYTES: 1024 * 1024 });
  const slow = await rawUpgrade(server.port);
  slow.sendText('{"op":"hello","ref":1,"v":1}');
  slow.sendText('{"op":"join","ref":2,"room":"flood"}');
  await slow.waitFrame((f) => f.opcode === 0x1 && /"ref":2/.test(f.payload.toString()), 5000, 'the join reply');
  slow.socket.pause();
  const pub = await connect(server.wsUrl);
  await pub.join('flood');
  const total = 400;
  const pings = [];
  for (let i = 0; i < total; i += 20) {
    const batch = [];
    for (let j = i; j < i + 20; j++) batch.push(pub.publish('flood', `${j}:${'x'.repeat(60000)}`));
    await Promise.all(batch);
    // The pong goes out through websocketpp while the backlog waits.
    pings.push(`p${i}`);
    slow.socket.write(pingFrame(`p${i}`));
  }
  const stats = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json;
  assert.equal(stats.slowConsumerDisconnects, 0);

  slow.socket.resume();
  const isMessage = (f) => f.opcode === 0x1 && f.payload.toString().startsWith('{"op":"message"');
  await slow.waitFrame((f) => isMessage(f) && JSON.parse(f.payload.toString()).data.startsWith(`${total - 1}:`),
    20000, 'the last message');
  await slow.waitFrame((f) => f.opcode === 0xa && f.payload.toString() === pings.at(-1), 5000, 'the last pong');
  assertWellFormed(slow.frames);
  const messages = slow.frames.filter(isMessage).map((f) => JSON.parse(f.payload.toString()));
  assert.equal(messages.length, total);
  messages.forEach((m, i) => {
    assert.equal(m.data.split(':')[0], String(i), 'in publish order');
    if (i) assert.equal(m.offset, messages[i - 1].offset + 1, 'no gap in offsets');
  });
  assert.deepEqual(slow.frames.filter((f) => f.opcode === 0xa).map((f) => f.payload.toString()), pings, 'every ping answered, in order');
});

test('publishes sent back to back reach every member in order, each frame whole', async () => {
  const server = await startServer();
  const members = [];
  for (let i = 0; i < 20; i++) {
    const raw = await rawUpgrade(server.port);
    raw.sendText('{"op":"hello","ref":1,"v":1}');
    raw.sendText('{"op":"join","ref":2,"room":"burst"}');
    await raw.waitFrame((f) => f.opcode === 0x1 && /"ref":2/.test(f.payload.toString()), 5000, 'the join reply');
    members.push(raw);
  }
  const pub = await connect(server.wsUrl);
  await pub.join('burst');
  // One write of many publishes: the server reads several in one loop turn.
  const sizes = [10, 200, 70000, 5, 3000];
  const frames = [];
  for (let i = 0; i < 100; i++) frames.push(JSON.stringify({ op: 'publish', ref: 1000 + i, room: 'burst', event: 'e', data: `${i}:${'y'.repeat(sizes[i % sizes.length])}` }));
  for (const f of frames) pub.send(f);
  await pub.next((f) => f.op === 'reply' && f.ref === 1099, { timeoutMs: 10000 });
  const isMessage = (f) => f.opcode === 0x1 && f.payload.toString().startsWith('{"op":"message"');
  for (const raw of members) {
    await raw.waitFrame((f) => isMessage(f) && JSON.parse(f.payload.toString()).data.startsWith('99:'), 10000, 'the last message');
    assertWellFormed(raw.frames);
    const got = raw.frames.filter(isMessage).map((f) => JSON.parse(f.payload.toString()).data);
    assert.deepEqual(got.map((d) => d.split(':')[0]), frames.map((_, i) => String(i)));
    got.forEach((d, i) => assert.equal(d.length, `${i}:`.length + sizes[i % sizes.length]));
  }
});
