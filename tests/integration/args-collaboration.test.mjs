// PROTOCOL.md section 7, "Collaboration": requests by target and by
// capability, responses routed to the requester, timeouts, and privacy
// (collaboration messages are not announced in the session).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';
import { agents, isArgs, joinSession, sendEvent, seen } from './support/args.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const isCollab = (f) => f.op === 'args' && /^COLLABORATION_/.test(f.msg?.type);

const TEAM = [
  { id: 'analyst', type: 'ml-analyzer', capabilities: ['model-training'] },
  { id: 'cleaner', type: 'data-processor', capabilities: ['data-cleaning', 'transformation'] },
  { id: 'cleaner-2', type: 'data-processor', capabilities: ['data-cleaning'] },
  { id: 'scraper', type: 'data-collector', capabilities: ['web-scraping'] },
];

test('collaboration by target: only the addressee gets the request, only the requester the response', async () => {
  const server = await startServer();
  const session = 'collab-target';
  const [analyst, cleaner, cleaner2, scraper] = await agents(server, session, TEAM);
  const bystander = await connect(server.wsUrl);
  await joinSession(bystander, session);

  const request = {
    sessionId: session, requestId: 'req-1', requestingAgent: 'analyst', targetAgent: 'cleaner', taskId: 'customer-insights',
    collaborationType: 'assistance', requiredCapabilities: ['data-cleaning'], urgency: 'high', context: { rows: 10 },
  };
  const reply = await analyst.report('collaboration-request', request);
  assert.equal(reply.ok, true);
  assert.deepEqual(reply.data, { requestId: 'req-1', targets: ['cleaner'] });

  const got = await cleaner.client.next(isArgs('COLLABORATION_REQUEST'));
  assert.equal(got.room, undefined, 'not announced in the session');
  assert.equal(got.offset, undefined);
  assert.equal(got.msg.agentId, 'cleaner');
  assert.equal(got.msg.metadata.sourceAgent, 'analyst');
  assert.equal(got.msg.metadata.targetAgent, 'cleaner');
  assert.equal(got.msg.payload.requestId, 'req-1');
  assert.deepEqual(got.msg.payload.context, { rows: 10 });

  const answer = await cleaner.report('collaboration-response', {
    requestId: 'req-1', fromAgent: 'cleaner', accepted: true, result: { cleaned: 10 },
  });
  assert.equal(answer.ok, true);
  const resp = await analyst.client.next(isArgs('COLLABORATION_RESPONSE'));
  assert.equal(resp.room, undefined);
  assert.equal(resp.msg.payload.requestId, 'req-1');
  assert.equal(resp.msg.payload.accepted, true);
  assert.deepEqual(resp.msg.payload.result, { cleaned: 10 });
  assert.equal(resp.msg.metadata.sourceAgent, 'cleaner');
  assert.equal(resp.msg.metadata.targetAgent, 'analyst');

  // Nobody else saw any of it; the requester did not get its own request, the addressee not the response.
  await bystander.expectNothing(isCollab, 150);
  for (const c of [bystander, cleaner2.client, scraper.client]) assert.equal(seen(c, isCollab).length, 0);
  assert.equal(seen(analyst.client, isArgs('COLLABORATION_REQUEST')).length, 0);
  assert.equal(seen(cleaner.client, isArgs('COLLABORATION_RESPONSE')).length, 0);
  // Nor is it in the session's history.
  const history = await bystander.call({ op: 'history', room: `$session:${session}` });
  assert.equal(history.messages.filter(isCollab).length, 0);
});

test('collaboration by capability: every other online agent with all required capabilities, none else', async () => {
  const server = await startServer();
  const session = 'collab-caps';
  const [analyst, cleaner, cleaner2, scraper] = await agents(server, session, TEAM);
  const reply = await analyst.report('collaboration-request', {
    requestId: 'req-caps', requestingAgent: 'analyst', collaborationType: 'review', requiredCapabilities: ['data-cleaning'],
  });
  assert.equal(reply.ok, true);
  assert.deepEqual(new Set(reply.data.targets), new Set(['cleaner', 'cleaner-2']));
  const r1 = await cleaner.client.next(isArgs('COLLABORATION_REQUEST'));
  const r2 = await cleaner2.client.next(isArgs('COLLABORATION_REQUEST'));
  assert.equal(r1.msg.payload.requestId, 'req-caps');
  assert.equal(r2.msg.payload.requestId, 'req-caps');
  await scraper.client.expectNothing(isCollab, 150);
  assert.equal(seen(analyst.client, isCollab).length, 0);

  // Both answer: each response reaches the requester.
  await cleaner.mustReport('collaboration-response', { requestId: 'req-caps', fromAgent: 'cleaner', accepted: true });
  await cleaner2.mustReport('collaboration-response', { requestId: 'req-caps', fromAgent: 'cleaner-2', accepted: false });
  const a = await analyst.client.next(isArgs('COLLABORATION_RESPONSE'));
  const b = await analyst.client.next(isArgs('COLLABORATION_RESPONSE'));
  assert.deepEqual(new Set([a.msg.metadata.sourceAgent, b.msg.metadata.sourceAgent]), new Set(['cleaner', 'cleaner-2']));

  // Nobody with the capability: not_found.
  const none = await analyst.report('collaboration-request', {
    requestId: 'req-none', requestingAgent: 'analyst', requiredCapabilities: ['quantum'],
  });
  assert.equal(none.error?.code, 'not_found');
  // An offline or unknown target: not_found.
  const noTarget = await analyst.report('collaboration-request', {
    requestId: 'req-ghost', requestingAgent: 'analyst', targetAgent: 'ghost',
  });
  assert.equal(noTarget.error?.code, 'not_found');
});

test('collaboration requests and responses only for agents of the sending connection', async () => {
  const server = await startServer();
  const session = 'collab-auth';
  const [analyst, cleaner] = await agents(server, session, TEAM.slice(0, 2));
  const outsider = await connect(server.wsUrl);
  await joinSession(outsider, session);
  const spoof = await sendEvent(outsider, 'collaboration-request', {
    sessionId: session, requestId: 'spoof', requestingAgent: 'analyst', targetAgent: 'cleaner',
  });
  assert.equal(spoof.error?.code, 'forbidden');
  await analyst.mustReport('collaboration-request', { requestId: 'real', requestingAgent: 'analyst', targetAgent: 'cleaner' });
  await cleaner.client.next(isArgs('COLLABORATION_REQUEST'));
  const fakeAnswer = await sendEvent(outsider, 'collaboration-response', {
    sessionId: session, requestId: 'real', fromAgent: 'cleaner', accepted: true,
  });
  assert.equal(fakeAnswer.error?.code, 'forbidden');
  const unknown = await cleaner.report('collaboration-response', { requestId: 'never-asked', fromAgent: 'cleaner', accepted: true });
  assert.equal(unknown.error?.code, 'not_found');
  const dupRequest = await analyst.report('collaboration-request', { requestId: 'real', requestingAgent: 'analyst', targetAgent: 'cleaner' });
  assert.equal(dupRequest.error?.code, 'conflict', 'a pending request id is not reused');
  assert.equal(seen(analyst.client, isArgs('COLLABORATION_RESPONSE')).length, 0);
});

test('an unanswered request gets a COLLABORATION_RESPONSE with status "timeout"; an answered one does not', async () => {
  const server = await startServer({ COLLABORATION_TIMEOUT_MS: 400 });
  const session = 'collab-timeout';
  const [analyst, cleaner, , scraper] = await agents(server, session, TEAM);
  await analyst.mustReport('collaboration-request', { requestId: 'silent', requestingAgent: 'analyst', targetAgent: 'scraper' });
  await analyst.mustReport('collaboration-request', { requestId: 'answered', requestingAgent: 'analyst', targetAgent: 'cleaner' });
  await scraper.client.next(isArgs('COLLABORATION_REQUEST'));
  await cleaner.client.next(isArgs('COLLABORATION_REQUEST'));
  await cleaner.mustReport('collaboration-response', { requestId: 'answered', fromAgent: 'cleaner', accepted: true });
  const answered = await analyst.client.next(isArgs('COLLABORATION_RESPONSE', (p) => p.requestId === 'answered'));
  assert.equal(answered.msg.payload.accepted, true);

  const timeout = await analyst.client.next(isArgs('COLLABORATION_RESPONSE', (p) => p.requestId === 'silent'), { timeoutMs: 4000 });
  assert.equal(timeout.msg.payload.status, 'timeout');
  assert.equal(timeout.room, undefined, 'the timeout goes to the requester only');
  assert.equal(seen(scraper.client, isArgs('COLLABORATION_RESPONSE')).length, 0);
  // No timeout for the answered one, and no second timeout.
  await analyst.client.expectNothing(isArgs('COLLABORATION_RESPONSE'), 700);
  // A response after the timeout finds no pending request.
  const tooLate = await scraper.report('collaboration-response', { requestId: 'silent', fromAgent: 'scraper', accepted: true });
  assert.equal(tooLate.error?.code, 'not_found');
});

test('a request deadline earlier than COLLABORATION_TIMEOUT_MS times out at the deadline', async () => {
  const server = await startServer({ COLLABORATION_TIMEOUT_MS: 60000 });
  const session = 'collab-deadline';
  const [analyst] = await agents(server, session, TEAM.slice(0, 2));
  await analyst.mustReport('collaboration-request', {
    requestId: 'soon', requestingAgent: 'analyst', targetAgent: 'cleaner', deadline: Date.now() + 300,
  });
  const timeout = await analyst.client.next(isArgs('COLLABORATION_RESPONSE', (p) => p.requestId === 'soon'), { timeoutMs: 4000 });
  assert.equal(timeout.msg.payload.status, 'timeout');
});
