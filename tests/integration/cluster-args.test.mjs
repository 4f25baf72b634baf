// ARGS sessions in cluster mode: three brolostack-server nodes on one real
// redis-server. A session's agents may sit on any node; one node
// coordinates the session at a time, and when its node is killed another
// takes over from what Redis keeps, without losing a task.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { stopServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, http } from './support/client.mjs';
import { startRedis, stopAllRedis } from './support/redis.mjs';
import { startNodes } from './support/cluster.mjs';
import { Agent, isArgs, isTaskEvent, joinSession, sendEvent, startTask } from './support/args.mjs';

let redis;

before(async () => { redis = await startRedis(); });
after(async () => { await stopAllRedis(); });
afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

// Failing over waits for the dead node's liveness to lapse (about 6 s).
const FAILOVER_MS = 20000;

/**
 * Works like a real agent: completes every stage it is assigned with
 * `result(payload)`, and tells each stage again when its coordinator asks
 * again after a failover (an answer refusing a stage it no longer holds is
 * expected then). Resolves with what it completed when `until` settles.
 */
function work(agent, result, until) {
  const completed = [];
  let stopped = false;
  until.finally(() => { stopped = true; });
  const loop = (async () => {
    while (!stopped) {
      let assign;
      try {
        assign = await agent.client.next(isArgs('TASK_ASSIGN', (p) => p.agentId === agent.id), { timeoutMs: 500 });
      } catch { continue; }
      const p = assign.msg.payload;
      const reply = await sendEvent(agent.client, 'task-complete',
        { sessionId: agent.sessionId, agentId: agent.id, taskId: p.taskId, result: result(p) }, { timeoutMs: FAILOVER_MS });
      if (reply.ok) completed.push(p.stage);
    }
  })();
  return loop.then(() => completed);
}

test('agents on other nodes work for the session, and every node hears its announcements', async () => {
  const [first, second, third] = await startNodes(redis, 3);
  const session = 'cluster-args';
  const submitter = await connect(first.wsUrl);
  await joinSession(submitter, session);
  const agent = await Agent.connect(second, { id: 'worker-1', type: 'worker', sessionId: session });
  const watcher = await connect(third.wsUrl);
  await joinSession(watcher, session);
  await startTask(submitter, session, { id: 't1', requirements: { agentTypes: ['worker'] }, payload: { q: 1 } });
  const assigned = await agent.nextAssign('t1');
  assert.deepEqual(assigned.input, { q: 1 });
  await agent.complete('t1', { answer: 42 });
  for (const client of [submitter, watcher]) {
    const done = await client.next(isTaskEvent('TASK_COMPLETE', 't1'));
    assert.equal(done.room, `$session:${session}`);
    assert.deepEqual(done.msg.payload.result, { answer: 42 });
  }
  // Any node answers for the session: a sync from the third node.
  const sync = await sendEvent(watcher, 'sync', { sessionId: session });
  assert.equal(sync.ok, true, JSON.stringify(sync.error));
  assert.deepEqual(sync.data.agents.map((a) => [a.id, a.status === 'offline']), [['worker-1', false]]);
  // The agent's id is taken while it is online, whichever node asks.
  const clash = await sendEvent(watcher, 'register-agent', { sessionId: session, id: 'worker-1', type: 'worker' });
  assert.equal(clash.ok, false);
  assert.equal(clash.error.code, 'conflict');
});

test('a pipeline whose agents sit on different nodes completes while the coordinator\'s node is killed midway', async (t) => {
  const [first, second, third] = await startNodes(redis, 3);
  const session = 'cluster-pipeline';
  // The submitter's node coordinates: its message reaches the session first.
  const submitter = await connect(first.wsUrl);
  await joinSession(submitter, session);
  await sendEvent(submitter, 'sync', { sessionId: session });
  const extractor = await Agent.connect(second, { id: 'extract-1', type: 'extract', sessionId: session });
  const reporter = await Agent.connect(third, { id: 'report-1', type: 'report', sessionId: session });
  const watcher = await connect(third.wsUrl);
  await joinSession(watcher, session);
  await startTask(submitter, session, {
    id: 'p1', requirements: { agentTypes: ['extract', 'report'] }, payload: { doc: 'd' }, collaborationMode: 'sequential',
  });
  // Stage 1 is with the extractor when the coordinator's node dies.
  const stage0 = await extractor.client.next(isArgs('TASK_ASSIGN', (p) => p.taskId === 'p1'));
  assert.equal(stage0.msg.payload.stage, 0);
  extractor.client.pending.unshift(stage0);
  await stopServer(first, { signal: 'SIGKILL' });
  const killedAt = Date.now();

  const finished = watcher.next(isTaskEvent('TASK_COMPLETE', 'p1'), { timeoutMs: 2 * FAILOVER_MS });
  const extracted = work(extractor, () => ({ extracted: 'd' }), finished);
  const reported = work(reporter, (p) => ({ report: p.input }), finished);
  const done = await finished;
  t.diagnostic(`the pipeline completed ${Date.now() - killedAt} ms after its coordinator's node was killed`);
  assert.deepEqual(done.msg.payload.result, { report: { extracted: 'd' } }, 'the report got the extraction as its input');
  assert.ok((await extracted).includes(0));
  assert.ok((await reported).includes(1));
  // The session lives on at another node: its task is known there, completed.
  const sync = await sendEvent(watcher, 'sync', { sessionId: session }, { timeoutMs: FAILOVER_MS });
  assert.equal(sync.ok, true, JSON.stringify(sync.error));
  const task = sync.data.tasks.find((t) => t.id === 'p1');
  assert.equal(task?.state, 'completed', JSON.stringify(sync.data.tasks));
});

test('a backend starts, reads, cancels and requeues tasks and lists sessions over HTTP on any node', async () => {
  const [first, second, third] = await startNodes(redis, 3);
  const session = 'cluster-http';
  const agent = await Agent.connect(first, { id: 'worker-1', type: 'worker', sessionId: session });
  const watcher = await connect(second.wsUrl);
  await joinSession(watcher, session);
  // The agent's node leads; the backend talks to the third node.
  const started = await http(third.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, {
    body: { id: 'h1', requirements: { agentTypes: ['worker'] }, payload: { n: 1 } },
  });
  assert.equal(started.status, 202, JSON.stringify(started.json));
  assert.deepEqual(started.json, { taskId: 'h1', state: 'queued' });
  assert.deepEqual((await agent.nextAssign('h1')).input, { n: 1 });

  const queued = await http(third.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, {
    body: { id: 'h2', requirements: { agentTypes: ['nobody'] } },
  });
  assert.equal(queued.status, 202);
  const snapshot = await http(second.httpUrl, 'GET', `/api/v1/sessions/${session}`);
  assert.equal(snapshot.status, 200, JSON.stringify(snapshot.json));
  assert.deepEqual(snapshot.json.tasks.map((t) => t.id).sort(), ['h1', 'h2']);
  assert.equal(typeof snapshot.json.epoch, 'string');
  const canceled = await http(second.httpUrl, 'DELETE', `/api/v1/sessions/${session}/tasks/h2`);
  assert.equal(canceled.status, 200, JSON.stringify(canceled.json));
  await watcher.next(isTaskEvent('TASK_CANCEL', 'h2'));

  // Bad input is refused where it arrives, with the same errors as on one node.
  const bad = await http(third.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: { id: 5 } });
  assert.equal(bad.status, 400);
  const duplicate = await http(third.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: { id: 'h1' } });
  assert.equal(duplicate.status, 409, JSON.stringify(duplicate.json));
  assert.equal(duplicate.json.error.code, 'conflict');

  // A task that failed for good is a dead letter every node lists and any node requeues.
  await agent.fail('h1', 'E_DOWN', 'upstream down');
  for (const node of [first, second, third]) {
    const list = await http(node.httpUrl, 'GET', '/api/v1/sessions');  // this file's other sessions too: one Redis
    assert.ok(list.json.sessions.includes(session), list.text);
    assert.equal(list.json.count, list.json.sessions.length);
    const letters = await http(node.httpUrl, 'GET', `/api/v1/sessions/${session}/dead-letters`);
    assert.equal(letters.status, 200, letters.text);
    assert.deepEqual(letters.json.tasks.map((t) => t.taskId), ['h1']);
  }
  const requeued = await http(third.httpUrl, 'POST', `/api/v1/sessions/${session}/dead-letters/h1/requeue`);
  assert.equal(requeued.status, 202, requeued.text);
  assert.deepEqual((await agent.nextAssign('h1')).input, { n: 1 });
  const again = await http(second.httpUrl, 'POST', `/api/v1/sessions/${session}/dead-letters/h1/requeue`);
  assert.equal(again.status, 409, again.text);
});
