// PROTOCOL.md section 7, "Streams": JSON chunks (guaranteed through the
// session room, best-effort sent once), binary chunk frames forwarded
// byte-identical, and the starter-only rule.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, http, rawUpgrade } from './support/client.mjs';
import { isArgs, joinSession, sendEvent, callEvent, seen } from './support/args.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

/** A binary chunk frame: 4-byte big-endian header length, JSON header, raw bytes. */
function binaryChunk(header, bytes) {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length, 0);
  return Buffer.concat([len, h, bytes]);
}

function parseBinaryChunk(buf) {
  const n = buf.readUInt32BE(0);
  return { header: JSON.parse(buf.subarray(4, 4 + n).toString()), bytes: buf.subarray(4 + n) };
}

const isBinary = (f) => f.binary === true;
const isStreamData = (streamId) => isArgs('STREAM_DATA', (p) => p.streamId === streamId);
const isStreamEnd = (streamId) => isArgs('STREAM_END', (p) => p.streamId === streamId);

async function trio(server, session) {
  const [starter, b, c] = await Promise.all([connect(server.wsUrl), connect(server.wsUrl), connect(server.wsUrl)]);
  for (const x of [starter, b, c]) await joinSession(x, session);
  return [starter, b, c];
}

test('guaranteed JSON stream: chunks go through the session room in order; a gap or repeat is bad_request', async () => {
  const server = await startServer();
  const session = 'stream-g';
  const [starter, receiver] = await trio(server, session);
  const config = { sessionId: session, streamId: 'tokens', type: 'json', qualityOfService: 'guaranteed', chunkSize: 1024 };
  const started = await callEvent(starter, 'start-stream', config);
  assert.deepEqual(started, { streamId: 'tokens' });
  const announced = await receiver.next(isArgs('STREAM_START', (p) => p.streamId === 'tokens'));
  assert.equal(announced.room, `$session:${session}`);
  assert.equal(announced.msg.payload.qualityOfService, 'guaranteed');

  await callEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'tokens', seq: 0, chunk: { t: 'Hel' } });
  await callEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'tokens', seq: 1, chunk: { t: 'lo' } });
  const gap = await sendEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'tokens', seq: 3, chunk: {} });
  assert.equal(gap.ok, false);
  assert.equal(gap.error.code, 'bad_request');
  const repeat = await sendEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'tokens', seq: 1, chunk: {} });
  assert.equal(repeat.error?.code, 'bad_request');
  assert.ok(starter.isOpen);

  const snap = await callEvent(receiver, 'sync', { sessionId: session });
  assert.deepEqual(snap.streams.map((s) => s.streamId), ['tokens']);

  await callEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'tokens', seq: 2, chunk: { t: '!' }, isLast: true });
  const d0 = await receiver.next(isStreamData('tokens'));
  const d1 = await receiver.next(isStreamData('tokens'));
  const d2 = await receiver.next(isStreamData('tokens'));
  assert.deepEqual([d0, d1, d2].map((f) => f.msg.payload.seq), [0, 1, 2]);
  assert.deepEqual([d0, d1, d2].map((f) => f.msg.payload.chunk), [{ t: 'Hel' }, { t: 'lo' }, { t: '!' }]);
  for (const f of [d0, d1, d2]) assert.equal(f.room, `$session:${session}`);
  assert.equal(d1.offset, d0.offset + 1);
  assert.equal(d2.offset, d1.offset + 1);
  const end = await receiver.next(isStreamEnd('tokens'));
  assert.equal(end.room, `$session:${session}`);
  // Recoverable: the chunks are in the session's history.
  const history = await receiver.call({ op: 'history', room: `$session:${session}`, since: { epoch: announced.epoch, offset: announced.offset } });
  assert.deepEqual(history.messages.filter((f) => f.msg.type === 'STREAM_DATA').map((f) => f.msg.payload.seq), [0, 1, 2]);
  // The stream is closed.
  const after = await sendEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'tokens', seq: 3, chunk: {} });
  assert.equal(after.error?.code, 'not_found');
});

test('best-effort JSON stream: chunks reach the other members once, without room position, not the sender', async () => {
  const server = await startServer();
  const session = 'stream-be';
  const [starter, b, c] = await trio(server, session);
  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 'be', type: 'text', qualityOfService: 'best-effort' });
  await callEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'be', seq: 0, chunk: 'a' });
  await callEvent(starter, 'stream-chunk', { sessionId: session, streamId: 'be', seq: 5, chunk: 'b' }); // gaps are fine
  for (const r of [b, c]) {
    const x = await r.next(isStreamData('be'));
    const y = await r.next(isStreamData('be'));
    assert.deepEqual([x.msg.payload.chunk, y.msg.payload.chunk], ['a', 'b']);
    assert.equal(x.room, undefined);
    assert.equal(x.offset, undefined);
  }
  const ended = await callEvent(starter, 'end-stream', { sessionId: session, streamId: 'be' });
  assert.deepEqual(ended, {});
  await b.next(isStreamEnd('be'));
  await c.next(isStreamEnd('be'));
  assert.equal(seen(starter, isStreamData('be')).length, 0, 'not echoed to the sender');
  await b.expectNothing(isStreamData('be'), 100);
  assert.equal(seen(b, isStreamData('be')).length, 2, 'each chunk once');
  const history = await b.call({ op: 'history', room: `$session:${session}` });
  assert.equal(history.messages.filter((f) => f.msg.type === 'STREAM_DATA').length, 0, 'best-effort has no history');
});

test('binary chunks are forwarded byte-identical to the other members and not echoed; isLast ends the stream', async () => {
  const server = await startServer();
  const session = 'stream-bin';
  const [starter, b, c] = await trio(server, session);
  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 'audio', type: 'binary', qualityOfService: 'guaranteed' });
  // First a chunk whose bytes happen to be valid UTF-8, so a wrong frame type shows as such.
  const probe = binaryChunk({ sessionId: session, streamId: 'audio', seq: 0 }, Buffer.from('plain ascii bytes'));
  starter.send(probe);
  const first = await b.next((f) => f.binary || f.unparsable !== undefined, { what: 'the first chunk' });
  assert.equal(first.binary, true, `a binary chunk must reach receivers as a binary WebSocket frame; got ${JSON.stringify(first).slice(0, 120)}`);
  assert.ok(first.data.equals(probe));
  await c.next(isBinary);
  const payloads = [crypto.randomBytes(1000), Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]), crypto.randomBytes(70000)];
  const frames = payloads.map((bytes, i) =>
    binaryChunk({ sessionId: session, streamId: 'audio', seq: i + 1, isLast: i === payloads.length - 1 }, bytes));
  for (const f of frames) starter.send(f);
  for (const r of [b, c]) {
    for (let i = 0; i < frames.length; i++) {
      const got = await r.next(isBinary, { what: `binary chunk ${i + 1}` });
      assert.ok(Buffer.compare(got.data, frames[i]) === 0, `chunk ${i + 1} is byte-identical`);
      const parsed = parseBinaryChunk(got.data);
      assert.equal(parsed.header.seq, i + 1);
      assert.ok(parsed.bytes.equals(payloads[i]));
    }
    const end = await r.next(isStreamEnd('audio'));
    assert.equal(end.room, `$session:${session}`);
  }
  await starter.next(isStreamEnd('audio'));
  assert.equal(seen(starter, (f) => f.binary || f.unparsable !== undefined).length, 0, 'the sender gets no echo');
  assert.equal(seen(starter, (f) => f.op === 'error').length, 0);
  // The stream is over: another chunk is refused.
  starter.send(binaryChunk({ sessionId: session, streamId: 'audio', seq: 4 }, Buffer.from('x')));
  const err = await starter.next('error');
  assert.equal(err.error.code, 'not_found');
  await b.expectNothing(isBinary, 100);
  assert.equal(seen(b, isBinary).length, 4);
});

test('only the starter may send a stream\'s data or end it; binary gaps in a guaranteed stream are bad_request', async () => {
  const server = await startServer();
  const session = 'stream-own';
  const [starter, intruder, c] = await trio(server, session);
  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 'mine', type: 'binary', qualityOfService: 'guaranteed' });
  const json = await sendEvent(intruder, 'stream-chunk', { sessionId: session, streamId: 'mine', seq: 0, chunk: 'x' });
  assert.equal(json.error?.code, 'forbidden');
  intruder.send(binaryChunk({ sessionId: session, streamId: 'mine', seq: 0 }, Buffer.from('evil')));
  const binErr = await intruder.next('error');
  assert.equal(binErr.error.code, 'forbidden');
  assert.equal(binErr.op_of, 'stream-chunk');
  const end = await sendEvent(intruder, 'end-stream', { sessionId: session, streamId: 'mine' });
  assert.equal(end.error?.code, 'forbidden');
  const again = await sendEvent(intruder, 'start-stream', { sessionId: session, streamId: 'mine', type: 'binary' });
  assert.equal(again.error?.code, 'conflict', 'an open stream id cannot be started again');

  // The starter: seq 0 then a gap.
  starter.send(binaryChunk({ sessionId: session, streamId: 'mine', seq: 0 }, Buffer.from('ok')));
  starter.send(binaryChunk({ sessionId: session, streamId: 'mine', seq: 2 }, Buffer.from('gap')));
  const gapErr = await starter.next('error');
  assert.equal(gapErr.error.code, 'bad_request');
  // Malformed binary frames are bad_request and the connection stays open.
  starter.send(Buffer.from([0, 0]));
  assert.equal((await starter.next('error')).error.code, 'bad_request');
  const h = Buffer.from('not json');
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32BE(h.length);
  starter.send(Buffer.concat([lenBuf, h]));
  assert.equal((await starter.next('error')).error.code, 'bad_request');
  assert.ok(starter.isOpen);

  const got = await c.next((f) => f.binary || f.unparsable !== undefined, { what: 'the forwarded chunk' });
  assert.equal(got.binary, true, 'forwarded as a binary frame');
  assert.equal(parseBinaryChunk(got.data).bytes.toString(), 'ok');
  await c.expectNothing((f) => f.binary || f.unparsable !== undefined, 150);
  assert.equal(seen(c, (f) => f.binary || f.unparsable !== undefined).length, 1,
    'neither the intruder\'s chunk nor the gap was forwarded');
});

test('a stream whose starter disconnects ends with reason "disconnected"; activeStreams follows', async () => {
  const server = await startServer();
  const session = 'stream-drop';
  const [starter, watcher] = await trio(server, session);
  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 's1', type: 'text' });
  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 's2', type: 'text' });
  const during = await http(server.httpUrl, 'GET', '/api/v1/stats');
  assert.equal(during.json.activeStreams, 2);
  starter.ws.terminate();
  const e1 = await watcher.next(isStreamEnd('s1'));
  const e2 = await watcher.next(isStreamEnd('s2'));
  assert.equal(e1.msg.payload.reason, 'disconnected');
  assert.equal(e2.msg.payload.reason, 'disconnected');
  const after = await http(server.httpUrl, 'GET', '/api/v1/stats');
  assert.equal(after.json.activeStreams, 0);
  const snap = await callEvent(watcher, 'sync', { sessionId: session });
  assert.deepEqual(snap.streams, []);
});

/** A hand-made WebSocket member of $session:<id> that never answers close frames; resolves with {raw, sid}. */
async function rawMember(server, session) {
  const raw = await rawUpgrade(server.port);
  const textReply = (ref) => (f) => f.opcode === 1 && JSON.parse(f.payload.toString()).ref === ref;
  raw.sendText(JSON.stringify({ op: 'hello', ref: 1, v: 1 }));
  const hello = await raw.waitFrame(textReply(1), 5000, 'the hello reply');
  raw.sendText(JSON.stringify({ op: 'join', ref: 2, room: `$session:${session}` }));
  await raw.waitFrame(textReply(2), 5000, 'the join reply');
  return { raw, sid: JSON.parse(hello.payload.toString()).data.sid };
}

test('a binary chunk while another member\'s connection is closing is not a crash', async () => {
  const server = await startServer();
  const session = 'stream-closing';
  const starter = await connect(server.wsUrl);
  await joinSession(starter, session);
  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 'bin', type: 'binary' });
  // The other member is being closed by the server (4003) and does not answer the close frame.
  const { raw, sid } = await rawMember(server, session);
  const res = await http(server.httpUrl, 'POST', '/api/v1/disconnect', { body: { sid } });
  assert.equal(res.status, 200);
  await raw.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
  starter.send(binaryChunk({ sessionId: session, streamId: 'bin', seq: 0 }, Buffer.from('while closing')));
  const alive = await starter.request({ op: 'members', room: `$session:${session}` });
  assert.equal(alive.ok, true, 'the server still answers');
  assert.equal(server.proc.exitCode, null);
  assert.equal(server.proc.signalCode, null);
});

test('real-time chunks are dropped for a receiver over the slow-consumer mark (counted), not a reason to disconnect it', async () => {
  const server = await startServer({ MAX_BUFFERED_BYTES: 1 << 20 });
  const session = 'stream-rt';
  const starter = await connect(server.wsUrl);
  await joinSession(starter, session);
  // A receiver that stops reading: a hand-made WebSocket whose TCP socket is paused.
  const { raw } = await rawMember(server, session);
  raw.socket.pause();

  await callEvent(starter, 'start-stream', { sessionId: session, streamId: 'rt', type: 'media', qualityOfService: 'real-time' });
  const bytes = crypto.randomBytes(512 * 1024);
  for (let seq = 0; seq < 64; seq++) starter.send(binaryChunk({ sessionId: session, streamId: 'rt', seq }, bytes));
  // Round trip through the server so every chunk has been handled.
  const ping = await starter.request({ op: 'members', room: `$session:${session}` }, { timeoutMs: 10000 });
  assert.equal(ping.ok, true);

  const stats = (await http(server.httpUrl, 'GET', '/api/v1/stats')).json;
  assert.equal(stats.slowConsumerDisconnects, 0, 'real-time chunks never make a slow consumer of their receiver');
  assert.ok(stats.droppedMessages > 0, `dropped chunks are counted (droppedMessages ${stats.droppedMessages})`);
  assert.equal(ping.data.memberCount, 2, 'the slow receiver is still a member');
});
