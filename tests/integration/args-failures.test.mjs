// PROTOCOL.md section 7, "Tasks": what happens when things go wrong.
// No suitable agent, stage timeouts and retries, an agent's connection
// dropping mid-task, agent errors, cancellation by the submitter, queue
// order and reports from agents that are not assigned.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';
import {
  Agent, agents, argsMsg, isArgs, isTaskEvent, joinSession, startTask, sendArgs, sendEvent, seen,
} from './support/args.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const WAIT = { timeoutMs: 4000 };

test('no suitable agent: the task waits in the queue, then fails with no_suitable_agent after ASSIGN_TIMEOUT_MS', async () => {
  const server = await startServer({ ASSIGN_TIMEOUT_MS: 700 });
  const session = 'lonely';
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  // A worker exists but lacks the capability: it is not a suitable agent.
  const [worker] = await agents(server, session, [{ id: 'w1', type: 'worker', capabilities: ['other'] }]);
  const started = await startTask(client, session, { id: 'needs-gpu', requirements: { capabilities: ['gpu'] } });
  assert.equal(started.state, 'queued');
  // Not failed at once: it waits for an agent first.
  await client.expectNothing(isTaskEvent('TASK_ERROR', 'needs-gpu'), 200);
  const err = await client.next(isTaskEvent('TASK_ERROR', 'needs-gpu'), WAIT);
  assert.equal(err.msg.payload.state, 'failed');
  assert.equal(err.msg.payload.code, 'no_suitable_agent');
  assert.equal(typeof err.msg.payload.message, 'string');
  assert.equal(seen(worker.client, isArgs('TASK_ASSIGN')).length, 0);
  const sync = await sendEvent(client, 'sync', { sessionId: session });
  const task = sync.data.tasks.find((t) => t.id === 'needs-gpu');
  assert.equal(task.state, 'failed');
  assert.equal(task.error.code, 'no_suitable_agent');
  assert.equal(sync.data.metrics.errorCount, 1);
});

test('a queued task is assigned as soon as a suitable agent registers', async () => {
  const server = await startServer({ ASSIGN_TIMEOUT_MS: 5000 });
  const session = 'late-agent';
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'waits', requirements: { agentTypes: ['gpu-worker'] }, payload: 'x' });
  const late = await Agent.connect(server, { id: 'g1', type: 'gpu-worker', sessionId: session });
  const a = await late.nextAssign('waits');
  assert.equal(a.input, 'x');
  await late.complete('waits', 'y');
  const done = await client.next(isTaskEvent('TASK_COMPLETE', 'waits'));
  assert.equal(done.msg.payload.result, 'y');
});

test('queue order: with one busy agent, the highest priority task goes next, then the oldest', async () => {
  const server = await startServer();
  const session = 'prio';
  const [worker] = await agents(server, session, [{ id: 'w1', type: 'worker' }]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'busy', priority: 'low' });
  await worker.nextAssign('busy');
  await startTask(client, session, { id: 'low-1', priority: 'low' });
  await startTask(client, session, { id: 'medium-1', priority: 'medium' });
  await startTask(client, session, { id: 'critical-1', priority: 'critical' });
  await startTask(client, session, { id: 'medium-2', priority: 'medium' });
  await worker.client.expectNothing(isArgs('TASK_ASSIGN', (p) => p.taskId !== 'busy'), 150);
  const order = [];
  let current = 'busy';
  for (let i = 0; i < 4; i++) {
    await worker.complete(current, i);
    const frame = await worker.nextAssignFrame();
    current = frame.msg.payload.taskId;
    order.push(current);
  }
  assert.deepEqual(order, ['critical-1', 'medium-1', 'medium-2', 'low-1']);
});

test('a stage that exceeds maxExecutionTime is canceled on its agent and retried on another agent', async () => {
  const server = await startServer();
  const session = 'slow';
  const [slow, fast] = await agents(server, session, [
    { id: 'slow-1', type: 'worker', capabilities: ['c'] },
    { id: 'fast-1', type: 'worker', capabilities: ['c'] },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, {
    id: 'retry-me', payload: { n: 1 }, requirements: { agentTypes: ['worker'], capabilities: ['c'], maxExecutionTime: 400 },
  });
  // Both are idle; the longest idle (first registered) gets it.
  const first = await slow.nextAssignFrame('retry-me');
  assert.equal(first.msg.metadata.retryCount, 0);
  assert.equal(seen(fast.client, isArgs('TASK_ASSIGN', (p) => p.agentId === 'fast-1')).length, 0);
  // The slow agent never reports: after the timeout it is told to stop ...
  const cancel = await slow.nextCancel('retry-me', WAIT);
  assert.equal(cancel.reason, 'timeout');
  // ... and the stage goes to the other agent, with the same input.
  const retry = await fast.nextAssignFrame('retry-me', WAIT);
  assert.equal(retry.msg.metadata.retryCount, 1);
  assert.deepEqual(retry.msg.payload.input, { n: 1 });
  // The timed-out agent can no longer report for it.
  const late = await slow.report('task-complete', { taskId: 'retry-me', result: 'late' });
  assert.equal(late.ok, false);
  assert.equal(late.error.code, 'forbidden');
  await fast.complete('retry-me', 'on time');
  const done = await client.next(isTaskEvent('TASK_COMPLETE', 'retry-me'));
  assert.equal(done.msg.payload.result, 'on time');
  assert.equal(seen(client, isTaskEvent('TASK_ERROR', 'retry-me')).length, 0);
});

test('a stage that keeps timing out fails the task with code timeout once maxRetries are used', async () => {
  const server = await startServer({ TASK_TIMEOUT_MS: 300 });
  const session = 'no-retries';
  const [a, b] = await agents(server, session, [
    { id: 'a', type: 'worker' },
    { id: 'b', type: 'worker' },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'doomed', maxRetries: 1 });
  await a.nextAssign('doomed');
  await b.nextAssign('doomed', WAIT); // the one retry
  const err = await client.next(isTaskEvent('TASK_ERROR', 'doomed'), WAIT);
  assert.equal(err.msg.payload.code, 'timeout');
  assert.equal(err.msg.payload.state, 'failed');
  await b.nextCancel('doomed');
  await client.expectNothing(isTaskEvent('TASK_ERROR', 'doomed'), 300);
  assert.equal(seen(client, isTaskEvent('TASK_ERROR', 'doomed')).length, 1);
});

test('an agent whose connection drops mid-task is announced offline and its stage completes on another agent', async () => {
  const server = await startServer();
  const session = 'drop';
  const [collector, proc1, proc2] = await agents(server, session, [
    { id: 'collector', type: 'data-collector' },
    { id: 'proc-1', type: 'data-processor' },
    { id: 'proc-2', type: 'data-processor' },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, {
    id: 'pipeline', collaborationMode: 'sequential', payload: 'seed',
    requirements: { agentTypes: ['data-collector', 'data-processor'] },
  });
  await collector.nextAssign('pipeline');
  await collector.complete('pipeline', 'raw');
  const a1 = await proc1.nextAssign('pipeline');
  assert.equal(a1.input, 'raw');
  await proc1.progress('pipeline', 30);
  proc1.client.ws.terminate(); // abrupt drop

  const gone = await client.next(isArgs('AGENT_UNREGISTER', (p) => p.agentId === 'proc-1'));
  assert.deepEqual(gone.msg.payload, { agentId: 'proc-1', reason: 'disconnected' });
  const a2 = await proc2.nextAssignFrame('pipeline');
  assert.equal(a2.msg.payload.stage, 1);
  assert.equal(a2.msg.payload.input, 'raw', 'the re-queued stage keeps its input');
  assert.equal(a2.msg.metadata.retryCount, 1);
  await proc2.complete('pipeline', 'clean');
  const done = await client.next(isTaskEvent('TASK_COMPLETE', 'pipeline'));
  assert.equal(done.msg.payload.result, 'clean');

  const sync = await sendEvent(client, 'sync', { sessionId: session });
  const offline = sync.data.agents.find((x) => x.id === 'proc-1');
  assert.equal(offline.status, 'offline');
  assert.deepEqual(sync.data.tasks.find((t) => t.id === 'pipeline').agents, ['collector', 'proc-2']);
});

test('TASK_ERROR from the agent fails the task with agent_error; the session hears one terminal event', async () => {
  const server = await startServer();
  const session = 'err';
  const [a, b] = await agents(server, session, [
    { id: 'a', type: 'worker' },
    { id: 'b', type: 'worker' },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, {
    id: 'par', collaborationMode: 'parallel', requirements: { agentTypes: ['worker', 'worker'] },
  });
  await a.nextAssign('par');
  await b.nextAssign('par');
  await a.fail('par', 'E_PARSE', 'could not parse input');
  const err = await client.next(isTaskEvent('TASK_ERROR', 'par'));
  assert.equal(err.msg.payload.state, 'failed');
  assert.equal(err.msg.payload.code, 'agent_error');
  assert.match(err.msg.payload.message, /could not parse input/);
  // The other stage's agent is told to stop; its late completion is refused.
  await b.nextCancel('par');
  const late = await b.report('task-complete', { taskId: 'par', result: 1 });
  assert.equal(late.error?.code, 'forbidden');
  await client.expectNothing(isTaskEvent('TASK_COMPLETE', 'par'), 150);
  assert.equal(seen(client, isTaskEvent('TASK_ERROR', 'par')).length, 1);
  // The freed agents take new work.
  await startTask(client, session, { id: 'next' });
  const next = await Promise.race([a.nextAssign('next'), b.nextAssign('next')]);
  assert.equal(next.taskId, 'next');
});

test('cancel by the submitter: assigned agents get TASK_CANCEL, the session gets {state:"canceled"}; others may not cancel', async () => {
  const server = await startServer();
  const session = 'cancel';
  const [worker] = await agents(server, session, [{ id: 'w', type: 'worker' }]);
  const submitter = await connect(server.wsUrl);
  const other = await connect(server.wsUrl);
  await joinSession(submitter, session);
  await joinSession(other, session);
  await startTask(submitter, session, { id: 'c1', payload: 1 });
  await worker.nextAssign('c1');

  const denied = await sendEvent(other, 'cancel-task', { sessionId: session, taskId: 'c1' });
  assert.equal(denied.ok, false);
  assert.equal(denied.error.code, 'forbidden');

  const canceled = await sendEvent(submitter, 'cancel-task', { sessionId: session, taskId: 'c1' });
  assert.equal(canceled.ok, true);
  assert.deepEqual(canceled.data, { taskId: 'c1', state: 'canceled' });
  const toAgent = await worker.nextCancel('c1');
  assert.equal(toAgent.taskId, 'c1');
  const announced = await other.next(isTaskEvent('TASK_CANCEL', 'c1', (p) => p.state === 'canceled'));
  assert.deepEqual(announced.msg.payload, { taskId: 'c1', state: 'canceled' });
  await other.expectNothing(isTaskEvent('TASK_COMPLETE', 'c1'), 100);
  assert.equal(seen(other, isTaskEvent('TASK_ERROR', 'c1')).length, 0);
  // The agent (a session member) got the cancel addressed to it once, and the session's terminal event once.
  await worker.client.next(isTaskEvent('TASK_CANCEL', 'c1', (p) => p.state === 'canceled'));
  const cancels = seen(worker.client, isTaskEvent('TASK_CANCEL', 'c1'));
  assert.equal(cancels.length, 2, JSON.stringify(cancels.map((f) => f.msg.payload)));
  assert.equal(new Set(cancels.map((f) => f.msg.id)).size, 2);

  // Reports after the cancel are refused; cancelling again is a conflict.
  const late = await worker.report('task-progress', { taskId: 'c1', progress: 90 });
  assert.equal(late.error?.code, 'forbidden');
  const again = await sendEvent(submitter, 'cancel-task', { sessionId: session, taskId: 'c1' });
  assert.equal(again.error?.code, 'conflict');
  const missing = await sendEvent(submitter, 'cancel-task', { sessionId: session, taskId: 'nope' });
  assert.equal(missing.error?.code, 'not_found');

  // The agent is free again.
  await startTask(submitter, session, { id: 'c2' });
  await worker.nextAssign('c2');
});

test('cancel of a queued task (no agent yet) announces {state:"canceled"} and nothing is ever assigned', async () => {
  const server = await startServer({ ASSIGN_TIMEOUT_MS: 5000 });
  const session = 'cancel-queued';
  const submitter = await connect(server.wsUrl);
  await joinSession(submitter, session);
  await startTask(submitter, session, { id: 'q1', requirements: { agentTypes: ['ghost'] } });
  const reply = await sendEvent(submitter, 'cancel-task', { sessionId: session, taskId: 'q1' });
  assert.equal(reply.ok, true);
  const announced = await submitter.next(isTaskEvent('TASK_CANCEL', 'q1'));
  assert.equal(announced.msg.payload.state, 'canceled');
  const ghost = await Agent.connect(server, { id: 'ghost-1', type: 'ghost', sessionId: session });
  await ghost.client.expectNothing(isArgs('TASK_ASSIGN'), 400);
});

test('reports from an agent not assigned to the task, or owned by another connection, are forbidden', async () => {
  const server = await startServer();
  const session = 'forbidden-reports';
  const [assigned, idle] = await agents(server, session, [
    { id: 'assigned', type: 'worker', capabilities: ['x'] },
    { id: 'idle', type: 'worker', capabilities: [] },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 't', requirements: { capabilities: ['x'] } });
  await assigned.nextAssign('t');
  const notAssigned = await idle.report('task-complete', { taskId: 't', result: 'hijack' });
  assert.equal(notAssigned.ok, false);
  assert.equal(notAssigned.error.code, 'forbidden');
  // Claiming to be the assigned agent from another connection.
  const impostor = await sendEvent(idle.client, 'task-complete', { sessionId: session, taskId: 't', agentId: 'assigned', result: 'x' });
  assert.equal(impostor.error?.code, 'forbidden');
  const noTask = await assigned.report('task-progress', { taskId: 'missing', progress: 1 });
  assert.equal(noTask.error?.code, 'not_found');
  await client.expectNothing(isTaskEvent('TASK_COMPLETE', 't'), 100);
  await assigned.complete('t', 'real');
  assert.equal((await client.next(isTaskEvent('TASK_COMPLETE', 't'))).msg.payload.result, 'real');
});

test('the assign clock starts when a stage becomes ready: waiting for a dependency or a previous stage is not no_suitable_agent', async () => {
  const server = await startServer({ ASSIGN_TIMEOUT_MS: 400 });
  const session = 'assign-clock';
  const [first, second] = await agents(server, session, [
    { id: 'first', type: 'stage-1' },
    { id: 'second', type: 'stage-2' },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'pipe', requirements: { agentTypes: ['stage-1', 'stage-2'] } });
  await startTask(client, session, { id: 'after', dependencies: ['pipe'], requirements: { agentTypes: ['stage-2'] } });
  await first.nextAssign('pipe');
  await new Promise((r) => setTimeout(r, 900)); // well past ASSIGN_TIMEOUT_MS
  assert.equal(seen(client, isArgs('TASK_ERROR')).length, 0, 'nothing failed while waiting');
  await first.complete('pipe', 'half');
  assert.equal((await second.nextAssign('pipe')).input, 'half');
  await new Promise((r) => setTimeout(r, 600));
  await second.complete('pipe', 'whole');
  await client.next(isTaskEvent('TASK_COMPLETE', 'pipe'));
  await second.nextAssign('after');
  await second.complete('after', 'x');
  await client.next(isTaskEvent('TASK_COMPLETE', 'after'));
  assert.equal(seen(client, isArgs('TASK_ERROR')).length, 0);
});

test('an agent that drops and registers again from a new connection gets its re-queued stage back', async () => {
  const server = await startServer({ ASSIGN_TIMEOUT_MS: 5000 });
  const session = 'comeback';
  const [agent] = await agents(server, session, [{ id: 'phoenix', type: 'worker' }]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'long', payload: { step: 1 } });
  await agent.nextAssign('long');
  agent.client.ws.terminate();
  await client.next(isArgs('AGENT_UNREGISTER', (p) => p.agentId === 'phoenix'));
  const [again] = await agents(server, session, [{ id: 'phoenix', type: 'worker' }]);
  const assign = await again.nextAssignFrame('long');
  assert.deepEqual(assign.msg.payload.input, { step: 1 });
  assert.equal(assign.msg.metadata.retryCount, 1);
  await again.complete('long', 'done');
  assert.equal((await client.next(isTaskEvent('TASK_COMPLETE', 'long'))).msg.payload.result, 'done');
});

test('unregister-agent while running a stage re-queues it to another agent', async () => {
  const server = await startServer();
  const session = 'unreg-running';
  const [quitter, stayer] = await agents(server, session, [
    { id: 'quitter', type: 'worker' },
    { id: 'stayer', type: 'worker' },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'hand-over', payload: 'p' });
  await quitter.nextAssign('hand-over');
  const reply = await sendEvent(quitter.client, 'unregister-agent', { sessionId: session, agentId: 'quitter' });
  assert.equal(reply.ok, true);
  const next = await stayer.nextAssign('hand-over');
  assert.equal(next.input, 'p');
  await stayer.complete('hand-over', 'ok');
  await client.next(isTaskEvent('TASK_COMPLETE', 'hand-over'));
});

test('maxRetries: the message\'s metadata.maxRetries when the definition has none, else 2', async () => {
  const server = await startServer({ TASK_TIMEOUT_MS: 250 });
  const session = 'retries';
  const workers = await agents(server, session, [
    { id: 'w1', type: 'worker' }, { id: 'w2', type: 'worker' }, { id: 'w3', type: 'worker' }, { id: 'w4', type: 'worker' },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  // metadata.maxRetries 0 on an "args" TASK_START: the first timeout fails it.
  const msg = argsMsg('TASK_START', session, { id: 'meta-0' }, { metadata: { maxRetries: 0 } });
  const reply = await sendArgs(client, msg);
  assert.equal(reply.ok, true);
  const err0 = await client.next(isTaskEvent('TASK_ERROR', 'meta-0'), WAIT);
  assert.equal(err0.msg.payload.code, 'timeout');
  assert.equal(seen(client, isTaskEvent('TASK_ASSIGN', 'meta-0')).length, 1);
  // Default: 2 retries, so three agents try before it fails.
  await startTask(client, session, { id: 'default' });
  const err = await client.next(isTaskEvent('TASK_ERROR', 'default'), { timeoutMs: 6000 });
  assert.equal(err.msg.payload.code, 'timeout');
  const tries = seen(client, isTaskEvent('TASK_ASSIGN', 'default'));
  assert.equal(tries.length, 3);
  assert.deepEqual(tries.map((f) => f.msg.metadata.retryCount), [0, 1, 2]);
  assert.equal(new Set(tries.map((f) => f.msg.payload.agentId)).size, 3, 'each retry on another agent');
  assert.ok(workers.length === 4);
});
