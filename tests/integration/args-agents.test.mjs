// PROTOCOL.md sections 6-7: agents (register, defaults, conflict, limits,
// unregister, heartbeat, agent choice), the ARGS envelope (bad input, ttl,
// requiresAck, server-only types), sync, and session recovery with since.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';
import {
  Agent, agents, argsMsg, isArgs, isTaskEvent, isAnnounced, joinSession, startTask, sendEvent, sendArgs, seen, callEvent,
} from './support/args.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

test('register-agent: stored info with defaults is replied and announced; the connection joins the session', async () => {
  const server = await startServer();
  const session = 'reg';
  const watcher = await connect(server.wsUrl);
  await joinSession(watcher, session);
  const agent = await connect(server.wsUrl);
  const reply = await sendEvent(agent, 'register-agent', { sessionId: session, id: 'ml-analyzer-1', type: 'ml-analyzer', capabilities: ['prediction'] });
  assert.equal(reply.ok, true);
  const stored = {
    id: 'ml-analyzer-1', type: 'ml-analyzer', capabilities: ['prediction'], status: 'idle',
    metadata: { name: 'ml-analyzer-1', version: reply.data.agent.metadata.version, maxConcurrentTasks: 1, currentTasks: 0 },
  };
  assert.deepEqual(reply.data.agent, stored);
  const announced = await watcher.next(isArgs('AGENT_REGISTER', (p) => p.id === 'ml-analyzer-1'));
  assert.equal(announced.room, `$session:${session}`);
  assert.equal(announced.msg.sessionId, session);
  assert.deepEqual(announced.msg.payload, stored);
  // Joined: the agent's connection hears the session, e.g. a second agent arriving.
  await callEvent(watcher, 'register-agent', { sessionId: session, id: 'w2', type: 't', capabilities: [] });
  const second = await agent.next(isArgs('AGENT_REGISTER', (p) => p.id === 'w2'));
  assert.equal(second.room, `$session:${session}`);
  // Members of the session room include both connections.
  const members = await agent.call({ op: 'members', room: `$session:${session}` });
  assert.deepEqual(new Set(members.members.map((m) => m.sid)), new Set([agent.sid, watcher.sid]));
});

test('register via an "args" frame with full ARGSAgentInfo; re-registering from the same connection updates it', async () => {
  const server = await startServer();
  const session = 'reg-args';
  const c = await connect(server.wsUrl);
  const info = {
    id: 'collector-1', type: 'data-collector', capabilities: ['web-scraping'], status: 'idle',
    metadata: { name: 'Collector', version: '2.1.0', maxConcurrentTasks: 3, currentTasks: 0 },
  };
  const r1 = await sendArgs(c, argsMsg('AGENT_REGISTER', session, info));
  assert.equal(r1.ok, true);
  assert.deepEqual(r1.data.agent, info);
  const r2 = await sendArgs(c, argsMsg('AGENT_REGISTER', session, { ...info, capabilities: ['web-scraping', 'api-integration'] }));
  assert.equal(r2.ok, true, 'the same connection may re-register');
  const sync = await sendEvent(c, 'sync', { sessionId: session });
  assert.equal(sync.data.agents.length, 1);
  assert.deepEqual(sync.data.agents[0].capabilities, ['web-scraping', 'api-integration']);
  assert.equal(sync.data.agents[0].metadata.maxConcurrentTasks, 3);
});

test('another connection registering an online agent id is a conflict; after the owner drops it may', async () => {
  const server = await startServer();
  const session = 'conflict';
  const owner = await Agent.connect(server, { id: 'dup', type: 'worker', sessionId: session });
  const other = await connect(server.wsUrl);
  const clash = await sendEvent(other, 'register-agent', { sessionId: session, id: 'dup', type: 'worker' });
  assert.equal(clash.ok, false);
  assert.equal(clash.error.code, 'conflict');
  assert.ok(other.isOpen);
  // The same id in another session is another agent.
  const elsewhere = await sendEvent(other, 'register-agent', { sessionId: 'other-session', id: 'dup', type: 'worker' });
  assert.equal(elsewhere.ok, true);
  await owner.client.close();
  // Once the owner is gone (announced offline), the id is free.
  const watcher = await connect(server.wsUrl);
  await joinSession(watcher, session);
  let taken;
  for (let i = 0; i < 50; i++) {
    taken = await sendEvent(other, 'register-agent', { sessionId: session, id: 'dup', type: 'worker' });
    if (taken.ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(taken.ok, true, JSON.stringify(taken.error));
  assert.equal(taken.data.agent.status, 'idle');
});

test('MAX_AGENTS_PER_SESSION: one agent too many is limit_exceeded; updates and other sessions are not counted', async () => {
  const server = await startServer({ MAX_AGENTS_PER_SESSION: 2 });
  const session = 'limits';
  const c = await connect(server.wsUrl);
  await callEvent(c, 'register-agent', { sessionId: session, id: 'a1', type: 't' });
  await callEvent(c, 'register-agent', { sessionId: session, id: 'a2', type: 't' });
  const third = await sendEvent(c, 'register-agent', { sessionId: session, id: 'a3', type: 't' });
  assert.equal(third.ok, false);
  assert.equal(third.error.code, 'limit_exceeded');
  assert.ok(c.isOpen);
  const update = await sendEvent(c, 'register-agent', { sessionId: session, id: 'a2', type: 't', capabilities: ['new'] });
  assert.equal(update.ok, true, 're-registering an existing agent is not a new one');
  const otherSession = await sendEvent(c, 'register-agent', { sessionId: 'limits-2', id: 'a3', type: 't' });
  assert.equal(otherSession.ok, true);
  // Unregistering frees a place.
  const gone = await sendEvent(c, 'unregister-agent', { sessionId: session, agentId: 'a1' });
  assert.equal(gone.ok, true);
  const now = await sendEvent(c, 'register-agent', { sessionId: session, id: 'a3', type: 't' });
  assert.equal(now.ok, true);
});

test('unregister-agent: announced with reason "unregistered"; only the owning connection may do it', async () => {
  const server = await startServer();
  const session = 'unreg';
  const agent = await Agent.connect(server, { id: 'u1', type: 't', sessionId: session });
  const other = await connect(server.wsUrl);
  await joinSession(other, session);
  const denied = await sendEvent(other, 'unregister-agent', { sessionId: session, agentId: 'u1' });
  assert.equal(denied.error?.code, 'forbidden');
  const missing = await sendEvent(other, 'unregister-agent', { sessionId: session, agentId: 'nobody' });
  assert.equal(missing.error?.code, 'not_found');
  const ok = await sendEvent(agent.client, 'unregister-agent', { sessionId: session, agentId: 'u1' });
  assert.equal(ok.ok, true);
  const announced = await other.next(isArgs('AGENT_UNREGISTER', (p) => p.agentId === 'u1'));
  assert.deepEqual(announced.msg.payload, { agentId: 'u1', reason: 'unregistered' });
  const sync = await sendEvent(other, 'sync', { sessionId: session });
  assert.equal(sync.data.agents.filter((a) => a.id === 'u1' && a.status !== 'offline').length, 0);
});

test('agent choice: capability coverage first, then the least loaded; a paused agent (heartbeat) takes no work', async () => {
  const server = await startServer();
  const session = 'choice';
  const [narrow, broad] = await agents(server, session, [
    { id: 'narrow', type: 'worker', capabilities: ['a'], maxConcurrentTasks: 5 },
    { id: 'broad', type: 'worker', capabilities: ['a', 'b'], maxConcurrentTasks: 5 },
  ]);
  const client = await connect(server.wsUrl);
  await joinSession(client, session);
  // Single stage: the agent must have every capability.
  await startTask(client, session, { id: 'needs-ab', requirements: { capabilities: ['a', 'b'] } });
  await broad.nextAssign('needs-ab');
  // Equal coverage: the less loaded one (narrow has 0 tasks, broad has 1).
  await startTask(client, session, { id: 'needs-a', requirements: { capabilities: ['a'] } });
  await narrow.nextAssign('needs-a');
  await narrow.complete('needs-a', 1);
  await broad.complete('needs-ab', 1);

  // A paused agent is skipped, even though it is the longest idle.
  const hb = await sendEvent(narrow.client, 'heartbeat', { sessionId: session, agentId: 'narrow', status: 'paused', currentTasks: 0 });
  assert.equal(hb.ok, true);
  await startTask(client, session, { id: 'while-paused', requirements: { capabilities: ['a'] } });
  await broad.nextAssign('while-paused');
  assert.equal(seen(narrow.client, isArgs('TASK_ASSIGN', (p) => p.agentId === 'narrow' && p.taskId === 'while-paused')).length, 0);
  // Heartbeat for someone else's agent is forbidden.
  const hb2 = await sendEvent(client, 'heartbeat', { sessionId: session, agentId: 'narrow', status: 'idle' });
  assert.equal(hb2.error?.code, 'forbidden');
});

test('bad ARGS envelopes are bad_request naming the field; the connection stays open', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const good = argsMsg('SYNC_REQUEST', 'env', {});
  const cases = [
    ['not an object', 'hello'],
    ['missing id', { ...good, id: undefined }],
    ['unknown type', { ...good, type: 'TASK_EXPLODE' }],
    ['timestamp as string', { ...good, timestamp: 'now' }],
    ['bad sessionId', { ...good, sessionId: 'has space' }],
    ['missing payload', { ...good, payload: undefined }],
    ['bad priority', { ...good, metadata: { priority: 'urgent' } }],
    ['negative ttl', { ...good, metadata: { ttl: -5 } }],
  ];
  for (const [what, msg] of cases) {
    const reply = await c.request({ op: 'args', msg: msg && typeof msg === 'object' ? JSON.parse(JSON.stringify(msg)) : msg });
    assert.equal(reply.ok, false, what);
    assert.equal(reply.error.code, 'bad_request', `${what}: ${JSON.stringify(reply.error)}`);
  }
  // A payload of the wrong shape is bad_request too.
  const badPayload = await sendArgs(c, argsMsg('AGENT_REGISTER', 'env', { id: 7 }));
  assert.equal(badPayload.error?.code, 'bad_request');
  const badTask = await sendEvent(c, 'start-task', { sessionId: 'env', collaborationMode: 'round-robin' });
  assert.equal(badTask.error?.code, 'bad_request');
  assert.ok(c.isOpen);
  const ok = await sendArgs(c, good);
  assert.equal(ok.ok, true);
  assert.equal(ok.data.sessionId, 'env');
});

test('server-only types from a client are refused; an unknown send event is not_found', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const assign = await sendArgs(c, argsMsg('TASK_ASSIGN', 's', { taskId: 'x', agentId: 'y' }));
  assert.equal(assign.ok, false);
  assert.equal(assign.error.code, 'forbidden');
  const sync = await sendArgs(c, argsMsg('SYNC_RESPONSE', 's', {}));
  assert.equal(sync.error?.code, 'forbidden');
  const unknown = await sendEvent(c, 'launch-rockets', {});
  assert.equal(unknown.error?.code, 'not_found');
  assert.ok(c.isOpen);
});

test('an ARGS message whose timestamp + ttl has passed is rejected with expired', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const old = argsMsg('AGENT_REGISTER', 'ttl', { id: 'late', type: 't' }, { timestamp: Date.now() - 60000, metadata: { ttl: 1000 } });
  const reply = await sendArgs(c, old);
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, 'expired');
  const sync = await sendEvent(c, 'sync', { sessionId: 'ttl' });
  assert.equal(sync.error?.code, 'not_found', 'the expired message had no effect: not even a session');
  const fresh = await sendArgs(c, argsMsg('AGENT_REGISTER', 'ttl', { id: 'late', type: 't' }, { metadata: { ttl: 60000 } }));
  assert.equal(fresh.ok, true);
  assert.ok(c.isOpen);
});

test('requiresAck without ref gets an ack frame (ok true or false); without requiresAck, a failure gets an error frame', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const good = argsMsg('AGENT_REGISTER', 'acks', { id: 'ack-1', type: 't' }, { metadata: { requiresAck: true } });
  c.send({ op: 'args', msg: good });
  const ack = await c.next((f) => f.op === 'ack' && f.id === good.id);
  assert.equal(ack.ok, true);
  const bad = argsMsg('TASK_CANCEL', 'acks', { taskId: 'no-such-task' }, { metadata: { requiresAck: true } });
  c.send({ op: 'args', msg: bad });
  const nack = await c.next((f) => f.op === 'ack' && f.id === bad.id);
  assert.equal(nack.ok, false);
  assert.equal(nack.error?.code, 'not_found');
  const silent = argsMsg('TASK_CANCEL', 'acks', { taskId: 'no-such-task' });
  c.send({ op: 'args', msg: silent });
  const err = await c.next('error');
  assert.equal(err.error.code, 'not_found');
  // With a ref, the reply is the answer (no extra ack).
  const withRef = argsMsg('HEARTBEAT', 'acks', { agentId: 'ack-1', status: 'busy' }, { metadata: { requiresAck: true } });
  const reply = await sendArgs(c, withRef);
  assert.equal(reply.ok, true);
  await c.expectNothing((f) => f.op === 'ack' && f.id === withRef.id, 150);
});

test('requiresAck without ref: an expired message is answered with an ack frame {ok:false, error expired}', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl);
  const old = argsMsg('HEARTBEAT', 'acks', { agentId: 'x' }, {
    timestamp: Date.now() - 60000, metadata: { ttl: 1000, requiresAck: true },
  });
  c.send({ op: 'args', msg: old });
  const answer = await c.next((f) => f.op === 'ack' || f.op === 'error');
  assert.deepEqual({ op: answer.op, id: answer.id, ok: answer.ok, code: answer.error?.code },
    { op: 'ack', id: old.id, ok: false, code: 'expired' },
    `PROTOCOL.md 7: "requiresAck messages always get a reply, even without ref (as an ack frame)"; got ${JSON.stringify(answer)}`);
});

test('sync without ref is answered with a SYNC_RESPONSE message carrying the snapshot and the room position', async () => {
  const server = await startServer();
  const session = 'sync-msg';
  const agent = await Agent.connect(server, { id: 's1', type: 't', capabilities: ['c'], sessionId: session });
  const request = argsMsg('SYNC_REQUEST', session, {});
  agent.client.send({ op: 'args', msg: request });
  const resp = await agent.client.next(isArgs('SYNC_RESPONSE'));
  assert.equal(resp.room, undefined, 'sent to the requester only');
  assert.equal(resp.msg.metadata.correlationId, request.id);
  const snap = resp.msg.payload;
  assert.equal(snap.sessionId, session);
  assert.deepEqual(snap.agents.map((a) => a.id), ['s1']);
  assert.deepEqual(snap.tasks, []);
  assert.deepEqual(snap.streams, []);
  assert.deepEqual(Object.keys(snap.metrics).sort(), ['avgExecutionTime', 'completedTasks', 'errorCount', 'totalTasks']);
  assert.equal(typeof snap.epoch, 'string');
  assert.ok(snap.offset >= 1, 'AGENT_REGISTER was announced');
  const register = seen(agent.client, isArgs('AGENT_REGISTER'));
  assert.equal(register.at(-1).epoch, snap.epoch);
  assert.equal(register.at(-1).offset, snap.offset);
});

test('recovery: a client that drops and rejoins $session:<id> with since gets the session events it missed, in order', async () => {
  const server = await startServer();
  const session = 'recover';
  const [worker] = await agents(server, session, [{ id: 'rw', type: 't' }]);
  const client = await connect(server.wsUrl);
  const joined = await joinSession(client, session);
  await startTask(client, session, { id: 'r1' });
  await worker.nextAssign('r1');
  const lastSeen = await client.next(isTaskEvent('TASK_ASSIGN', 'r1'));
  const position = { epoch: lastSeen.epoch, offset: lastSeen.offset };
  assert.equal(position.epoch, joined.epoch);
  client.ws.terminate();
  await client.waitClose();

  // While away: progress, completion, another task.
  await worker.progress('r1', 50);
  await worker.complete('r1', { answer: 42 });
  await startTask(worker.client, session, { id: 'r2' });
  await worker.nextAssign('r2');
  const during = seen(worker.client, isAnnounced(session)).filter((f) => f.offset > position.offset);
  assert.ok(during.length >= 5, `events while away: ${during.length}`);

  // Rejoin with the join op and since.
  const back = await connect(server.wsUrl);
  const rejoined = await back.join(`$session:${session}`, { since: position });
  assert.equal(rejoined.recovered, true);
  assert.equal(rejoined.epoch, position.epoch);
  assert.equal(rejoined.offset, during.at(-1).offset);
  assert.deepEqual(rejoined.missed.map((f) => f.offset), during.map((f) => f.offset));
  assert.deepEqual(rejoined.missed.map((f) => f.msg.id), during.map((f) => f.msg.id), 'the same messages the members saw');
  for (const f of rejoined.missed) {
    assert.equal(f.op, 'args');
    assert.equal(f.room, `$session:${session}`);
    assert.equal(f.epoch, position.epoch);
  }
  const complete = rejoined.missed.find((f) => f.msg.type === 'TASK_COMPLETE' && f.msg.payload.taskId === 'r1');
  assert.deepEqual(complete.msg.payload.result, { answer: 42 });
  assert.ok(rejoined.missed.some((f) => f.msg.type === 'TASK_START' && f.msg.payload.taskId === 'r2'));

  // Live again: the next event comes with the next offset.
  await worker.complete('r2', 'x');
  const live = await back.next(isTaskEvent('TASK_COMPLETE', 'r2'));
  assert.ok(live.offset > rejoined.offset);
});

test('recovery through hello.resume.rooms restores a dropped session member in one round trip', async () => {
  const server = await startServer();
  const session = 'resume';
  const [worker] = await agents(server, session, [{ id: 'w', type: 't' }]);
  const client = await connect(server.wsUrl);
  const joined = await joinSession(client, session);
  const position = { epoch: joined.epoch, offset: joined.offset };
  client.ws.terminate();
  await client.waitClose();
  await startTask(worker.client, session, { id: 'while-away', payload: 'p' });
  await worker.nextAssign('while-away');
  await worker.complete('while-away', 'done');
  await worker.client.next(isTaskEvent('TASK_COMPLETE', 'while-away'));

  const back = await connect(server.wsUrl, { hello: { resume: { rooms: { [`$session:${session}`]: position } } } });
  const room = back.hello.rooms[`$session:${session}`];
  assert.equal(room.recovered, true);
  const types = room.missed.map((f) => f.msg.type);
  assert.deepEqual(types.filter((t) => t.startsWith('TASK_')),
    ['TASK_START', 'TASK_ASSIGN', 'TASK_PROGRESS', 'TASK_COMPLETE']);
  for (let i = 0; i < room.missed.length; i++) assert.equal(room.missed[i].offset, position.offset + i + 1);
  // A stale epoch cannot recover.
  const stale = await connect(server.wsUrl);
  const res = await stale.join(`$session:${session}`, { since: { epoch: 'not-the-epoch', offset: 1 } });
  assert.equal(res.recovered, false);
});

test('the session of a send: data.sessionId, else the one joined last, else "default"; join-session takes a bare id', async () => {
  const server = await startServer();
  const fresh = await connect(server.wsUrl);
  const r0 = await sendEvent(fresh, 'start-task', { id: 'in-default' });
  assert.equal(r0.ok, true);
  const defaultSnap = await callEvent(fresh, 'sync', { sessionId: 'default' });
  assert.deepEqual(defaultSnap.tasks.map((t) => t.id), ['in-default']);

  const c = await connect(server.wsUrl);
  const joined = await c.call({ op: 'send', event: 'join-session', data: 'bare-one' });
  assert.equal(joined.room, '$session:bare-one');
  await joinSession(c, 'last-one');
  await callEvent(c, 'start-task', { id: 'implicit' });
  const started = await c.next(isTaskEvent('TASK_START', 'implicit'));
  assert.equal(started.room, '$session:last-one');
  assert.equal(started.msg.sessionId, 'last-one');
  await callEvent(c, 'start-task', { sessionId: 'bare-one', id: 'explicit' });
  const explicit = await c.next(isTaskEvent('TASK_START', 'explicit'));
  assert.equal(explicit.room, '$session:bare-one');
  // leave-session: no more announcements from that session.
  const left = await sendEvent(c, 'leave-session', 'bare-one');
  assert.equal(left.ok, true);
  await callEvent(fresh, 'start-task', { sessionId: 'bare-one', id: 'unheard' });
  await c.expectNothing(isTaskEvent('TASK_START', 'unheard'), 150);
  const badSession = await sendEvent(c, 'join-session', { sessionId: 'no spaces allowed' });
  assert.equal(badSession.error?.code, 'bad_request');
});
