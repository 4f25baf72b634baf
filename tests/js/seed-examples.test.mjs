// The seed's client examples, typed as the seed writes them, against the
// real server: they must work as written.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { waitFor } from './support/events.mjs';

const clients = [];
after(async () => {
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await stopAllServers();
});

function seedClient(url, extra = {}) {
  // The seed passes only its options; Node needs `ws` as the WebSocket.
  const c = new BrolostackWSClientside({ url, WebSocket, storage: null, ...extra });
  clients.push(c);
  return c;
}

test('basic usage: connect, joinRoom, send without awaiting does not crash the program', async () => {
  const server = await startServer();
  const wsClient = seedClient(`ws://127.0.0.1:${server.port}`, {
    autoConnect: true, reconnection: true, messageQueue: { enabled: true, maxSize: 1000, persistOffline: true },
  });
  await wsClient.connect();
  wsClient.joinRoom('collaboration-room');
  // No backend webhook is configured, so the server answers not_found; the
  // seed does not await it, and the failure arrives as an error event.
  const failed = waitFor(wsClient, 'error', (e) => e.code === 'not_found');
  wsClient.send('message', { content: 'Hello World!' });
  assert.match((await failed).data.message, /\S/);
  assert.deepEqual(wsClient.getRooms(), ['collaboration-room']);
});

test('multi-agent pipeline: register three agents, start-task, watch task-progress until completed', async () => {
  const server = await startServer();
  const wsClient = seedClient(`ws://127.0.0.1:${server.port}`);
  // The agents' work: whoever is assigned a stage completes it.
  wsClient.on('task-assign', (assignment) => {
    wsClient.send('task-progress', { taskId: assignment.taskId, agentId: assignment.agentId, progress: 50, message: `${assignment.agentId} halfway` });
    wsClient.send('task-complete', { taskId: assignment.taskId, agentId: assignment.agentId, result: { by: assignment.agentId } });
  });

  // 1. Register specialized agents (as written in the seed)
  wsClient.send('register-agent', { id: 'data-collector', type: 'data-collector', capabilities: ['web-scraping', 'api-integration'] });
  wsClient.send('register-agent', { id: 'data-processor', type: 'data-processor', capabilities: ['data-cleaning', 'transformation'] });
  wsClient.send('register-agent', { id: 'ml-analyzer', type: 'ml-analyzer', capabilities: ['model-training', 'prediction'] });

  // 3. Monitor real-time progress
  const bars = [];
  const messages = [];
  const results = new Promise((resolve) => {
    wsClient.on('task-progress', (progress) => {
      bars.push(progress.progress);
      if (progress.message) messages.push(progress.message);
      if (progress.status === 'completed') resolve(progress.result);
    });
  });

  // 2. Start collaborative data processing task
  wsClient.send('start-task', {
    id: 'customer-insights',
    type: 'data-pipeline',
    collaborationMode: 'sequential',
    requirements: {
      agentTypes: ['data-collector', 'data-processor', 'ml-analyzer'],
      capabilities: ['web-scraping', 'data-cleaning', 'model-training'],
    },
    payload: { dataSource: 'customer-feedback-api', analysisType: 'sentiment-clustering', outputFormat: 'dashboard-ready' },
  });

  assert.deepEqual(await results, { by: 'ml-analyzer' }, 'the last stage\'s result');
  assert.deepEqual(bars, [...bars].sort((a, b) => a - b), 'the bar only moves forward');
  assert.equal(bars.at(-1), 100);
  assert.deepEqual(messages, ['data-collector halfway', 'data-processor halfway', 'ml-analyzer halfway']);
});
