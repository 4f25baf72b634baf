// The four Node backends of examples/backends, each a real app on its
// framework from npm (Express, Fastify, Koa, NestJS) with the packed
// package: a brolostack client connects through the app's own port, its
// `send` is answered by the app's handler, the app publishes to a room
// through the server's API, and a task the app starts is worked by two JS
// agents (the app's own, registered through the server API, then the
// client's). When the app stops, its brolostack-server goes with it.
//
// Run: node --test --test-concurrency=1 tests/backends/   (make backends-node)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { assertGone, ensureTarball, install, next, postJson, serverChildren, startApp } from './support/apps.mjs';

const APPS = [
  { app: 'node-express', file: 'server.js' },
  { app: 'node-fastify', file: 'server.js' },
  { app: 'node-koa', file: 'server.js' },
  { app: 'node-nestjs', file: 'main.js' },
];

const running = new Set();
const clients = new Set();

before(async () => {
  await ensureTarball();
});

after(async () => {
  await Promise.allSettled([...clients].map((c) => c.destroy()));
  await Promise.allSettled([...running].map((a) => a.stop()));
});

function client(url) {
  const c = new BrolostackWSClientside({ url, WebSocket, storage: null, environment: 'development' });
  clients.add(c);
  return c;
}

for (const { app, file } of APPS) {
  test(`${app}: a client through the app's port, a send answered, a publish, a task done by two JS agents`, { timeout: 60000 }, async (t) => {
    const started = Date.now();
    await install(app);
    const handle = await startApp(app, file);
    running.add(handle);
    t.diagnostic(`${app} installed and listening in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const children = await serverChildren(handle.proc.pid);
    assert.equal(children.length, 1, 'the app runs one brolostack-server');

    const c = client(`ws://127.0.0.1:${handle.port}`);  // no path: the client's default /ws, on the app's port
    await c.connect();

    // send -> the app's handler -> the reply
    assert.deepEqual(await c.send('greet', { name: 'Ada' }), { greeting: 'Hello, Ada!', user: null });

    // the app publishes through the server API; the room's member receives it
    await c.joinRoom('news');
    const announced = next(c, 'message', (frame) => frame.room === 'news');
    const published = await postJson(`${handle.url}/announce`, { room: 'news', text: 'deploy done' });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const frame = await announced;
    assert.equal(frame.event, 'announcement');
    assert.deepEqual(frame.data, { text: 'deploy done' });
    assert.deepEqual(frame.from, { sid: null, user: null });
    assert.equal(frame.offset, published.body.offset);

    // a task: stage 1 by the app's summarizer (server side), stage 2 by this client's reviewer
    await c.registerAgent({ id: 'reviewer-1', type: 'reviewer', capabilities: ['review'], sessionId: 'reports' },
      (assignment) => ({ approved: true, summary: assignment.input?.summary }));
    const progress = [];
    c.on('task-progress', (p) => progress.push(`${p.agentId}:${p.progress}`));
    // Listened for before the request: the agent may finish before its answer arrives.
    const completed = next(c, 'task-complete');
    const started202 = await postJson(`${handle.url}/reports`, { text: 'the quick brown fox jumps over the lazy dog' });
    assert.equal(started202.status, 202, JSON.stringify(started202.body));
    const { taskId } = started202.body;
    const done = await completed;
    assert.equal(done.taskId, taskId);
    assert.equal(done.state, 'completed');
    assert.deepEqual(done.result, { approved: true, summary: 'the quick brown fox jumps' });
    assert.ok(progress.includes('summarizer-1:50'), `the app's agent reported progress: ${progress}`);

    // the integration's own routes
    const stats = await (await fetch(`${handle.url}/brolostack/ws/stats`)).json();
    assert.equal(stats.environment, 'development');
    assert.equal(stats.connectedClients, 2, 'this client and the server API\'s own');
    assert.ok(stats.completedTasks >= 1);
    assert.deepEqual(await (await fetch(`${handle.url}/brolostack/ws/sessions`)).json(), { count: 1, sessions: ['reports'] });
    // the app's own routes still work beside them
    assert.deepEqual(await (await fetch(`${handle.url}/health`)).json(), { ok: true });

    // SIGTERM: the app's shutdown stops its server (the client is told 1001, going away)
    const closed = next(c, 'disconnected');
    const exit = await handle.stop();
    running.delete(handle);
    assert.deepEqual(exit, { code: 0, signal: null }, handle.output);
    assert.equal((await closed).code, 1001);
    await assertGone(children);
    await c.destroy();
    clients.delete(c);
  });
}
