// Cluster mode (BROKER=redis://...): three brolostack-server processes and
// one real redis-server, all on loopback. Clients spread over the nodes
// must see one room: one sequence of offsets, every message on every node,
// recovery on whichever node a client comes back to, dedupe across nodes,
// and nothing acknowledged lost when Redis restarts.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { stopServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, http, sleep } from './support/client.mjs';
import { startRedis, stopAllRedis } from './support/redis.mjs';
import { startNodes as startClusterNodes } from './support/cluster.mjs';

let redis;

before(async () => { redis = await startRedis(); });
after(async () => { await stopAllRedis(); });
afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const startNodes = (n, env) => startClusterNodes(redis, n, env);

const isMessage = (room) => (f) => f.op === 'message' && f.room === room;

/** The next `n` messages of `room` a client receives. */
async function messages(client, room, n, timeoutMs = 10000) {
  const got = [];
  for (let i = 0; i < n; i += 1) got.push(await client.next(isMessage(room), { timeoutMs, what: `message ${i + 1} of ${n}` }));
  return got;
}

/** Publishes until the broker takes it, retrying the same mid while it answers unavailable. */
async function publishRetrying(client, room, data, mid, { deadlineMs = 20000 } = {}) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const reply = await client.request({ op: 'publish', room, event: 'message', data, mid }, { timeoutMs: 10000 });
    if (reply.ok) return reply.data;
    assert.equal(reply.error.code, 'unavailable', JSON.stringify(reply.error));
    if (Date.now() > until) throw new Error(`publish ${mid} still unavailable after ${deadlineMs} ms`);
    await sleep(100);
  }
}

test('messages published on three nodes reach every member on every node, in one order', async () => {
  const nodes = await startNodes(3);
  const clients = await Promise.all(nodes.map((node) => connect(node.wsUrl)));
  const room = 'cluster-chat';
  for (const c of clients) await c.join(room);
  const each = 20;
  // Everyone publishes at once, with echo, so everyone sees all of it.
  await Promise.all(clients.map((c, i) =>
    Promise.all(Array.from({ length: each }, (_, k) => c.publish(room, { from: i, k }, { echo: true })))));
  const seen = await Promise.all(clients.map((c) => messages(c, room, each * clients.length)));
  const reference = seen[0];
  assert.deepEqual(reference.map((m) => m.offset), Array.from({ length: each * 3 }, (_, i) => i + 1));
  for (const got of seen) {
    // The same message at the same offset on every node, one epoch.
    assert.deepEqual(got.map((m) => [m.offset, m.epoch, m.data]), reference.map((m) => [m.offset, m.epoch, m.data]));
  }
  // Each publisher's messages keep the order it sent them in.
  for (let i = 0; i < 3; i += 1) {
    const mine = reference.filter((m) => m.data.from === i).map((m) => m.data.k);
    assert.deepEqual(mine, Array.from({ length: each }, (_, k) => k));
  }
  for (const c of clients) await c.expectNothing(isMessage(room), 200);
});

test('a client whose node was killed recovers what it missed on another node', async () => {
  const [first, second, third] = await startNodes(3);
  const room = 'cluster-recovery';
  const ada = await connect(first.wsUrl);
  const bob = await connect(third.wsUrl);
  await ada.join(room);
  await bob.join(room);
  for (let i = 0; i < 3; i += 1) await bob.publish(room, { n: i });
  const read = await messages(ada, room, 3);
  const position = { epoch: read[2].epoch, offset: read[2].offset };

  await stopServer(first, { signal: 'SIGKILL' });
  await ada.closed;
  const missed = [];
  for (let i = 3; i < 8; i += 1) missed.push(await bob.publish(room, { n: i }));

  // Back, on another node, with the resume it had.
  const back = await connect(second.wsUrl, { hello: { resume: { token: ada.hello.resumeToken, rooms: { [room]: position } } } });
  const resumed = back.hello.rooms[room];
  assert.equal(resumed.recovered, true, JSON.stringify(resumed));
  assert.deepEqual(resumed.missed.map((m) => m.offset), missed.map((p) => p.offset));
  assert.deepEqual(resumed.missed.map((m) => m.data.n), [3, 4, 5, 6, 7]);
  // And it is live there: the next message arrives once.
  await bob.publish(room, { n: 8 });
  const [live] = await messages(back, room, 1);
  assert.equal(live.offset, missed.at(-1).offset + 1);
});

test('a publish retried on another node after its node died is recognised by its mid', async () => {
  const [first, second] = await startNodes(2);
  const room = 'cluster-dedupe';
  const ada = await connect(first.wsUrl);
  await ada.join(room);
  const placed = await ada.publish(room, { text: 'once' }, { mid: 'm-1' });
  await stopServer(first, { signal: 'SIGKILL' });
  const back = await connect(second.wsUrl, { hello: { resume: { token: ada.hello.resumeToken } } });
  assert.equal(back.hello.resumeToken, ada.hello.resumeToken);
  await back.join(room);
  const again = await back.publish(room, { text: 'once' }, { mid: 'm-1' });
  assert.equal(again.duplicate, true);
  assert.equal(again.offset, placed.offset);
  const history = await back.call({ op: 'history', room });
  assert.deepEqual(history.messages.map((m) => m.data.text), ['once']);
});

test('with Redis restarted mid-run no acknowledged message is lost and publishes meanwhile answer unavailable', async () => {
  const nodes = await startNodes(3);
  const room = 'cluster-redis-restart';
  const clients = await Promise.all(nodes.map((node) => connect(node.wsUrl)));
  for (const c of clients) await c.join(room);
  const acknowledged = new Map();  // mid -> offset
  const publish = async (i, c) => {
    const mid = `m-${i}`;
    const placed = await publishRetrying(c, room, { i }, mid);
    acknowledged.set(mid, placed.offset);
  };
  for (let i = 0; i < 10; i += 1) await publish(i, clients[i % 3]);

  assert.equal((await http(nodes[0].httpUrl, 'GET', '/readyz')).status, 200);
  await redis.stop();
  // While Redis is away the nodes say they are not ready...
  for (let tries = 0; ; tries += 1) {
    const ready = await http(nodes[0].httpUrl, 'GET', '/readyz');
    if (ready.status === 503) {
      assert.deepEqual(ready.json, { status: 'broker unreachable' });
      break;
    }
    assert.ok(tries < 100, 'still ready with Redis gone');
    await sleep(50);
  }
  // ...and a publish is answered, not left hanging.
  const refused = await clients[0].request({ op: 'publish', room, event: 'message', data: { i: -1 } }, { timeoutMs: 5000 });
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'unavailable');
  // Publishes started now go through once Redis is back.
  const during = Promise.all(Array.from({ length: 6 }, (_, k) => publish(10 + k, clients[k % 3])));
  await sleep(300);
  await redis.restart();
  await during;
  for (let i = 16; i < 20; i += 1) await publish(i, clients[i % 3]);
  // Ready again once both of a node's Redis connections are back (the
  // fan-out one may reconnect a little after the one publishes use).
  for (const node of nodes) {
    for (let tries = 0; (await http(node.httpUrl, 'GET', '/readyz')).status !== 200; tries += 1) {
      assert.ok(tries < 100, `node ${node.httpUrl} not ready again`);
      await sleep(50);
    }
  }

  // A newcomer gets every acknowledged message once, in offset order: in its
  // join reply, or delivered right after it while its node still reads what
  // the room missed during the outage.
  const reader = await connect(nodes[1].wsUrl);
  const joined = await reader.join(room, { since: { epoch: (await clients[1].call({ op: 'history', room })).epoch, offset: 0 } });
  const got = [...joined.missed];
  const lastAcknowledged = Math.max(...acknowledged.values());
  while (got.length === 0 || got.at(-1).offset < lastAcknowledged) got.push(await reader.next(isMessage(room)));
  const offsets = got.map((m) => m.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  const byMid = new Map(got.map((m) => [m.mid, m.offset]));
  for (const [mid, offset] of acknowledged) assert.equal(byMid.get(mid), offset, `${mid} lost or moved`);
  assert.equal(new Set(got.map((m) => m.mid)).size, got.length, 'a message was kept twice');
  // Every node's members got every acknowledged message live, in order.
  for (const c of clients) {
    const live = c.all.filter(isMessage(room)).map((m) => m.offset);
    assert.deepEqual(live, [...live].sort((a, b) => a - b));
  }
});

test('members on three nodes see one presence list, and a killed node\'s members leave it', async (t) => {
  const nodes = await startNodes(3);
  const room = 'cluster-presence';
  const names = ['ada', 'bob', 'cy'];
  const clients = [];
  for (let i = 0; i < 3; i += 1) {
    const c = await connect(nodes[i].wsUrl);
    const joined = await c.join(room, { info: { name: names[i] } });
    assert.equal(joined.memberCount, i + 1);
    assert.deepEqual(joined.members.map((m) => m.info.name).sort(), names.slice(0, i + 1));
    clients.push(c);
  }
  const [ada, bob, cy] = clients;
  // Ada (node 1) hears bob and cy join, from the other nodes.
  for (const name of ['bob', 'cy']) {
    const p = await ada.next((f) => f.op === 'presence' && f.action === 'join');
    assert.equal(p.member.info.name, name);
  }
  const listed = await bob.call({ op: 'members', room });
  assert.equal(listed.memberCount, 3);
  assert.deepEqual(listed.members.map((m) => m.info.name).sort(), names);

  // Dee, on cy's node, comes and leaves politely: heard at once everywhere.
  const dee = await connect(nodes[2].wsUrl);
  await dee.join(room, { info: { name: 'dee' } });
  await dee.call({ op: 'leave', room });
  for (const c of [ada, bob, cy]) {
    const p = await c.next((f) => f.op === 'presence' && f.action === 'leave');
    assert.equal(p.member.info.name, 'dee');
    assert.equal(p.memberCount, 3);
  }
  // Bob's node dies: its member is dropped on every node once its liveness lapses.
  const killedAt = Date.now();
  await stopServer(nodes[1], { signal: 'SIGKILL' });
  for (const c of [ada, cy]) {
    const gone = await c.next((f) => f.op === 'presence' && f.action === 'leave', { timeoutMs: 15000 });
    t.diagnostic(`a killed node's member lingered ${Date.now() - killedAt} ms`);
    assert.equal(gone.member.info.name, 'bob');
    assert.equal(gone.memberCount, 2);
  }
  // A newcomer sees ada and cy.
  const late = await connect(nodes[2].wsUrl);
  const joined = await late.join(room);
  assert.deepEqual(joined.members.map((m) => m.info.name ?? null).sort(), ['ada', 'cy', null]);
  await ada.expectNothing((f) => f.op === 'presence' && f.action === 'leave', 200);
});

test('with Redis not answering, publishes and new rooms answer unavailable, and presence and publishing recover after', async () => {
  const [first, second] = await startNodes(2);
  const room = 'cluster-stall';
  const ada = await connect(first.wsUrl);
  const bob = await connect(second.wsUrl);
  await ada.join(room, { info: { name: 'ada' } });
  await bob.join(room, { info: { name: 'bob' } });
  await ada.next((f) => f.op === 'presence' && f.action === 'join');
  redis.pause();
  try {
    // Unanswered, not lost: Redis may still run it once it wakes, so the
    // client retries with the same mid.
    const published = await ada.request({ op: 'publish', room, event: 'message', data: { n: 1 }, mid: 'stall-1' },
      { timeoutMs: 10000 });
    assert.equal(published.error?.code, 'unavailable');
    const cy = await connect(second.wsUrl);
    const joined = await cy.request({ op: 'join', room: 'cluster-stall-new' }, { timeoutMs: 10000 });
    assert.equal(joined.error?.code, 'unavailable');
    await sleep(5500);  // past the nodes' liveness: each may take the other for dead once Redis answers
  } finally {
    redis.resume();
  }
  // The retry lands once, whether or not Redis ran the first try; messages flow again.
  const placed = await publishRetrying(ada, room, { n: 1 }, 'stall-1');
  const next = await publishRetrying(ada, room, { n: 2 }, 'stall-2');
  const got = await messages(bob, room, 2, 10000);
  assert.deepEqual(got.map((m) => [m.mid, m.offset]), [['stall-1', placed.offset], ['stall-2', next.offset]]);
  // Both stay listed on both nodes.
  for (let tries = 0; ; tries += 1) {
    const lists = await Promise.all([ada, bob].map((c) => c.call({ op: 'members', room })));
    if (lists.every((l) => l.memberCount === 2)) break;
    assert.ok(tries < 100, `members after the stall: ${JSON.stringify(lists.map((l) => l.members.map((m) => m.info.name)))}`);
    await sleep(100);
  }
  await sleep(2500);  // the liveness checks after the stall are done
  for (const c of [ada, bob]) {
    const l = await c.call({ op: 'members', room });
    assert.equal(l.memberCount, 2, `${c === ada ? 'ada' : 'bob'} sees ${JSON.stringify(l.members.map((m) => m.info.name))}; ` +
      `ada heard ${JSON.stringify(ada.all.filter((f) => f.op === 'presence').map((f) => f.action + ' ' + f.member.info.name))}`);
  }
});

test('a backend publishing over HTTP to one node reaches members on every node', async () => {
  const [first, second, third] = await startNodes(3);
  const ada = await connect(second.wsUrl);
  const bob = await connect(third.wsUrl);
  const joined = await ada.join('cluster-news');
  await bob.join('cluster-sports');
  await ada.publish('cluster-news', { first: true });
  const one = await http(first.httpUrl, 'POST', '/api/v1/publish', {
    body: { room: 'cluster-news', event: 'announcement', data: { text: 'from the backend' } },
  });
  assert.equal(one.status, 200);
  assert.deepEqual(one.json, { offset: 2, epoch: joined.epoch });
  const [got] = await messages(ada, 'cluster-news', 1);
  assert.equal(got.offset, 2);
  assert.deepEqual(got.data, { text: 'from the backend' });

  const many = await http(first.httpUrl, 'POST', '/api/v1/broadcast', {
    body: { rooms: ['cluster-news', 'cluster-sports'], event: 'alert', data: { level: 1 } },
  });
  assert.equal(many.status, 200);
  assert.deepEqual(many.json.results.map((r) => [r.room, r.offset]), [['cluster-news', 3], ['cluster-sports', 1]]);
  assert.equal((await messages(ada, 'cluster-news', 1))[0].event, 'alert');
  assert.equal((await messages(bob, 'cluster-sports', 1))[0].event, 'alert');

  // While Redis is away the backend hears 503 at once.
  await redis.stop();
  const refused = await http(first.httpUrl, 'POST', '/api/v1/publish', {
    body: { room: 'cluster-news', event: 'late', data: {} },
  });
  assert.equal(refused.status, 503);
  assert.equal(refused.json.error.code, 'unavailable');
  await redis.restart();
});

test('nodes on a password-protected Redis work as one, and a wrong password keeps a node unready', async () => {
  const guarded = await startRedis({ password: 'p@ss word' });
  const [first, second] = await startClusterNodes(guarded, 2);
  const room = 'cluster-auth';
  const ada = await connect(first.wsUrl);
  const bob = await connect(second.wsUrl);
  await bob.join(room);
  await ada.join(room);
  await ada.publish(room, { text: 'through a guarded Redis' });
  assert.deepEqual((await messages(bob, room, 1))[0].data, { text: 'through a guarded Redis' });

  const { startServer } = await import('./support/server.mjs');
  const wrong = await startServer({ BROKER: `redis://:wrong@127.0.0.1:${guarded.port}` });
  await sleep(300);
  const ready = await http(wrong.httpUrl, 'GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.json, { status: 'broker unreachable' });
  // Its log says why, without the password.
  for (let tries = 0; !/AUTH failed/.test(wrong.stdout + wrong.stderr); tries += 1) {
    assert.ok(tries < 100, `no reason logged: ${wrong.stdout}${wrong.stderr}`);
    await sleep(50);
  }
  assert.ok(!`${wrong.stdout}${wrong.stderr}`.includes('wrong@'), 'the password stays out of the log');
});

test('BROKER that is not a Redis URL is refused at start', async () => {
  const { runUntilExit } = await import('./support/server.mjs');
  const result = await runUntilExit({ BROKER: 'nats://127.0.0.1:4222', STORE: 'memory' });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /BROKER must be local or redis:\/\//);
});
