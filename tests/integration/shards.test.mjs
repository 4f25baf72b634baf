// SHARDS: one brolostack-server process running several event loops on one
// port, the kernel spreading connections over them. Clients must not be
// able to tell: one room, one order, one presence list, one ARGS session,
// every HTTP read answered whichever shard takes it, and the sqlite store
// kept in the form a one-shard server reads (and the other way round).
// Without Redis the shards meet through a broker inside the process; with
// BROKER=redis://... each shard is a node of the cluster.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { runUntilExit, startServer, stopServer, stopAllServers, tempDataDir } from './support/server.mjs';
import { connect, closeAllClients, http, sleep } from './support/client.mjs';
import { startRedis, stopAllRedis } from './support/redis.mjs';
import { Agent, callEvent, isTaskEvent, joinSession, startTask } from './support/args.mjs';
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';

let redis;

before(async () => { redis = await startRedis(); });
after(async () => { await stopAllRedis(); });
afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const isMessage = (room) => (f) => f.op === 'message' && f.room === room;

/** Open connections per shard, from /metrics (each shard counts every second). */
async function connectionsPerShard(server) {
  const res = await http(server.httpUrl, 'GET', '/metrics');
  const perShard = {};
  for (const m of res.text.matchAll(/^brolostack_shard_connected_clients\{shard="(\d+)"\} (\d+)/gm)) perShard[m[1]] = Number(m[2]);
  return perShard;
}

/** Waits until /metrics shows `total` connections with every one of `shards` shards holding some. */
async function waitSpread(server, shards, total, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const perShard = await connectionsPerShard(server);
    const counts = Object.values(perShard);
    if (counts.length === shards && counts.every((n) => n > 0) && counts.reduce((a, b) => a + b, 0) === total) return perShard;
    if (Date.now() > until) throw new Error(`connections not spread over ${shards} shards: ${JSON.stringify(perShard)}`);
    await sleep(100);
  }
}

/** Clients connected until the kernel put some on every shard (at most 64). */
async function clientsOnEveryShard(server, shards, atLeast = 8) {
  const clients = [];
  while (clients.length < atLeast) clients.push(await connect(server.wsUrl));
  for (;;) {
    try {
      await waitSpread(server, shards, clients.length, 2500);
      return clients;
    } catch (e) {
      if (clients.length >= 64) throw e;
      for (let i = 0; i < 8; i += 1) clients.push(await connect(server.wsUrl));
    }
  }
}

test('clients on every shard share one room, one order and one presence list', async () => {
  const server = await startServer({ SHARDS: 2 });
  const clients = await clientsOnEveryShard(server, 2);
  const room = 'sharded-chat';
  for (const [i, c] of clients.entries()) await c.join(room, { info: { n: i } });
  const each = 5;
  await Promise.all(clients.map((c, i) =>
    Promise.all(Array.from({ length: each }, (_, k) => c.publish(room, { from: i, k }, { echo: true })))));
  const total = each * clients.length;
  const seen = await Promise.all(clients.map(async (c) => {
    const got = [];
    for (let i = 0; i < total; i += 1) got.push(await c.next(isMessage(room), { what: `message ${i + 1} of ${total}` }));
    return got;
  }));
  assert.deepEqual(seen[0].map((m) => m.offset), Array.from({ length: total }, (_, i) => i + 1));
  for (const got of seen) assert.deepEqual(got.map((m) => [m.offset, m.epoch, m.data]), seen[0].map((m) => [m.offset, m.epoch, m.data]));
  // One presence list, whichever shard is asked, over WebSocket and HTTP.
  for (const c of [clients[0], clients.at(-1)]) {
    const members = await c.request({ op: 'members', room });
    assert.equal(members.data.memberCount, clients.length);
  }
  for (let i = 0; i < 6; i += 1) {
    const members = await http(server.httpUrl, 'GET', `/api/v1/rooms/${room}/members`);
    assert.equal(members.status, 200);
    assert.equal(members.json.memberCount, clients.length);
    const history = await http(server.httpUrl, 'GET', `/api/v1/rooms/${room}/history?limit=3`);
    assert.equal(history.status, 200);
    assert.deepEqual(history.json.messages.map((m) => m.offset), [total - 2, total - 1, total]);
  }
  // /api/v1/stats counts every shard's connections.
  const stats = await http(server.httpUrl, 'GET', '/api/v1/stats');
  await sleep(1100);  // the other shard's count is at most a second old
  const later = await http(server.httpUrl, 'GET', '/api/v1/stats');
  assert.equal(later.json.connectedClients, clients.length, JSON.stringify(stats.json));
});

test('a room\'s history outlives its members and a restart, and the data folder moves between SHARDS settings', async () => {
  const dataDir = tempDataDir();
  try {
    let server = await startServer({ SHARDS: 2, DATA_DIR: dataDir });
    const room = 'kept-room';
    const writer = await connect(server.wsUrl);
    await writer.join(room);
    const placed = [];
    for (let i = 1; i <= 3; i += 1) placed.push(await writer.publish(room, { n: i }));
    await writer.close();
    // Nobody is in the room now: any shard still reads its history.
    for (let i = 0; i < 4; i += 1) {
      const history = await http(server.httpUrl, 'GET', `/api/v1/rooms/${room}/history`);
      assert.equal(history.status, 200, history.text);
      assert.deepEqual(history.json.messages.map((m) => m.data.n), [1, 2, 3]);
    }
    const missing = await http(server.httpUrl, 'GET', '/api/v1/rooms/never-used/history');
    assert.equal(missing.status, 404);
    const stopped = await stopServer(server);
    assert.equal(stopped.code, 0, server.stderr);

    // One shard on the same folder: the same epoch, offsets and messages.
    server = await startServer({ SHARDS: 1, DATA_DIR: dataDir });
    const one = await http(server.httpUrl, 'GET', `/api/v1/rooms/${room}/history`);
    assert.equal(one.json.epoch, placed[0].epoch);
    assert.deepEqual(one.json.messages.map((m) => [m.offset, m.data.n]), [[1, 1], [2, 2], [3, 3]]);
    const reader = await connect(server.wsUrl);
    await reader.join(room);
    await reader.publish(room, { n: 4 });
    await reader.close();
    assert.equal((await stopServer(server)).code, 0);

    // Two shards again: a client recovers from where it was.
    server = await startServer({ SHARDS: 2, DATA_DIR: dataDir });
    const back = await connect(server.wsUrl);
    const joined = await back.join(room, { since: { epoch: placed[0].epoch, offset: 2 } });
    assert.equal(joined.epoch, placed[0].epoch);
    assert.deepEqual(joined.missed.map((m) => [m.offset, m.data.n]), [[3, 3], [4, 4]]);
    const fifth = await back.publish(room, { n: 5 });
    assert.equal(fifth.offset, 5);
  } finally {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('an ARGS session\'s agents on different shards complete its tasks, and the session survives a restart', async () => {
  const dataDir = tempDataDir();
  try {
    let server = await startServer({ SHARDS: 2, DATA_DIR: dataDir });
    const session = 'sharded-session';
    const submitter = await connect(server.wsUrl);
    await joinSession(submitter, session);
    const workers = [];
    for (let i = 0; i < 8; i += 1) {
      workers.push(await Agent.connect(server, { id: `w${i}`, type: 'worker', sessionId: session }));
    }
    await waitSpread(server, 2, 9);
    const tasks = Array.from({ length: 16 }, (_, i) => `t${i}`);
    await Promise.all(tasks.map((id) => startTask(submitter, session, { id, requirements: { agentTypes: ['worker'] }, payload: { id } })));
    // Every agent completes what it is given until every task is done.
    const done = Promise.all(tasks.map((id) => submitter.next(isTaskEvent('TASK_COMPLETE', id), { timeoutMs: 15000 })));
    let finished = false;
    done.finally(() => { finished = true; });
    await Promise.all(workers.map(async (w) => {
      while (!finished) {
        let assign;
        try { assign = await w.nextAssign(undefined, { timeoutMs: 200 }); } catch { continue; }
        await w.complete(assign.taskId, { by: w.id, id: assign.input.id });
      }
    }));
    const completed = await done;
    assert.deepEqual(completed.map((f) => f.msg.payload.result.id).sort(), [...tasks].sort());
    // A task left waiting for an agent type nobody has survives the restart.
    await startTask(submitter, session, { id: 'later', requirements: { agentTypes: ['nobody'] }, payload: {} });
    for (const w of workers) await w.close();
    await submitter.close();
    assert.equal((await stopServer(server)).code, 0, server.stderr);

    server = await startServer({ SHARDS: 2, DATA_DIR: dataDir });
    // Whichever shard takes each request answers for the session.
    for (let i = 0; i < 4; i += 1) {
      const snapshot = await http(server.httpUrl, 'GET', `/api/v1/sessions/${session}`);
      assert.equal(snapshot.status, 200, snapshot.text);
      const ids = snapshot.json.tasks.map((t) => t.id);
      assert.ok(ids.includes('later'), JSON.stringify(ids));
      const list = await http(server.httpUrl, 'GET', '/api/v1/sessions');
      assert.deepEqual(list.json, { count: 1, sessions: [session] });
      const letters = await http(server.httpUrl, 'GET', `/api/v1/sessions/${session}/dead-letters`);
      assert.equal(letters.status, 200, letters.text);
      assert.equal(letters.json.count, 0);
      const requeue = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/dead-letters/t0/requeue`);
      assert.equal(requeue.status, 409, requeue.text);  // t0 completed: nothing to requeue
    }
  } finally {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('binary stream chunks reach the session\'s members on every shard, byte-identical and in order', async () => {
  const server = await startServer({ SHARDS: 2 });
  const session = 'sharded-stream';
  // Four senders: the kernel spreads them, so most runs have one on a shard that does not coordinate
  // the session (the unit tests pin that case down).
  const members = await clientsOnEveryShard(server, 2, 6);
  for (const m of members) await joinSession(m, session);
  const senders = [];
  for (let i = 0; i < 4; i += 1) {
    const agent = await Agent.connect(server, { id: `streamer-${i}`, type: 'audio', sessionId: session });
    await callEvent(agent.client, 'start-stream', { sessionId: session, streamId: `s${i}`, type: 'binary', qualityOfService: 'guaranteed' });
    senders.push(agent);
  }
  const frames = senders.map((_, i) => [0, 1, 2].map((seq) => {
    const header = Buffer.from(JSON.stringify({ sessionId: session, streamId: `s${i}`, seq, isLast: seq === 2 }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length);
    return Buffer.concat([len, header, crypto.randomBytes(seq === 1 ? 70000 : 300)]);
  }));
  for (const [i, agent] of senders.entries()) for (const f of frames[i]) agent.client.send(f);
  for (const m of members) {
    const got = [];
    while (got.length < 12) got.push((await m.next((f) => f.binary === true, { what: `binary chunk ${got.length + 1} of 12` })).data);
    for (const [i, sent] of frames.entries()) {
      // Each stream's chunks in the order sent, every byte as sent.
      const mine = got.filter((g) => sent.some((f) => f.equals(g)));
      assert.equal(mine.length, 3, `stream s${i}`);
      mine.forEach((g, k) => assert.ok(g.equals(sent[k]), `stream s${i} chunk ${k}`));
    }
  }
  for (const agent of senders) assert.equal(agent.client.all.filter((f) => f.op === 'error').length, 0);
});

test('with Redis each shard is a node: two processes of two shards each behave as one', async () => {
  const [a, b] = await Promise.all([startServer({ SHARDS: 2, BROKER: redis.url }), startServer({ SHARDS: 2, BROKER: redis.url })]);
  for (const server of [a, b]) {
    for (const until = Date.now() + 10000; (await http(server.httpUrl, 'GET', '/readyz')).status !== 200;) {
      if (Date.now() > until) throw new Error('not ready');
      await sleep(20);
    }
  }
  const onA = await clientsOnEveryShard(a, 2, 4);
  const onB = await clientsOnEveryShard(b, 2, 4);
  const everyone = [...onA, ...onB];
  const room = 'four-nodes';
  for (const c of everyone) await c.join(room);
  await Promise.all(everyone.map((c, i) => c.publish(room, { from: i }, { echo: true })));
  for (const c of everyone) {
    const got = [];
    for (let i = 0; i < everyone.length; i += 1) got.push((await c.next(isMessage(room))).offset);
    assert.deepEqual(got, Array.from({ length: everyone.length }, (_, i) => i + 1));
  }
  const members = await http(b.httpUrl, 'GET', `/api/v1/rooms/${room}/members`);
  assert.equal(members.json.memberCount, everyone.length);
});

test('SIGTERM drains every shard: each client is closed with 1001 and the process exits 0', async () => {
  const server = await startServer({ SHARDS: 2 });
  const clients = await clientsOnEveryShard(server, 2);
  const closes = clients.map((c) => c.waitClose({ timeoutMs: 10000 }));
  const stopped = await stopServer(server);
  assert.equal(stopped.code, 0, server.stderr);
  for (const close of await Promise.all(closes)) assert.equal(close.code, 1001);
});

test('a SHARDS value that is not a count from 1 to 256 or auto stops the start with a clear message', async () => {
  for (const bad of ['0', 'many', '300']) {
    const result = await runUntilExit({ SHARDS: bad });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /SHARDS must be auto or an integer from 1 to 256/);
  }
});
