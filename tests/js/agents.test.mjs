// registerAgent (js/src/agent.mjs): JS agents on real clients against the
// real server. Each agent has its own client, as a browser tab or a Node
// process would; a further client starts tasks and watches the session.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { registerAgent } from '../../js/src/index.mjs';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { waitFor, until } from './support/events.mjs';

const clients = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.destroy()));
  await stopAllServers();
});

function newClient(server, extra = {}) {
  const client = new BrolostackWSClientside({ url: server.wsUrl, WebSocket, storage: null, autoConnect: false, ...extra });
  clients.push(client);
  return client;
}

async function connected(server, extra) {
  const client = newClient(server, extra);
  await client.connect();
  return client;
}

/** An agent on a client of its own. */
async function agentOn(server, spec, handler, clientOptions) {
  return (await connected(server, clientOptions)).registerAgent(spec, handler);
}

/** A client in the session that starts tasks and watches them. */
async function submitter(server, sessionId) {
  const client = await connected(server);
  await client.send('join-session', sessionId);
  return client;
}

/** The task's one terminal announcement (TASK_COMPLETE, TASK_ERROR or TASK_CANCEL with `state`). */
function terminal(client, taskId) {
  return new Promise((resolve, reject) => {
    const offs = [];
    const timer = setTimeout(() => { offs.forEach((off) => off()); reject(new Error(`task ${taskId} did not end`)); }, 10000);
    for (const event of ['task-complete', 'task-error', 'task-cancel']) {
      offs.push(client.on(event, (payload) => {
        if (payload?.taskId !== taskId || !payload.state) return;
        clearTimeout(timer);
        offs.forEach((off) => off());
        resolve({ event, ...payload });
      }));
    }
  });
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

const handlerCount = (client) => client.listenerCount();

test('sequential customer-insights pipeline: three JS agents, each stage gets the previous result, the submitter sees progress to completed', async () => {
  const server = await startServer();
  const session = 'ai-collaboration';
  const assignments = {};
  const stage = (id, capabilities, work) => agentOn(server, { id, type: id, capabilities, sessionId: session }, async (assignment, reporter) => {
    assignments[id] = assignment;
    await reporter.progress(50, `${id} halfway`);
    return work(assignment.input);
  });
  await stage('data-collector', ['web-scraping', 'api-integration'], (input) => ({ rows: 1200, source: input.dataSource }));
  await stage('data-processor', ['data-cleaning', 'transformation'], (input) => ({ ...input, rows: input.rows - 100, cleaned: true }));
  await stage('ml-analyzer', ['model-training', 'prediction'], (input) => ({ segments: 4, basedOnRows: input.rows, from: input.source }));

  const boss = await submitter(server, session);
  const progress = [];
  boss.on('task-progress', (p) => { if (p.taskId === 'customer-insights') progress.push(p); });
  const completed = waitFor(boss, 'task-progress', (p) => p.taskId === 'customer-insights' && p.status === 'completed', 10000);
  const payload = { dataSource: 'customer-feedback-api', analysisType: 'sentiment-clustering', outputFormat: 'dashboard-ready' };
  const started = await boss.send('start-task', {
    sessionId: session,
    id: 'customer-insights',
    type: 'data-pipeline',
    collaborationMode: 'sequential',
    requirements: {
      agentTypes: ['data-collector', 'data-processor', 'ml-analyzer'],
      capabilities: ['web-scraping', 'data-cleaning', 'model-training'],
    },
    payload,
  });
  assert.deepEqual(started, { taskId: 'customer-insights', state: 'queued' });

  const { data: done } = await completed;
  assert.deepEqual(done.result, { segments: 4, basedOnRows: 1100, from: 'customer-feedback-api' }, "the last stage's result");

  const collector = assignments['data-collector'];
  const processor = assignments['data-processor'];
  const analyzer = assignments['ml-analyzer'];
  assert.deepEqual(collector.input, payload, 'stage 0 gets the task payload');
  assert.deepEqual(processor.input, { rows: 1200, source: 'customer-feedback-api' }, "stage 1 gets stage 0's result");
  assert.deepEqual(analyzer.input, { rows: 1100, source: 'customer-feedback-api', cleaned: true }, "stage 2 gets stage 1's result");
  [collector, processor, analyzer].forEach((a, i) => {
    assert.equal(a.taskId, 'customer-insights');
    assert.equal(a.sessionId, session);
    assert.equal(a.stage, i);
    assert.equal(a.stages, 3);
    assert.equal(a.mode, 'sequential');
    assert.equal(a.role, 'stage');
    assert.equal(a.task.id, 'customer-insights');
  });
  assert.equal(collector.agentId, 'data-collector');

  const bars = progress.map((p) => p.progress);
  assert.deepEqual(bars, [...bars].sort((a, b) => a - b), 'the bar only moves forward');
  assert.equal(bars.at(-1), 100);
  assert.deepEqual(progress.filter((p) => p.message).map((p) => p.message),
    ['data-collector halfway', 'data-processor halfway', 'ml-analyzer halfway']);
});

test('parallel mode: every agent gets the task payload at once; the result is the stage results in stage order', async () => {
  const server = await startServer();
  const session = 'par';
  const assignments = [];
  const release = deferred();
  for (const id of ['alpha', 'beta', 'gamma']) {
    await agentOn(server, { id, type: id, capabilities: [id], sessionId: session }, async (assignment) => {
      assignments.push(assignment);
      await release.promise;  // nobody finishes before all three have started
      return { by: id, saw: assignment.input.n };
    });
  }
  const boss = await submitter(server, session);
  const ended = terminal(boss, 'fan-out');
  await boss.send('start-task', {
    sessionId: session, id: 'fan-out', collaborationMode: 'parallel', payload: { n: 7 },
    requirements: { agentTypes: ['alpha', 'beta', 'gamma'], capabilities: ['alpha', 'beta', 'gamma'] },
  });
  await until(() => assignments.length === 3, 'all three stages to start together');
  release.resolve();
  const done = await ended;
  assert.equal(done.state, 'completed');
  assert.deepEqual(done.result, [{ by: 'alpha', saw: 7 }, { by: 'beta', saw: 7 }, { by: 'gamma', saw: 7 }]);
  for (const a of assignments) {
    assert.equal(a.mode, 'parallel');
    assert.equal(a.role, 'stage');
    assert.deepEqual(a.input, { n: 7 });
  }
  assert.deepEqual(assignments.map((a) => a.stage).sort(), [0, 1, 2]);
});

test('hybrid mode: the primary asks its support agent through reporter.send and uses the answer; the support agent is then canceled', async () => {
  const server = await startServer();
  const session = 'hyb';
  const answers = new Map();  // requestId -> resolve
  let primaryAssignment;
  await agentOn(server, {
    id: 'lead', type: 'coordinator', capabilities: ['planning'], sessionId: session,
    onMessage: (message) => {
      if (message.type === 'COLLABORATION_RESPONSE') answers.get(message.payload.requestId)?.(message);
    },
  }, async (assignment, reporter) => {
    primaryAssignment = assignment;
    const requestId = `help-${assignment.taskId}`;
    const answered = new Promise((resolve) => answers.set(requestId, resolve));
    const sent = await reporter.send('COLLABORATION_REQUEST', {
      requestId, targetAgent: assignment.supportAgents[0], collaborationType: 'assistance', context: { topic: assignment.input.topic },
    });
    assert.deepEqual(sent, { requestId, targets: ['helper'] });
    const answer = await answered;
    await reporter.progress(60, 'got help');
    return { report: `${assignment.input.topic}: ${answer.payload.result.notes}`, helpedBy: answer.metadata.sourceAgent };
  });

  const requests = [];
  const cancels = [];
  let support;
  const supportStarted = deferred();
  await agentOn(server, {
    id: 'helper', type: 'researcher', capabilities: ['search'], sessionId: session,
    onMessage: (message, agent) => {
      if (message.type === 'TASK_CANCEL') cancels.push(message.payload);
      if (message.type !== 'COLLABORATION_REQUEST') return;
      requests.push(message);
      agent.send('COLLABORATION_RESPONSE', {
        requestId: message.payload.requestId, accepted: true, result: { notes: `3 sources on ${message.payload.context.topic}` },
      });
    },
  }, (assignment, reporter) => {
    support = { assignment, reporter };
    supportStarted.resolve();
    // A support agent works until the primary is done: it stops on the signal.
    return new Promise((resolve) => reporter.signal.addEventListener('abort', () => resolve('stopped')));
  });

  const boss = await submitter(server, session);
  const ended = terminal(boss, 'q3-report');
  await boss.send('start-task', {
    sessionId: session, id: 'q3-report', collaborationMode: 'hybrid', payload: { topic: 'q3' },
    requirements: { agentTypes: ['coordinator', 'researcher'], capabilities: ['planning', 'search'] },
  });
  const done = await ended;
  assert.equal(done.state, 'completed');
  assert.deepEqual(done.result, { report: 'q3: 3 sources on q3', helpedBy: 'helper' });

  assert.equal(primaryAssignment.role, 'primary');
  assert.equal(primaryAssignment.mode, 'hybrid');
  assert.deepEqual(primaryAssignment.supportAgents, ['helper']);
  await supportStarted.promise;
  assert.equal(support.assignment.role, 'support');
  assert.equal(support.assignment.primaryAgent, 'lead');
  assert.deepEqual(support.assignment.input, { topic: 'q3' });

  // The request as the helper received it: filled in as the lead's, for this task.
  assert.equal(requests.length, 1);
  assert.equal(requests[0].payload.requestingAgent, 'lead');
  assert.equal(requests[0].payload.taskId, 'q3-report');
  assert.equal(requests[0].metadata.sourceAgent, 'lead');

  // The primary finished the task: the support agent's work is taken back.
  await until(() => support.reporter.canceled, 'the support agent to be canceled');
  assert.equal(support.reporter.signal.aborted, true);
  assert.equal(support.reporter.signal.reason.name, 'AbortError');
  assert.deepEqual(cancels.map((c) => [c.taskId, c.agentId]), [['q3-report', 'helper']]);
  await assert.rejects(support.reporter.complete('late'), (err) => err.code === 'task_ended' && /q3-report/.test(err.message));

  // A request the server cannot route is refused with the server's error.
  await assert.rejects(support.reporter.send('COLLABORATION_REQUEST', { targetAgent: 'nobody' }), (err) => err.code === 'not_found');
});

test('cancel: the submitter cancels, the agent sees canceled and an aborted signal, later reports are not sent; it then takes new work', async () => {
  const server = await startServer();
  const session = 'cancels';
  const started = deferred();
  const messages = [];
  let reporter;
  let calls = 0;
  await agentOn(server, {
    id: 'worker-1', type: 'worker', capabilities: ['x'], sessionId: session, onMessage: (m) => messages.push(m),
  }, (assignment, r) => {
    calls += 1;
    if (assignment.taskId === 'second') return { ok: true };
    reporter = r;
    started.resolve();
    return new Promise((resolve) => r.signal.addEventListener('abort', () => resolve('never sent')));
  });
  const boss = await submitter(server, session);
  const ended = terminal(boss, 'long-job');
  await boss.send('start-task', { sessionId: session, id: 'long-job', requirements: { capabilities: ['x'] }, payload: {} });
  await started.promise;
  assert.equal(reporter.canceled, false);
  await reporter.progress(10, 'working');

  assert.deepEqual(await boss.send('cancel-task', { sessionId: session, taskId: 'long-job' }), { taskId: 'long-job', state: 'canceled' });
  assert.equal((await ended).state, 'canceled');
  await until(() => reporter.canceled, 'the reporter to say canceled');
  assert.equal(reporter.signal.aborted, true);
  const cancel = messages.find((m) => m.type === 'TASK_CANCEL');
  assert.equal(cancel.payload.taskId, 'long-job');
  assert.equal(cancel.payload.agentId, 'worker-1');
  assert.equal(cancel.payload.reason, 'canceled');

  await assert.rejects(reporter.complete({ late: true }), (err) => err.code === 'task_ended' && /canceled/.test(err.message));
  await assert.rejects(reporter.progress(90), (err) => err.code === 'task_ended');
  await assert.rejects(reporter.fail('oops', 'too late'), (err) => err.code === 'task_ended');
  const snapshot = await boss.send('sync', { sessionId: session });
  assert.equal(snapshot.tasks.find((t) => t.id === 'long-job').state, 'canceled');

  const second = terminal(boss, 'second');
  await boss.send('start-task', { sessionId: session, id: 'second', requirements: { capabilities: ['x'] }, payload: {} });
  assert.deepEqual((await second).result, { ok: true });
  assert.equal(calls, 2);
});

test('a handler that throws or rejects fails the task with agent_error and its message', async () => {
  const server = await startServer();
  const session = 'failing';
  await agentOn(server, { id: 'clumsy', type: 'worker', capabilities: ['x'], sessionId: session }, (assignment) => {
    if (assignment.input.how === 'throw') throw new Error('model exploded');
    return Promise.reject(new Error('async boom'));
  });
  const boss = await submitter(server, session);
  for (const [taskId, how, text] of [['t-throw', 'throw', 'model exploded'], ['t-reject', 'reject', 'async boom']]) {
    const ended = terminal(boss, taskId);
    await boss.send('start-task', { sessionId: session, id: taskId, requirements: { capabilities: ['x'] }, payload: { how } });
    const failed = await ended;
    assert.equal(failed.event, 'task-error');
    assert.equal(failed.state, 'failed');
    assert.equal(failed.code, 'agent_error');
    assert.match(failed.message, new RegExp(text));
  }
});

test('explicit reports: progress, complete and fail settle with the server answer; a second final report is not sent', async () => {
  const server = await startServer();
  const session = 'explicit';
  const outcomes = [];
  await agentOn(server, { id: 'careful', type: 'worker', capabilities: ['x'], sessionId: session }, async (assignment, reporter) => {
    assert.deepEqual(await reporter.progress(25, 'a quarter'), {});
    await assert.rejects(reporter.progress('lots'), TypeError);
    if (assignment.input.fail) {
      await reporter.fail('bad_input', 'the input was bad');
    } else {
      await reporter.complete({ value: 42 });
    }
    outcomes.push(await reporter.complete('twice').catch((err) => err.code));
    return 'ignored: already reported';
  });
  const boss = await submitter(server, session);
  const ok = terminal(boss, 'good');
  await boss.send('start-task', { sessionId: session, id: 'good', requirements: { capabilities: ['x'] }, payload: {} });
  assert.deepEqual((await ok).result, { value: 42 });
  const bad = terminal(boss, 'bad');
  await boss.send('start-task', { sessionId: session, id: 'bad', requirements: { capabilities: ['x'] }, payload: { fail: true } });
  const failed = await bad;
  assert.equal(failed.code, 'agent_error');
  assert.match(failed.message, /bad_input/);
  assert.match(failed.message, /the input was bad/);
  await until(() => outcomes.length === 2, 'both handlers to try a second final report');
  assert.deepEqual(outcomes, ['task_ended', 'task_ended']);
});

test('reconnect: after its socket drops the agent registers again by itself and takes new work', async () => {
  const server = await startServer();
  const session = 'flaky';
  const agentClient = await connected(server, { reconnectionDelay: 10, reconnectionDelayMax: 50, reconnectionAttempts: 1000 });
  const seen = [];
  await agentClient.registerAgent({ id: 'phoenix', type: 'worker', capabilities: ['x'], sessionId: session }, (assignment) => {
    seen.push(assignment.taskId);
    return `done ${assignment.taskId}`;
  });
  const boss = await submitter(server, session);
  const gone = waitFor(boss, 'agent-unregister', (p) => p.agentId === 'phoenix' && p.reason === 'disconnected');
  const back = waitFor(boss, 'agent-register', (p) => p.id === 'phoenix');
  const reconnected = waitFor(agentClient, 'reconnected');
  agentClient.socket.terminate();
  await gone;
  await reconnected;
  assert.equal((await back).data.status, 'idle');

  const ended = terminal(boss, 'after-drop');
  await boss.send('start-task', { sessionId: session, id: 'after-drop', requirements: { capabilities: ['x'] }, payload: {} });
  assert.equal((await ended).result, 'done after-drop');
  assert.deepEqual(seen, ['after-drop']);
});

test('reconnect: a task running across the drop is finished by the same handler; its report waits until the agent is registered again', async () => {
  const server = await startServer();
  const session = 'flaky-2';
  // A WebSocket whose new connections can be refused (a 404 path) for a while.
  let blocked = false;
  class FlakyWebSocket extends WebSocket {
    constructor(url, protocols) { super(blocked ? url.replace(/\/ws$/, '/refused') : url, protocols); }
  }
  const agentClient = await connected(server, {
    WebSocket: FlakyWebSocket, reconnectionDelay: 10, reconnectionDelayMax: 50, reconnectionAttempts: 100000,
  });
  const started = deferred();
  const gate = deferred();
  let calls = 0;
  let completion;
  await agentClient.registerAgent({ id: 'survivor', type: 'worker', capabilities: ['x'], sessionId: session }, async (assignment, reporter) => {
    calls += 1;
    started.resolve(reporter);
    await gate.promise;
    completion = reporter.complete({ finished: assignment.input.job });
    return completion;
  });
  const boss = await submitter(server, session);
  const ended = terminal(boss, 'long-haul');
  await boss.send('start-task', { sessionId: session, id: 'long-haul', requirements: { capabilities: ['x'] }, payload: { job: 'long-haul' } });
  const reporter = await started.promise;

  // Drop the agent's connection and keep it offline.
  const gone = waitFor(boss, 'agent-unregister', (p) => p.agentId === 'survivor' && p.reason === 'disconnected');
  blocked = true;
  agentClient.socket.terminate();
  await gone;
  assert.equal(agentClient.isConnected(), false);
  // The server took the stage back (re-queued); the handler finishes meanwhile.
  const snapshot = await boss.send('sync', { sessionId: session });
  assert.equal(snapshot.tasks.find((t) => t.id === 'long-haul').state, 'running');
  assert.equal(snapshot.agents.find((a) => a.id === 'survivor').status, 'offline');
  gate.resolve();
  await until(() => completion, 'the handler to report');
  assert.equal(reporter.canceled, false);

  // Back online: registered again, the stage comes back to this agent, the held report goes out.
  blocked = false;
  assert.deepEqual(await completion, {});
  const done = await ended;
  assert.equal(done.state, 'completed');
  assert.deepEqual(done.result, { finished: 'long-haul' });
  assert.equal(calls, 1, 'the stage given back while its handler ran did not start it twice');
  assert.equal(reporter.canceled, false);

  const next = terminal(boss, 'next');
  await boss.send('start-task', { sessionId: session, id: 'next', requirements: { capabilities: ['x'] }, payload: { job: 'next' } });
  gate.resolve();
  assert.deepEqual((await next).result, { finished: 'next' });
  assert.equal(calls, 2);
});

test('a report lost with the connection is sent again once the agent is registered again', async () => {
  const server = await startServer();
  const session = 'lossy';
  // A WebSocket that can swallow what the client sends (the frames are lost on the way).
  let swallow = false;
  class LossyWebSocket extends WebSocket {
    send(data, ...rest) { if (!swallow) super.send(data, ...rest); }
  }
  const agentClient = await connected(server, {
    WebSocket: LossyWebSocket, reconnectionDelay: 10, reconnectionDelayMax: 50, reconnectionAttempts: 1000,
  });
  const started = deferred();
  let calls = 0;
  await agentClient.registerAgent({ id: 'unlucky', type: 'worker', capabilities: ['x'], sessionId: session }, (assignment, reporter) => {
    calls += 1;
    started.resolve(reporter);
  });
  const boss = await submitter(server, session);
  const ended = terminal(boss, 'lost-report');
  await boss.send('start-task', { sessionId: session, id: 'lost-report', requirements: { capabilities: ['x'] }, payload: {} });
  const reporter = await started.promise;

  swallow = true;
  const completion = reporter.complete('made it');
  await until(() => agentClient.getStats().messagesSent > 0 && agentClient.requests.size > 0, 'the report to be on its way');
  // The connection dies with the report unanswered: the client sends it
  // again on the next connection, where the agent is not registered yet.
  const gone = waitFor(boss, 'agent-unregister', (p) => p.agentId === 'unlucky' && p.reason === 'disconnected');
  agentClient.socket.terminate();
  swallow = false;
  await gone;
  assert.deepEqual(await completion, {});
  const done = await ended;
  assert.equal(done.result, 'made it');
  assert.equal(calls, 1);
  assert.equal(reporter.canceled, false);
});

test('agent.send: ARGS types (or their shortcut names) as this agent; types an agent does not send are TypeErrors', async () => {
  const server = await startServer();
  const session = 'chat';
  const heard = [];
  const a = await agentOn(server, { id: 'ann', type: 'peer', capabilities: ['talk'], sessionId: session }, () => undefined);
  await agentOn(server, {
    id: 'bob', type: 'peer', capabilities: ['talk', 'listen'], sessionId: session,
    onMessage: (message, bob) => {
      heard.push(message);
      if (message.type === 'COLLABORATION_REQUEST') bob.send('collaboration-response', { requestId: message.payload.requestId, accepted: false });
    },
  }, () => undefined);
  const answered = deferred();
  const reply = await agentOn(server, {
    id: 'cat', type: 'peer', capabilities: [], sessionId: session,
    onMessage: (message) => { if (message.type === 'COLLABORATION_RESPONSE') answered.resolve(message); },
  }, () => undefined);
  // No target: every other online agent with the capabilities.
  const sent = await reply.send('COLLABORATION_REQUEST', { requiredCapabilities: ['listen'], collaborationType: 'review' });
  assert.deepEqual(sent.targets, ['bob']);
  assert.match(sent.requestId, /\S/);
  const response = await answered.promise;
  assert.equal(response.payload.requestId, sent.requestId);
  assert.equal(response.payload.fromAgent, 'bob');
  assert.equal(response.payload.accepted, false);
  assert.equal(heard[0].payload.requestingAgent, 'cat');
  assert.equal(heard[0].payload.sessionId, session);

  await assert.rejects(a.send('TASK_ASSIGN', {}), (err) => err instanceof TypeError && /not sent by agents/.test(err.message));
  await assert.rejects(a.send('AGENT_REGISTER', {}), TypeError);
  await assert.rejects(a.send('SHOUT', {}), (err) => err instanceof TypeError && /unknown ARGS type 'SHOUT'/.test(err.message));
  await assert.rejects(a.send('HEARTBEAT', 'busy'), (err) => err instanceof TypeError && /payload must be an object/.test(err.message));
  assert.deepEqual(await a.send('HEARTBEAT', { status: 'busy' }), {});
  const snapshot = await a.send('SYNC_REQUEST');
  assert.equal(snapshot.agents.find((x) => x.id === 'ann').status, 'busy');
});

test('spec validation: clear TypeErrors, and nothing is registered or listened to', async () => {
  const server = await startServer();
  const client = await connected(server);
  const before = handlerCount(client);
  const noop = () => {};
  const ok = { id: 'a1', type: 'worker', capabilities: ['x'] };
  const cases = [
    [undefined, noop, /spec must be an object/],
    [{ type: 'worker', capabilities: [] }, noop, /'id' is required/],
    [{ ...ok, id: '' }, noop, /'id' must be a string of 1-128 bytes/],
    [{ ...ok, id: 'x'.repeat(129) }, noop, /'id' must be a string of 1-128 bytes/],
    [{ id: 'a1', capabilities: [] }, noop, /'type' is required/],
    [{ ...ok, type: 7 }, noop, /'type' must be a string/],
    [{ id: 'a1', type: 'worker' }, noop, /'capabilities' must be an array of strings/],
    [{ ...ok, capabilities: 'x' }, noop, /'capabilities' must be an array of strings/],
    [{ ...ok, capabilities: ['x', 7] }, noop, /each capability must be a string/],
    [{ ...ok, sessionId: 'has space' }, noop, /'sessionId' must be 1-119 characters/],
    [{ ...ok, sessionId: '' }, noop, /'sessionId' must be 1-119 characters/],
    [{ ...ok, sessionId: 's'.repeat(120) }, noop, /'sessionId' must be 1-119 characters/],
    [{ ...ok, sessionId: '$session:x' }, noop, /'sessionId' must be 1-119 characters/],
    [{ ...ok, metadata: 'fast' }, noop, /'metadata' must be an object/],
    [{ ...ok, metadata: { maxConcurrentTasks: 0 } }, noop, /'metadata.maxConcurrentTasks' must be an integer from 1 to 10000/],
    [{ ...ok, onMessage: 'nope' }, noop, /'onMessage' must be a function/],
    [ok, undefined, /handler of agent 'a1' must be a function/],
  ];
  for (const [spec, handler, message] of cases) {
    await assert.rejects(client.registerAgent(spec, handler), (err) => err instanceof TypeError && message.test(err.message),
      `spec ${JSON.stringify(spec)}`);
  }
  await assert.rejects(registerAgent({}, ok, noop), TypeError);
  assert.equal(handlerCount(client), before);
  // Nothing was registered: the session was never even created.
  await assert.rejects(client.send('sync', { sessionId: 'default' }), (err) => err.code === 'not_found');
  // A valid spec on the same client registers, in the default session.
  const agent = await client.registerAgent(ok, noop);
  assert.equal(agent.sessionId, 'default');
  assert.equal((await client.send('sync', { sessionId: 'default' })).agents[0].id, 'a1');
});

test("registration errors: the server's conflict and limit_exceeded, and a second handle for one agent on one client", async () => {
  const server = await startServer({ MAX_AGENTS_PER_SESSION: 2 });
  const spec = { id: 'only-one', type: 'worker', capabilities: [], sessionId: 'strict' };
  const first = await connected(server);
  await first.registerAgent(spec, () => {});
  await assert.rejects(first.registerAgent(spec, () => {}), (err) => err.code === 'conflict' && /already registered/.test(err.message));

  const second = await connected(server);
  const before = handlerCount(second);
  await assert.rejects(second.registerAgent(spec, () => {}), (err) => err.code === 'conflict');
  assert.equal(handlerCount(second), before, 'a refused registration leaves no listeners');

  await second.registerAgent({ ...spec, id: 'two' }, () => {});
  const withTwo = handlerCount(second);
  await assert.rejects(second.registerAgent({ ...spec, id: 'three' }, () => {}), (err) => err.code === 'limit_exceeded');
  assert.equal(handlerCount(second), withTwo, 'only the registered agent listens');
});

test('unregister: stops handling, tells the server, and leaves no listeners behind (1000 rounds)', async () => {
  const server = await startServer();
  const session = 'churn';
  const client = await connected(server);
  await client.send('join-session', session);
  const before = handlerCount(client);
  for (let i = 0; i < 1000; i++) {
    const agent = await client.registerAgent({ id: `agent-${i % 3}`, type: 'worker', capabilities: ['x'], sessionId: session }, () => 'x');
    assert.ok(handlerCount(client) > before);
    assert.deepEqual(await agent.unregister(), { agentId: `agent-${i % 3}` });
  }
  assert.equal(handlerCount(client), before);
  assert.deepEqual((await client.send('sync', { sessionId: session })).agents, []);

  // An unregistered agent's handler is not called; the id can be registered again.
  let oldCalls = 0;
  const old = await client.registerAgent({ id: 'again', type: 'worker', capabilities: ['x'], sessionId: session }, () => { oldCalls += 1; return 'old'; });
  const unregistering = old.unregister();
  assert.equal(old.unregister(), unregistering, 'the same promise every time');
  await unregistering;
  await client.registerAgent({ id: 'again', type: 'worker', capabilities: ['x'], sessionId: session }, () => 'new');
  const ended = terminal(client, 'after-churn');
  await client.send('start-task', { sessionId: session, id: 'after-churn', requirements: { capabilities: ['x'] }, payload: {} });
  assert.equal((await ended).result, 'new');
  assert.equal(oldCalls, 0);
});

test('agents of other ids and sessions on the same client do not take each other\'s work', async () => {
  const server = await startServer();
  const client = await connected(server);
  const calls = [];
  for (const [id, sessionId] of [['w', 's1'], ['w', 's2'], ['v', 's1']]) {
    await client.registerAgent({ id, type: id, capabilities: [], sessionId }, (a) => { calls.push(`${a.agentId}@${a.sessionId}`); return 'ok'; });
  }
  const boss = await submitter(server, 's1');
  const ended = terminal(boss, 'for-w');
  await boss.send('start-task', { sessionId: 's1', id: 'for-w', requirements: { agentTypes: ['w'] }, payload: {} });
  await ended;
  assert.deepEqual(calls, ['w@s1']);
});
