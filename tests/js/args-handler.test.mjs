// ARGSProtocolHandler, as the seed uses it; its messages pass the server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ARGSProtocolHandler } from '../../js/src/index.mjs';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { connect, closeAllClients } from '../integration/support/client.mjs';

after(async () => { await closeAllClients(); await stopAllServers(); });

test('the seed example: create AGENT_REGISTER, handle TASK_START', async () => {
  const argsHandler = new ARGSProtocolHandler({ now: () => 1000, newId: () => 'args_1' });
  const agentMessage = argsHandler.createMessage('AGENT_REGISTER', 'session-1', {
    id: 'agent-1', type: 'data-processor', capabilities: ['data-analysis', 'ml-inference'],
  });
  assert.deepEqual(agentMessage, {
    id: 'args_1', type: 'AGENT_REGISTER', timestamp: 1000, sessionId: 'session-1',
    payload: { id: 'agent-1', type: 'data-processor', capabilities: ['data-analysis', 'ml-inference'] },
    metadata: { retryCount: 0, requiresAck: false, priority: 'medium' },
  });
  const seen = [];
  argsHandler.onMessage('TASK_START', async (message) => { seen.push(message.payload.id); return 'assigned'; });
  const results = await argsHandler.processMessage(argsHandler.createMessage('TASK_START', 'session-1', { id: 't1' }));
  assert.deepEqual(results, ['assigned']);
  assert.deepEqual(seen, ['t1']);
  await argsHandler.processMessage(agentMessage);
  assert.deepEqual(argsHandler.findAgentsByCapability('ml-inference').map((a) => a.id), ['agent-1']);
  assert.deepEqual(argsHandler.findAgentsByCapability(['ml-inference', 'video']), []);
});

test('bad input is refused with a clear error', async () => {
  const h = new ARGSProtocolHandler({ now: () => 10000 });
  assert.throws(() => h.createMessage('TASK_STARTED', 's'), /unknown ARGS type/);
  assert.throws(() => h.createMessage('TASK_START', 'bad session'), /invalid session id/);
  assert.throws(() => h.createMessage('TASK_START', 's', {}, { priority: 'urgent' }), /priority/);
  const old = { ...h.createMessage('HEARTBEAT', 's', {}), timestamp: 1000, metadata: { priority: 'low', ttl: 500 } };
  await assert.rejects(h.processMessage(old), /expired/);
  await assert.rejects(h.processMessage({ type: 'HEARTBEAT' }), /'msg\.id'/);
});

test('a created message is accepted by the server as it is', async () => {
  const server = await startServer();
  const client = await connect(server.wsUrl);
  const h = new ARGSProtocolHandler();
  const msg = h.createMessage('AGENT_REGISTER', 'session-1', { id: 'agent-1', type: 'worker', capabilities: ['x'] });
  const reply = await client.request({ op: 'args', msg });
  assert.equal(reply.ok, true, JSON.stringify(reply.error));
  assert.equal(reply.data.agent.id, 'agent-1');
});
