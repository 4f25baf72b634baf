// Nothing acknowledged is lost: JS clients publish with mids, and start
// ARGS tasks that JS agents run, through a TCP proxy while the real binary
// is SIGKILLed and restarted on its SQLite store and the proxy cuts every
// connection, several times each. Afterwards the room's history holds every
// acknowledged message exactly once, each publisher's messages in the order
// it sent them, and every subscriber saw offsets 1..last once each, with the
// same message at each offset as the history (a delivery never gets ahead
// of the disk); every task acknowledged as queued completed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import WebSocket from 'ws';
import { BrolostackWSClientside, registerAgent } from '../../js/src/index.mjs';
import { startServer, stopAllServers, stopServer, tempDataDir } from './support/server.mjs';
import { startTcpProxy } from '../e2e/support/tcp-proxy.mjs';
import { until } from '../js/support/events.mjs';

const ROOM = 'faults';
const PUBLISHERS = 3;
const IN_FLIGHT = 4;
const MAX_EACH = 250;  // all of them fit in the room's history
const FAULTS = ['kill', 'cut', 'kill', 'cut', 'kill', 'cut'];

const clients = [];
const folders = [];
let proxy = null;
after(async () => {
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await proxy?.close();
  await stopAllServers();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function client(url) {
  const c = new BrolostackWSClientside({
    url, WebSocket, environment: 'development', storage: null,
    reconnectionAttempts: 1000, reconnectionDelay: 20, reconnectionDelayMax: 100,
  });
  clients.push(c);
  return c;
}

/**
 * Publishes until `faultsOver()` (then ten more), at most IN_FLIGHT
 * unacknowledged; resolves to the replies in the order sent.
 */
async function publishAll(publisher, who, faultsOver) {
  const replies = [];
  const inFlight = new Set();
  let extra = 10;
  for (let i = 0; i < MAX_EACH && extra > 0; i++) {
    if (faultsOver()) extra -= 1;
    const reply = publisher.sendToRoom(ROOM, 'step', { who, i });
    replies.push(reply);
    inFlight.add(reply);
    reply.finally(() => inFlight.delete(reply)).catch(() => {});
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    await sleep(10);
  }
  return Promise.all(replies);
}

/** Kills and restarts the server or cuts the proxy's connections, in FAULTS order, while work is in flight. */
async function injectFaults(DATA_DIR, server) {
  const port = server.port;
  for (const fault of FAULTS) {
    await sleep(150);
    proxy.swallowReplies();
    await sleep(40);
    if (fault === 'kill') {
      await stopServer(server, { signal: 'SIGKILL' });
      await sleep(50);
      server = await startServer({ DATA_DIR }, { port });
    } else {
      await proxy.cut();
      await sleep(50);
      await proxy.restore();
    }
  }
  return server;
}

test('messages acknowledged across SIGKILLs and connection cuts are kept and delivered exactly once, in order', async () => {
  const DATA_DIR = tempDataDir();
  folders.push(DATA_DIR);
  let server = await startServer({ DATA_DIR });
  const port = server.port;
  proxy = await startTcpProxy(port);

  const subscribers = [client(proxy.wsUrl), client(proxy.wsUrl)];
  const publishers = Array.from({ length: PUBLISHERS }, () => client(proxy.wsUrl));
  const seen = subscribers.map(() => []);
  const recoveryFailures = [];
  subscribers.forEach((s, n) => {
    s.on('message', (frame) => { if (frame.room === ROOM) seen[n].push({ offset: frame.offset, data: frame.data }); });
    s.on('recovery-failed', (d) => recoveryFailures.push(d));
  });
  await Promise.all([...subscribers, ...publishers].map((c) => c.ready));
  await Promise.all([...subscribers, ...publishers].map((c) => c.joinRoom(ROOM)));

  let faultsOver = false;
  const publishing = Promise.all(publishers.map((p, who) => publishAll(p, who, () => faultsOver)));

  // The faults land while messages are in flight.
  server = await injectFaults(DATA_DIR, server);
  faultsOver = true;
  const replies = await publishing;
  assert.ok(replies.flat().some((r) => r.duplicate), 'some resent mids met messages kept before the fault');

  // The history: every acknowledged message once, offsets 1..n, and each
  // publisher's messages in the order it sent them.
  const counts = replies.map((r) => r.length);
  assert.ok(counts.every((n) => n < MAX_EACH), 'the faults ended while publishing');
  const total = counts.reduce((a, b) => a + b, 0);
  const history = await (await fetch(`${server.httpUrl}/api/v1/rooms/${ROOM}/history?limit=1000`)).json();
  const kept = history.messages;
  assert.equal(kept.length, total, 'each acknowledged message is in the history once');
  assert.deepEqual(kept.map((m) => m.offset), Array.from({ length: total }, (_, k) => k + 1));
  for (let who = 0; who < PUBLISHERS; who++) {
    const order = kept.filter((m) => m.data.who === who).map((m) => m.data.i);
    assert.deepEqual(order, Array.from({ length: counts[who] }, (_, i) => i), `publisher ${who}'s order`);
  }
  const byOffset = new Map(kept.map((m) => [m.offset, m.data]));
  for (let who = 0; who < PUBLISHERS; who++) {
    replies[who].forEach((reply, i) => {
      assert.deepEqual(byOffset.get(reply.offset), { who, i }, 'the acknowledged offset holds the message acknowledged');
    });
  }

  // The subscribers: the epoch survived every restart, so each recovered
  // what it missed and saw every offset once, with what the history holds.
  await until(() => seen.every((s) => s.length >= total), 'every subscriber reaching the last offset', 15000);
  assert.deepEqual(recoveryFailures, [], 'no recovery failed: the epoch survived the restarts');
  for (const s of seen) {
    assert.deepEqual(s.map((m) => m.offset), Array.from({ length: total }, (_, k) => k + 1));
    for (const m of s) assert.deepEqual(m.data, byOffset.get(m.offset));
  }
});

test('tasks acknowledged across SIGKILLs and connection cuts all complete', async () => {
  const DATA_DIR = tempDataDir();
  folders.push(DATA_DIR);
  let server = await startServer({ DATA_DIR });
  await proxy?.close();
  proxy = await startTcpProxy(server.port);

  const SESSION = 'jobs';
  const runs = new Map();  // task id -> times an agent ran it
  const agents = ['w1', 'w2'].map(() => client(proxy.wsUrl));
  await Promise.all(agents.map((c) => c.ready));
  await Promise.all(agents.map((c, n) => registerAgent(c,
    { id: `w${n + 1}`, type: 'worker', capabilities: ['work'], sessionId: SESSION, metadata: { maxConcurrentTasks: 2 } },
    async (assignment) => {
      runs.set(assignment.taskId, (runs.get(assignment.taskId) ?? 0) + 1);
      await sleep(15);
      return { done: assignment.taskId };
    })));

  const submitter = client(proxy.wsUrl);
  await submitter.ready;
  let faultsOver = false;
  const submitting = (async () => {
    const replies = [];
    let extra = 10;
    for (let i = 0; i < MAX_EACH && extra > 0; i++) {
      if (faultsOver) extra -= 1;
      replies.push(submitter.send('start-task',
        { sessionId: SESSION, id: `job-${i}`, type: 'work', requirements: { capabilities: ['work'] } }));
      await sleep(10);
    }
    return Promise.all(replies);
  })();
  server = await injectFaults(DATA_DIR, server);
  faultsOver = true;
  const replies = await submitting;
  // A resend that met a task stored before the fault is answered duplicate:
  // that task was acknowledged too.
  const acknowledged = replies.map((_, i) => `job-${i}`);
  replies.forEach((r, i) => assert.ok(r.duplicate || r.taskId === `job-${i}`, JSON.stringify(r)));
  assert.ok(replies.some((r) => r.duplicate), 'some resends met tasks stored before the fault');

  // Every acknowledged task completes: those running at a kill ran again
  // once their agent registered on the restarted server.
  const stateOf = async () => {
    const snapshot = await (await fetch(`${server.httpUrl}/api/v1/sessions/${SESSION}`)).json();
    return new Map(snapshot.tasks.map((t) => [t.id, t.state]));
  };
  for (const deadline = Date.now() + 20000; ;) {
    const states = await stateOf();
    const open = acknowledged.filter((id) => states.get(id) !== 'completed');
    if (open.length === 0) break;
    assert.ok(Date.now() < deadline, `acknowledged tasks not completed: ${open.map((id) => `${id} ${states.get(id)}`).join(', ')}`);
    await sleep(50);
  }
  assert.ok(acknowledged.length > 50, `tasks were acknowledged throughout (${acknowledged.length})`);
  for (const id of acknowledged) assert.ok(runs.get(id) >= 1, `${id} ran`);
});
