// permessage-deflate (ENABLE_COMPRESSION): negotiated without context
// takeover, room messages compressed once and readable by every member
// whether it negotiated compression or not, client messages inflated only
// up to MAX_MESSAGE_BYTES.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startServer, stopAllServers } from './support/server.mjs';
import { rssBytes } from './support/proc.mjs';
import { connect, closeAllClients, http, rawUpgrade } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** A message compressed as a permessage-deflate sender does (tail removed). */
const deflateMessage = (text) => {
  const all = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual(all.subarray(-4), TAIL);
  return all.subarray(0, -4);
};
const inflateMessage = (payload) =>
  zlib.inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
/** A raw frame's text, inflated when it came compressed. */
const textOf = (f) => (f.rsv1 ? inflateMessage(f.payload) : f.payload.toString());

async function rawMember(server, room, extensions) {
  const raw = await rawUpgrade(server.port, '/ws', { extensions });
  raw.sendText('{"op":"hello","ref":1,"v":1}');
  raw.sendText(`{"op":"join","ref":2,"room":"${room}"}`);
  await raw.waitFrame((f) => f.opcode === 0x1 && /"ref":2/.test(textOf(f)), 5000, 'the join reply');
  return raw;
}

test('with ENABLE_COMPRESSION an offer is answered without context takeover either way', async () => {
  const server = await startServer({ ENABLE_COMPRESSION: 'true' });
  const browserLike = await rawUpgrade(server.port, '/ws', { extensions: 'permessage-deflate; client_max_window_bits' });
  assert.match(browserLike.head, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=12\r\n/i);
  const plain = await rawUpgrade(server.port, '/ws', { extensions: 'permessage-deflate' });
  assert.match(plain.head, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n/i);
  // An offer the shared compressor cannot honour is declined, the next one taken.
  const two = await rawUpgrade(server.port, '/ws',
    { extensions: 'permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits=10' });
  assert.match(two.head, /client_max_window_bits=10\r\n/);
  const declined = await rawUpgrade(server.port, '/ws', { extensions: 'permessage-deflate; server_max_window_bits=9' });
  assert.doesNotMatch(declined.head, /Sec-WebSocket-Extensions/i);
  const unknown = await rawUpgrade(server.port, '/ws', { extensions: 'permessage-deflate; x-unknown=1' });
  assert.doesNotMatch(unknown.head, /Sec-WebSocket-Extensions/i);
});

test('without ENABLE_COMPRESSION nothing is negotiated', async () => {
  const server = await startServer();
  const raw = await rawUpgrade(server.port, '/ws', { extensions: 'permessage-deflate; client_max_window_bits' });
  assert.doesNotMatch(raw.head, /Sec-WebSocket-Extensions/i);
  const c = await connect(server.wsUrl);
  assert.equal(c.ws.extensions, '');
});

test('a room message reaches compressing and plain members alike; each compressed frame inflates on its own', async () => {
  const server = await startServer({ ENABLE_COMPRESSION: 'true' });
  const compressing = await rawMember(server, 'doc', 'permessage-deflate');
  const plain = await rawMember(server, 'doc');
  const viaWs = await connect(server.wsUrl);
  assert.match(viaWs.ws.extensions, /permessage-deflate/);
  await viaWs.join('doc');
  const publisher = await connect(server.wsUrl, { perMessageDeflate: false });
  await publisher.join('doc');

  const texts = Array.from({ length: 3 }, (_, i) => `paragraph ${i}: ${'the quick brown fox jumps over the lazy dog. '.repeat(20)}`);
  for (const text of texts) await publisher.publish('doc', { text });
  const isMessage = (i) => (f) => f.opcode === 0x1 && textOf(f).includes(`paragraph ${i}:`);
  for (let i = 0; i < texts.length; i++) {
    const z = await compressing.waitFrame(isMessage(i), 5000, `compressed message ${i}`);
    assert.equal(z.rsv1, true, 'sent compressed');
    assert.ok(z.payload.length < 400, `compressed to ${z.payload.length} bytes`);
    // No context takeover: this frame inflates with a fresh inflater.
    assert.equal(JSON.parse(inflateMessage(z.payload)).data.text, texts[i]);
    const p = await plain.waitFrame(isMessage(i), 5000, `plain message ${i}`);
    assert.equal(p.rsv1, false);
    assert.equal(JSON.parse(p.payload.toString()).data.text, texts[i]);
    assert.equal((await viaWs.next((f) => f.op === 'message' && f.data.text === texts[i])).data.text, texts[i]);
  }
  // Small frames (replies, pongs) go uncompressed.
  compressing.sendText('{"op":"ping","ref":9,"ts":1}');
  const pong = await compressing.waitFrame((f) => f.opcode === 0x1 && /"op":"pong"/.test(f.payload.toString()), 5000, 'the pong');
  assert.equal(pong.rsv1, false);
});

test('a client\'s compressed messages are inflated, also after a message that ended its stream', async () => {
  const server = await startServer({ ENABLE_COMPRESSION: 'true' });
  const listener = await connect(server.wsUrl, { perMessageDeflate: false });
  await listener.join('chat');
  const raw = await rawMember(server, 'chat', 'permessage-deflate');
  raw.sendText(deflateMessage(`{"op":"publish","ref":3,"room":"chat","event":"m","data":"${'a'.repeat(3000)}"}`), { rsv1: true });
  assert.equal((await listener.next((f) => f.op === 'message')).data, 'a'.repeat(3000));
  // A sender that ends its message with a final block (Z_FINISH).
  raw.sendText(zlib.deflateRawSync(Buffer.from('{"op":"publish","ref":4,"room":"chat","event":"m","data":"final"}')), { rsv1: true });
  assert.equal((await listener.next((f) => f.op === 'message')).data, 'final');
  raw.sendText(deflateMessage('{"op":"publish","ref":5,"room":"chat","event":"m","data":"after"}'), { rsv1: true });
  assert.equal((await listener.next((f) => f.op === 'message')).data, 'after');
  // And `ws`, compressing what it sends, is understood too.
  const ws = await connect(server.wsUrl);
  await ws.join('chat');
  assert.match(ws.ws.extensions, /permessage-deflate/);
  const reply = await ws.publish('chat', 'b'.repeat(5000));
  assert.equal(typeof reply.offset, 'number');
  assert.equal((await listener.next((f) => f.op === 'message')).data, 'b'.repeat(5000));
});

test('a compressed bomb closes its connection with 1009 without the server inflating it', async () => {
  const server = await startServer({ ENABLE_COMPRESSION: 'true', MAX_MESSAGE_BYTES: 1048576 });
  // About 100 KiB on the wire that would inflate to 100 MiB.
  const bomb = zlib.deflateRawSync(Buffer.alloc(100 * 1024 * 1024, 0x20), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  assert.ok(bomb.length < 1048576);
  const before = rssBytes(server.proc.pid);
  for (let i = 0; i < 5; i++) {
    const raw = await rawMember(server, 'x', 'permessage-deflate');
    raw.sendText(bomb, { rsv1: true });
    const close = await raw.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
    assert.equal(close.closeCode, 1009);
  }
  const grown = rssBytes(server.proc.pid) - before;
  assert.ok(grown < 32 * 1024 * 1024, `the server grew by ${Math.round(grown / 1024)} KiB`);
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);
});

test('compressed data that does not inflate closes its connection with 1007', async () => {
  const server = await startServer({ ENABLE_COMPRESSION: 'true' });
  const raw = await rawMember(server, 'x', 'permessage-deflate');
  raw.sendText(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), { rsv1: true });
  const close = await raw.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
  assert.equal(close.closeCode, 1007);
  // A compressed frame on a connection that did not negotiate it is a protocol error.
  const plain = await rawMember(server, 'x');
  plain.sendText(deflateMessage('{"op":"ping","ts":1}'), { rsv1: true });
  assert.equal((await plain.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame')).closeCode, 1002);
});
