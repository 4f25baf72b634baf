// PROTOCOL.md sections 6-7: ARGS tasks over real sockets in the three
// collaboration modes (sequential pipeline, parallel, hybrid), task
// dependencies, and the "each message reaches each connection at most once" rule.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';
import {
  Agent, agents, isArgs, isTaskEvent, isAnnounced, joinSession, startTask, sendEvent, seen, waitSeen,
} from './support/args.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const PIPELINE = [
  { id: 'collector-1', type: 'data-collector', capabilities: ['web-scraping', 'api-integration'] },
  { id: 'processor-1', type: 'data-processor', capabilities: ['data-cleaning', 'transformation'] },
  { id: 'analyzer-1', type: 'ml-analyzer', capabilities: ['model-training', 'prediction'] },
];

const insightsTask = (mode = 'sequential', extra = {}) => ({
  id: 'customer-insights',
  type: 'analysis',
  priority: 'high',
  collaborationMode: mode,
  requirements: {
    agentTypes: ['data-collector', 'data-processor', 'ml-analyzer'],
    capabilities: ['web-scraping', 'data-cleaning', 'model-training'],
  },
  payload: { source: 'crm', segment: 'enterprise' },
  ...extra,
});

test('customer-insights pipeline: each stage gets the previous result, overall progress rises, one TASK_COMPLETE', async () => {
  const server = await startServer();
  const session = 'ai-collaboration';
  const [collector, processor, analyzer] = await agents(server, session, PIPELINE);
  const client = await connect(server.wsUrl);
  const joined = await joinSession(client, session);
  assert.equal(joined.room, `$session:${session}`);

  const started = await startTask(client, session, insightsTask());
  assert.deepEqual(started, { taskId: 'customer-insights', state: 'queued' });
  const announcedStart = await client.next(isTaskEvent('TASK_START', 'customer-insights'));
  assert.equal(announcedStart.msg.payload.state, 'queued');
  assert.equal(announcedStart.room, `$session:${session}`);
  assert.equal(typeof announcedStart.offset, 'number');

  // Stage 0: the collector gets the task payload as input.
  const a0 = await collector.nextAssign('customer-insights');
  assert.equal(a0.stage, 0);
  assert.equal(a0.stages, 3);
  assert.equal(a0.mode, 'sequential');
  assert.equal(a0.role, 'stage');
  assert.deepEqual(a0.input, { source: 'crm', segment: 'enterprise' });
  assert.equal(a0.task.id, 'customer-insights');
  // The later stages are not assigned before the first is done.
  await processor.client.expectNothing(isArgs('TASK_ASSIGN', (p) => p.agentId === 'processor-1'), 150);

  await collector.progress('customer-insights', 50);
  const rawData = { rows: 1200, source: 'crm' };
  await collector.complete('customer-insights', rawData);

  const a1 = await processor.nextAssign('customer-insights');
  assert.equal(a1.stage, 1);
  assert.deepEqual(a1.input, rawData, 'stage 1 gets stage 0 result');
  await processor.progress('customer-insights', 40);
  const clean = { rows: 1100, cleaned: true };
  await processor.complete('customer-insights', clean);

  const a2 = await analyzer.nextAssign('customer-insights');
  assert.equal(a2.stage, 2);
  assert.deepEqual(a2.input, clean, 'stage 2 gets stage 1 result');
  await analyzer.progress('customer-insights', 70);
  const insights = { segments: 4, churnRisk: 0.12 };
  await analyzer.complete('customer-insights', insights);

  const done = await client.next(isTaskEvent('TASK_COMPLETE', 'customer-insights'));
  assert.equal(done.msg.payload.state, 'completed');
  assert.deepEqual(done.msg.payload.result, insights);
  assert.equal(typeof done.msg.payload.executionTime, 'number');
  assert.ok(done.msg.payload.executionTime >= 0);

  // The progress announcements the client saw: overall progress never falls
  // and stage completions are among them.
  const progress = seen(client, isTaskEvent('TASK_PROGRESS', 'customer-insights')).map((f) => f.msg.payload);
  assert.ok(progress.length >= 6, `saw ${progress.length} progress announcements`);
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i].progress >= progress[i - 1].progress,
      `overall progress falls: ${progress[i - 1].progress} -> ${progress[i].progress}`);
  }
  assert.ok(progress[0].progress > 0 && progress[0].progress < 34, `first report is part of stage 1: ${progress[0].progress}`);
  assert.ok(progress.at(-1).progress > 66, 'the last stage completion is near the end');
  assert.deepEqual(progress.filter((p) => p.stageState === 'completed').map((p) => p.stage), [0, 1, 2]);
  for (const p of progress) assert.equal(p.stages, 3);

  // Announcements carry increasing offsets.
  const offsets = seen(client, isAnnounced(session)).map((f) => f.offset);
  for (let i = 1; i < offsets.length; i++) assert.equal(offsets[i], offsets[i - 1] + 1);

  // Exactly one terminal event, for every member.
  await client.expectNothing(() => false, 150);
  assert.equal(seen(client, isTaskEvent('TASK_COMPLETE', 'customer-insights')).length, 1);
  assert.equal(seen(client, isTaskEvent('TASK_ERROR', 'customer-insights')).length, 0);
  assert.equal(seen(analyzer.client, isTaskEvent('TASK_COMPLETE', 'customer-insights')).length, 1);

  // The snapshot agrees.
  const sync = await sendEvent(client, 'sync', { sessionId: session });
  assert.equal(sync.ok, true);
  const task = sync.data.tasks.find((t) => t.id === 'customer-insights');
  assert.equal(task.state, 'completed');
  assert.deepEqual(task.result, insights);
  assert.deepEqual(task.agents, ['collector-1', 'processor-1', 'analyzer-1']);
  assert.equal(sync.data.metrics.completedTasks, 1);
});

test('parallel mode: every stage starts at once with the task payload; result is the array in stage order', async () => {
  const server = await startServer();
  const session = 'par-session';
  const [collector, processor, analyzer] = await agents(server, session, PIPELINE);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, insightsTask('parallel'));

  const assigns = await Promise.all([collector, processor, analyzer].map((a) => a.nextAssign('customer-insights')));
  assigns.forEach((a, i) => {
    assert.equal(a.stage, i);
    assert.equal(a.mode, 'parallel');
    assert.equal(a.role, 'stage');
    assert.deepEqual(a.input, { source: 'crm', segment: 'enterprise' });
  });
  // Complete out of order: the result keeps stage order.
  await analyzer.complete('customer-insights', 'r2');
  await collector.complete('customer-insights', 'r0');
  await client.expectNothing(isTaskEvent('TASK_COMPLETE', 'customer-insights'), 150);
  await processor.complete('customer-insights', { r: 1 });
  const done = await client.next(isTaskEvent('TASK_COMPLETE', 'customer-insights'));
  assert.deepEqual(done.msg.payload.result, ['r0', { r: 1 }, 'r2']);
  await client.expectNothing(() => false, 100);
  assert.equal(seen(client, isTaskEvent('TASK_COMPLETE', 'customer-insights')).length, 1);
});

test('hybrid mode: primary gets supportAgents, supports get primaryAgent, the task completes when the primary does', async () => {
  const server = await startServer();
  const session = 'hyb-session';
  const [lead, helperA, helperB] = await agents(server, session, [
    { id: 'lead', type: 'coordinator', capabilities: ['planning'] },
    { id: 'helper-a', type: 'researcher', capabilities: ['search'] },
    { id: 'helper-b', type: 'writer', capabilities: ['writing'] },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, {
    id: 'report', collaborationMode: 'hybrid', payload: { topic: 'q3' },
    requirements: { agentTypes: ['coordinator', 'researcher', 'writer'], capabilities: ['planning'] },
  });
  const p = await lead.nextAssign('report');
  assert.equal(p.role, 'primary');
  assert.equal(p.mode, 'hybrid');
  assert.deepEqual(p.supportAgents, ['helper-a', 'helper-b']);
  assert.deepEqual(p.input, { topic: 'q3' });
  const sa = await helperA.nextAssign('report');
  const sb = await helperB.nextAssign('report');
  for (const s of [sa, sb]) {
    assert.equal(s.role, 'support');
    assert.equal(s.primaryAgent, 'lead');
  }
  // A support agent finishing does not finish the task.
  await helperA.complete('report', 'notes');
  await client.expectNothing(isTaskEvent('TASK_COMPLETE', 'report'), 150);
  await lead.progress('report', 50);
  const prog = await client.next(isTaskEvent('TASK_PROGRESS', 'report', (x) => x.agentId === 'lead'));
  assert.equal(prog.msg.payload.progress, 50, 'hybrid overall progress is the primary\'s');
  await lead.complete('report', { final: true });
  const done = await client.next(isTaskEvent('TASK_COMPLETE', 'report'));
  assert.deepEqual(done.msg.payload.result, { final: true });
  // The still-working support agent is told to stop.
  const cancel = await helperB.nextCancel('report');
  assert.equal(cancel.taskId, 'report');
  // Its late report is refused.
  const late = await helperB.report('task-complete', { taskId: 'report', result: 'late' });
  assert.equal(late.ok, false);
  assert.equal(late.error.code, 'forbidden');
});

test('a progress with status "completed" and a result counts as TASK_COMPLETE', async () => {
  const server = await startServer();
  const session = 'seed-compat';
  const [worker] = await agents(server, session, [{ id: 'w1', type: 'worker', capabilities: ['x'] }]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 't1', requirements: { capabilities: ['x'] }, payload: 1 });
  const a = await worker.nextAssign('t1');
  assert.equal(a.stages, 1);
  assert.equal(a.input, 1);
  await worker.mustReport('task-progress', { taskId: 't1', status: 'completed', progress: 100, result: 'ok' });
  const done = await client.next(isTaskEvent('TASK_COMPLETE', 't1'));
  assert.equal(done.msg.payload.result, 'ok');
});

test('dependencies: a task waits for its dependency, then runs; a failed dependency fails it with dependency_failed', async () => {
  const server = await startServer();
  const session = 'deps';
  const [worker] = await agents(server, session, [{ id: 'w1', type: 'worker', capabilities: [], maxConcurrentTasks: 3 }]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);

  await startTask(client, session, { id: 'first', payload: 'a' });
  await startTask(client, session, { id: 'second', dependencies: ['first'], payload: 'b' });
  await worker.nextAssign('first');
  await worker.client.expectNothing(isTaskEvent('TASK_ASSIGN', 'second'), 200);
  await worker.complete('first', 'A');
  const second = await worker.nextAssign('second');
  assert.equal(second.input, 'b');
  await worker.complete('second', 'B');
  await client.next(isTaskEvent('TASK_COMPLETE', 'second'));

  await startTask(client, session, { id: 'root', payload: 'r' });
  await startTask(client, session, { id: 'child', dependencies: ['root'] });
  await startTask(client, session, { id: 'grandchild', dependencies: ['child'] });
  await worker.nextAssign('root');
  await worker.fail('root', 'E42', 'no data');
  const rootErr = await client.next(isTaskEvent('TASK_ERROR', 'root'));
  assert.equal(rootErr.msg.payload.code, 'agent_error');
  const childErr = await client.next(isTaskEvent('TASK_ERROR', 'child'));
  assert.equal(childErr.msg.payload.state, 'failed');
  assert.equal(childErr.msg.payload.code, 'dependency_failed');
  const grandErr = await client.next(isTaskEvent('TASK_ERROR', 'grandchild'));
  assert.equal(grandErr.msg.payload.code, 'dependency_failed');
  await worker.client.expectNothing(isArgs('TASK_ASSIGN', (p) => p.taskId === 'child' || p.taskId === 'grandchild'), 100);

  // A dependency that is not a task of the session is refused.
  const bad = await sendEvent(client, 'start-task', { sessionId: session, id: 'orphan', dependencies: ['nope'] });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'not_found');
  // A reused task id is a conflict.
  const dup = await sendEvent(client, 'start-task', { sessionId: session, id: 'first' });
  assert.equal(dup.ok, false);
  assert.equal(dup.error.code, 'conflict');
});

test('each message reaches each connection at most once: an agent that also joined the session gets one TASK_ASSIGN', async () => {
  const server = await startServer();
  const session = 'once';
  const agent = await Agent.connect(server, { id: 'solo', type: 'worker', capabilities: ['c'], sessionId: session });
  // The registering connection is already in the session; joining again is idempotent.
  await joinSession(agent.client, session);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'once-task', requirements: { capabilities: ['c'] }, payload: { n: 1 } });
  const assign = await agent.nextAssignFrame('once-task');
  assert.equal(assign.room, `$session:${session}`, 'the assignment is announced in the session');
  assert.equal(typeof assign.offset, 'number');
  await agent.complete('once-task', 'ok');
  await client.next(isTaskEvent('TASK_COMPLETE', 'once-task'));
  await waitSeen(agent.client, isTaskEvent('TASK_COMPLETE', 'once-task'));
  await agent.client.expectNothing(() => false, 150);
  const ids = (c) => c.all.filter((f) => f.op === 'args').map((f) => f.msg.id);
  for (const c of [agent.client, client]) {
    const all = ids(c);
    assert.equal(new Set(all).size, all.length, `duplicate ARGS messages: ${all}`);
  }
  assert.equal(seen(agent.client, isTaskEvent('TASK_ASSIGN', 'once-task')).length, 1);
  // The client sees the assignment in the session too, with the same offset.
  const clientAssign = seen(client, isTaskEvent('TASK_ASSIGN', 'once-task'));
  assert.equal(clientAssign.length, 1);
  assert.equal(clientAssign[0].offset, assign.offset);
});

test('an agent whose connection left the session gets its TASK_ASSIGN directly, once', async () => {
  const server = await startServer();
  const session = 'left';
  const agent = await Agent.connect(server, { id: 'away', type: 'worker', capabilities: [], sessionId: session });
  const left = await sendEvent(agent.client, 'leave-session', { sessionId: session });
  assert.equal(left.ok, true);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  await startTask(client, session, { id: 'direct', payload: 7 });
  const assign = await agent.nextAssignFrame('direct');
  assert.equal(assign.room, undefined, 'a direct message carries no room');
  assert.equal(assign.offset, undefined);
  assert.equal(assign.msg.payload.input, 7);
  await agent.complete('direct', 'done');
  await client.next(isTaskEvent('TASK_COMPLETE', 'direct'));
  await agent.client.expectNothing(() => false, 150);
  assert.equal(seen(agent.client, isTaskEvent('TASK_ASSIGN', 'direct')).length, 1);
  // Session announcements no longer reach it.
  assert.equal(seen(agent.client, isTaskEvent('TASK_COMPLETE', 'direct')).length, 0);
});
