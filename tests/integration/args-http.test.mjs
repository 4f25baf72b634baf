// PROTOCOL.md sections 8 and 10 for ARGS: sessions list and snapshot,
// starting a task over HTTP that an agent on a socket completes, and the
// ARGS fields of /api/v1/stats.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients, http } from './support/client.mjs';
import { agents, isArgs, isTaskEvent, joinSession, startTask, callEvent, seen } from './support/args.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

test('GET /api/v1/sessions lists the sessions; GET /api/v1/sessions/{id} is the snapshot with epoch and offset', async () => {
  const server = await startServer();
  const empty = await http(server.httpUrl, 'GET', '/api/v1/sessions');
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json, { count: 0, sessions: [] });

  const [worker] = await agents(server, 'alpha', [{ id: 'w1', type: 'worker', capabilities: ['c'] }]);
  const client = await connect(server.wsUrl);
  await joinSession(client, 'beta');
  const list = await http(server.httpUrl, 'GET', '/api/v1/sessions');
  assert.equal(list.json.count, 2);
  assert.deepEqual([...list.json.sessions].sort(), ['alpha', 'beta']);

  await startTask(worker.client, 'alpha', { id: 'snap-task', type: 'analysis', payload: { q: 1 } });
  await worker.nextAssign('snap-task');
  await worker.progress('snap-task', 25);
  const snap = await http(server.httpUrl, 'GET', '/api/v1/sessions/alpha');
  assert.equal(snap.status, 200);
  const s = snap.json;
  assert.equal(s.sessionId, 'alpha');
  assert.equal(s.agents.length, 1);
  assert.equal(s.agents[0].id, 'w1');
  assert.equal(s.agents[0].metadata.currentTasks, 1);
  assert.equal(s.tasks.length, 1);
  const t = s.tasks[0];
  assert.equal(t.id, 'snap-task');
  assert.equal(t.type, 'analysis');
  assert.equal(t.state, 'running');
  assert.equal(t.progress, 25);
  assert.equal(t.stage, 0);
  assert.equal(t.stages, 1);
  assert.deepEqual(t.agents, ['w1']);
  assert.equal(t.error, null);
  assert.deepEqual(s.streams, []);
  assert.equal(s.metrics.totalTasks, 1);
  // The position is the session room's: the last announcement the worker saw.
  const last = worker.client.all.filter((f) => f.op === 'args' && f.room === '$session:alpha').at(-1);
  assert.equal(s.epoch, last.epoch);
  assert.equal(s.offset, last.offset);
  // The same snapshot as the sync reply.
  const sync = await callEvent(worker.client, 'sync', { sessionId: 'alpha' });
  assert.deepEqual(sync, s);

  const missing = await http(server.httpUrl, 'GET', '/api/v1/sessions/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'not_found');
});

test('POST /api/v1/sessions/{id}/tasks starts a task (202) that an agent on a socket completes', async () => {
  const server = await startServer();
  const session = 'http-tasks';
  const [collector, analyzer] = await agents(server, session, [
    { id: 'collector', type: 'data-collector', capabilities: ['web-scraping'] },
    { id: 'analyzer', type: 'ml-analyzer', capabilities: ['model-training'] },
  ]);
  const watcher = await connect(server.wsUrl);
  await joinSession(watcher, session);
  const res = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, {
    body: {
      id: 'from-http', type: 'analysis', priority: 'high', collaborationMode: 'sequential',
      requirements: { agentTypes: ['data-collector', 'ml-analyzer'], capabilities: ['web-scraping', 'model-training'] },
      payload: { url: 'https://example.com' },
    },
  });
  assert.equal(res.status, 202);
  assert.deepEqual(res.json, { taskId: 'from-http', state: 'queued' });
  const start = await watcher.next(isTaskEvent('TASK_START', 'from-http'));
  assert.equal(start.msg.payload.state, 'queued');
  assert.equal(start.msg.payload.task.priority, 'high');

  const a0 = await collector.nextAssignFrame('from-http');
  assert.deepEqual(a0.msg.payload.input, { url: 'https://example.com' });
  assert.equal(a0.msg.metadata.priority, 'high');
  await collector.complete('from-http', { pages: 3 });
  const a1 = await analyzer.nextAssign('from-http');
  assert.deepEqual(a1.input, { pages: 3 });
  await analyzer.complete('from-http', { model: 'ok' });
  const done = await watcher.next(isTaskEvent('TASK_COMPLETE', 'from-http'));
  assert.deepEqual(done.msg.payload.result, { model: 'ok' });

  const snap = await http(server.httpUrl, 'GET', `/api/v1/sessions/${session}`);
  const t = snap.json.tasks.find((x) => x.id === 'from-http');
  assert.equal(t.state, 'completed');
  assert.equal(t.progress, 100);
  assert.deepEqual(t.result, { model: 'ok' });

  // No id: one is generated. A reused id: 409. Bad bodies: 400.
  const generated = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: { payload: 1 } });
  assert.equal(generated.status, 202);
  assert.equal(typeof generated.json.taskId, 'string');
  assert.ok(generated.json.taskId.length > 0);
  const dup = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: { id: 'from-http' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.json.error.code, 'conflict');
  const notJson = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: 'not json' });
  assert.equal(notJson.status, 400);
  const badMode = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: { collaborationMode: 'solo' } });
  assert.equal(badMode.status, 400);
  assert.equal(badMode.json.error.code, 'bad_request');
  const badSession = await http(server.httpUrl, 'POST', '/api/v1/sessions/bad%20id/tasks', { body: {} });
  assert.equal(badSession.status, 400);
});

test('a task started over HTTP into a new session creates the session; its maxRetries applies', async () => {
  const server = await startServer({ TASK_TIMEOUT_MS: 300 });
  const res = await http(server.httpUrl, 'POST', '/api/v1/sessions/fresh/tasks', { body: { id: 'r0', maxRetries: 0 } });
  assert.equal(res.status, 202);
  const list = await http(server.httpUrl, 'GET', '/api/v1/sessions');
  assert.ok(list.json.sessions.includes('fresh'));
  const [worker] = await agents(server, 'fresh', [{ id: 'sleepy', type: 'worker' }]);
  await worker.nextAssign('r0');
  // No retries: the first timeout fails the task.
  const err = await worker.client.next(isTaskEvent('TASK_ERROR', 'r0'), { timeoutMs: 4000 });
  assert.equal(err.msg.payload.code, 'timeout');
  assert.equal(seen(worker.client, isArgs('TASK_ASSIGN')).length, 1);
});

test('/api/v1/stats: activeSessions, totalAgents, totalTasks, completedTasks, errorRate and avgExecutionTime follow ARGS work', async () => {
  const server = await startServer();
  const stats = async () => (await http(server.httpUrl, 'GET', '/api/v1/stats')).json;
  const s0 = await stats();
  for (const f of ['activeSessions', 'totalAgents', 'activeStreams', 'totalTasks', 'completedTasks', 'errorRate', 'avgExecutionTime']) {
    assert.equal(typeof s0[f], 'number', f);
  }
  assert.equal(s0.activeSessions, 0);
  assert.equal(s0.totalAgents, 0);
  assert.equal(s0.totalTasks, 0);
  assert.equal(s0.errorRate, 0);

  const [a, b] = await agents(server, 'stats-1', [{ id: 'a', type: 'worker' }, { id: 'b', type: 'worker' }]);
  const [c] = await agents(server, 'stats-2', [{ id: 'c', type: 'worker' }]);
  const s1 = await stats();
  assert.equal(s1.activeSessions, 2);
  assert.equal(s1.totalAgents, 3);

  const client = await connect(server.wsUrl);
  await joinSession(client, 'stats-1');
  await startTask(client, 'stats-1', { id: 'ok-1' });
  await startTask(client, 'stats-1', { id: 'bad-1' });
  const first = await Promise.any([a.nextAssign('ok-1'), b.nextAssign('ok-1')]);
  const okAgent = first.agentId === 'a' ? a : b;
  const badAgent = okAgent === a ? b : a;
  await badAgent.nextAssign('bad-1');
  await new Promise((r) => setTimeout(r, 30)); // a measurable execution time
  await okAgent.complete('ok-1', 1);
  await badAgent.fail('bad-1');
  await client.next(isTaskEvent('TASK_COMPLETE', 'ok-1'));
  await client.next(isTaskEvent('TASK_ERROR', 'bad-1'));
  await startTask(c.client, 'stats-2', { id: 'ok-2' });
  await c.nextAssign('ok-2');
  await c.complete('ok-2', 2);
  await c.client.next(isTaskEvent('TASK_COMPLETE', 'ok-2'));

  const s2 = await stats();
  assert.equal(s2.totalTasks, 3);
  assert.equal(s2.completedTasks, 2);
  assert.ok(Math.abs(s2.errorRate - 100 / 3) < 0.01, `errorRate is failed/finished in percent: ${s2.errorRate}`);
  assert.ok(s2.avgExecutionTime > 0, `avgExecutionTime ${s2.avgExecutionTime}`);

  // An agent's connection closing takes it out of totalAgents.
  await c.client.close();
  let s3;
  for (let i = 0; i < 50; i++) {
    s3 = await stats();
    if (s3.totalAgents === 2) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(s3.totalAgents, 2);
});

test('an idle session without agents, tasks or streams is closed after SESSION_IDLE_TIMEOUT_MS with a last SYNC_RESPONSE', async () => {
  const server = await startServer({ SESSION_IDLE_TIMEOUT_MS: 1000 });
  const client = await connect(server.wsUrl);
  await joinSession(client, 'idle');
  const [worker] = await agents(server, 'busy', [{ id: 'stays', type: 't' }]);
  assert.deepEqual((await http(server.httpUrl, 'GET', '/api/v1/sessions')).json.sessions.sort(), ['busy', 'idle']);
  const last = await client.next(isArgs('SYNC_RESPONSE', (p) => p.sessionId === 'idle'), { timeoutMs: 4000 });
  assert.deepEqual(last.msg.payload, { sessionId: 'idle', state: 'closed', reason: 'idle' });
  assert.equal(last.room, '$session:idle');
  const list = await http(server.httpUrl, 'GET', '/api/v1/sessions');
  assert.deepEqual(list.json.sessions, ['busy'], 'a session with an online agent stays');
  assert.equal((await http(server.httpUrl, 'GET', '/api/v1/sessions/idle')).status, 404);
  assert.ok(worker.client.isOpen);
});

test('DELETE /api/v1/sessions/{id}/tasks/{taskId} cancels a task the server started; its agent is told', async () => {
  const server = await startServer();
  const session = 'http-cancel';
  const [worker] = await agents(server, session, [{ id: 'w1', type: 'worker', capabilities: ['c'] }]);
  const started = await http(server.httpUrl, 'POST', `/api/v1/sessions/${session}/tasks`, { body: { id: 'long', requirements: { capabilities: ['c'] } } });
  assert.equal(started.status, 202);
  await worker.nextAssign('long');

  const canceled = await http(server.httpUrl, 'DELETE', `/api/v1/sessions/${session}/tasks/long`);
  assert.equal(canceled.status, 200);
  assert.deepEqual(canceled.json, { taskId: 'long', state: 'canceled' });
  await worker.nextCancel('long');
  const snap = await http(server.httpUrl, 'GET', `/api/v1/sessions/${session}`);
  assert.equal(snap.json.tasks.find((t) => t.id === 'long').state, 'canceled');

  const again = await http(server.httpUrl, 'DELETE', `/api/v1/sessions/${session}/tasks/long`);
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'conflict');
  assert.equal((await http(server.httpUrl, 'DELETE', `/api/v1/sessions/${session}/tasks/nope`)).status, 404);
  assert.equal((await http(server.httpUrl, 'DELETE', '/api/v1/sessions/no-such-session/tasks/long')).status, 404);
  const wrong = await http(server.httpUrl, 'GET', `/api/v1/sessions/${session}/tasks/long`);
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'DELETE');

  // A task an agent's connection started is its own: the server cannot cancel it.
  await startTask(worker.client, session, { id: 'theirs', requirements: { capabilities: ['c'] } });
  const forbidden = await http(server.httpUrl, 'DELETE', `/api/v1/sessions/${session}/tasks/theirs`);
  assert.equal(forbidden.status, 403);
});
