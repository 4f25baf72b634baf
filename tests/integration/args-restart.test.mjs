// ARGS across a SIGKILL of the real binary on its SQLite store: every task
// acknowledged as queued reaches a terminal state after the restart, a
// stage that was running goes to its agent again once it registers, and a
// task that failed for good is a dead letter the HTTP API can requeue.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, stopAllServers, stopServer, tempDataDir } from './support/server.mjs';
import { closeAllClients, http } from './support/client.mjs';
import { Agent, isTaskEvent } from './support/args.mjs';

const folders = [];
afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A server on a store of its own that a restart keeps. */
async function durableServer(env = {}) {
  const DATA_DIR = tempDataDir();
  folders.push(DATA_DIR);
  const server = await startServer({ DATA_DIR, ...env });
  return { server, restart: async () => {
    await stopServer(server, { signal: 'SIGKILL' });
    return startServer({ DATA_DIR, ...env }, { port: server.port });
  } };
}

test('tasks acknowledged before a SIGKILL complete after the restart, the running one included', async () => {
  const { server, restart } = await durableServer();
  const worker = await Agent.connect(server, { id: 'w1', type: 'worker', sessionId: 'jobs' });
  const ids = [];
  for (let i = 1; i <= 4; i++) {
    const started = await http(server.httpUrl, 'POST', '/api/v1/sessions/jobs/tasks',
      { body: { id: `job-${i}`, type: 'work', payload: { i }, maxRetries: 0 } });
    assert.equal(started.status, 202, JSON.stringify(started.json));
    ids.push(started.json.taskId);
  }
  const first = await worker.nextAssign('job-1');
  assert.deepEqual(first.input, { i: 1 });

  const again = await restart();
  const snapshot = await http(again.httpUrl, 'GET', '/api/v1/sessions/jobs');
  assert.equal(snapshot.status, 200);
  assert.deepEqual(snapshot.json.tasks.map((t) => [t.id, t.state]),
    [['job-1', 'running'], ['job-2', 'queued'], ['job-3', 'queued'], ['job-4', 'queued']]);
  assert.equal(snapshot.json.agents[0].status, 'offline', 'its connection died with the server');

  // The worker's process reconnects and registers again: the stage it had is
  // its first assignment, though maxRetries is 0, then the queue in order.
  const back = await Agent.connect(again, { id: 'w1', type: 'worker', sessionId: 'jobs' });
  for (const id of ids) {
    const assignment = await back.nextAssign(id);
    assert.equal(assignment.taskId, id);
    await back.complete(id, { done: id });
  }
  const done = await http(again.httpUrl, 'GET', '/api/v1/sessions/jobs');
  assert.deepEqual(done.json.tasks.map((t) => t.state), ['completed', 'completed', 'completed', 'completed']);
  assert.equal(done.json.metrics.completedTasks, 4);
});

test('a task that failed for good survives the restart as a dead letter and completes once requeued', async () => {
  const { server, restart } = await durableServer();
  const worker = await Agent.connect(server, { id: 'w1', type: 'worker', sessionId: 'jobs' });
  await http(server.httpUrl, 'POST', '/api/v1/sessions/jobs/tasks', { body: { id: 'fragile', payload: { n: 7 } } });
  await worker.nextAssign('fragile');
  await worker.fail('fragile', 'E_UPSTREAM', 'upstream down');
  await worker.client.next(isTaskEvent('TASK_ERROR', 'fragile'));

  const again = await restart();
  const letters = await http(again.httpUrl, 'GET', '/api/v1/sessions/jobs/dead-letters');
  assert.equal(letters.status, 200);
  assert.equal(letters.json.count, 1);
  const [letter] = letters.json.tasks;
  assert.equal(letter.taskId, 'fragile');
  assert.equal(letter.error.code, 'agent_error');
  assert.match(letter.error.message, /upstream down/);
  assert.deepEqual(letter.task.payload, { n: 7 });

  const back = await Agent.connect(again, { id: 'w1', type: 'worker', sessionId: 'jobs' });
  const requeued = await http(again.httpUrl, 'POST', '/api/v1/sessions/jobs/dead-letters/fragile/requeue');
  assert.equal(requeued.status, 202, JSON.stringify(requeued.json));
  assert.deepEqual(requeued.json, { taskId: 'fragile', state: 'queued' });
  const assignment = await back.nextAssign('fragile');
  assert.deepEqual(assignment.input, { n: 7 });
  await back.complete('fragile', 'ok');
  await back.client.next(isTaskEvent('TASK_COMPLETE', 'fragile'));
  assert.equal((await http(again.httpUrl, 'GET', '/api/v1/sessions/jobs/dead-letters')).json.count, 0);
  const conflict = await http(again.httpUrl, 'POST', '/api/v1/sessions/jobs/dead-letters/fragile/requeue');
  assert.equal(conflict.status, 409);
});
