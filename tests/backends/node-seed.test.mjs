// The seed's server-side snippets (/work/shared/seed), as written, run in a
// fresh project with the package as npm packs it and Express from npm.
//
// The wrapping, and only where the snippet cannot run without it:
// - the Express snippets use require() and top-level await together, which
//   no Node module allows: they run inside `(async () => { ... })()` in a
//   .cjs file;
// - after each snippet come the test's own lines (marked): a brolostack
//   client that checks what the snippet set up, and what stops it;
// - the snippets listen on port 3001 as written: each runs in a network
//   namespace of its own (`unshare --net`), so they neither meet nor
//   disturb anything else on this machine's 3001; where namespaces are not
//   allowed, it runs on the real 3001, which must then be free.
// The brolostack-server binary comes from BROLOSTACK_SERVER_BIN, one of the
// three places the package looks for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertGone, backends, ensureTarball, install, serverBin } from './support/apps.mjs';

const run = promisify(execFile);
let dir;
let isolated = false;

before(async () => {
  await ensureTarball();
  await install('node-express');  // brolostack (packed), express and ws, as a user installs them
  dir = await mkdtemp(path.join(tmpdir(), 'brolostack-seed-'));
  await symlink(path.join(backends, 'node-express', 'node_modules'), path.join(dir, 'node_modules'));
  isolated = await run('unshare', ['--net', '--map-root-user', 'sh', '-c', 'ip link set lo up']).then(() => true, () => false);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `source` as `file`; its last stdout line is the test's JSON report. */
async function runSnippet(t, file, source) {
  await writeFile(path.join(dir, file), source);
  t.diagnostic(isolated ? 'in a network namespace of its own' : 'on this machine\'s port 3001 (no network namespaces here)');
  const [command, args] = isolated
    ? ['unshare', ['--net', '--map-root-user', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, file]]
    : [process.execPath, [file]];
  const env = { ...process.env, BROLOSTACK_SERVER_BIN: serverBin, LOG_LEVEL: 'warn' };
  for (const name of ['NODE_ENV', 'BROLOSTACK_ENV', 'PORT', 'HOST', 'NODE_PATH']) delete env[name];
  const proc = spawn(command, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60000);
  const [code, signal] = await new Promise((resolve) => proc.once('exit', (...exit) => resolve(exit)));
  clearTimeout(timer);
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, `${file}:\n${stdout}${stderr}`);
  return { report: JSON.parse(stdout.trim().split('\n').pop()), stdout, stderr };
}

const SEED_STATS_FIELDS = ['environment', 'activeSessions', 'connectedClients', 'totalAgents', 'activeStreams',
  'totalTasks', 'completedTasks', 'errorRate', 'avgExecutionTime', 'uptime'];

test('BrolostackWSMultiagent on a createServer(), its session, agents and task, and getStats()', async (t) => {
  const { report } = await runSnippet(t, 'multiagent.mjs', `
import { BrolostackWSMultiagent } from 'brolostack';
import { createServer } from 'http';

const server = createServer();
const wsMultiAgent = new BrolostackWSMultiagent(server, {
  agents: {
    maxAgentsPerSession: 50,
    taskTimeout: 300000,
    collaborationTimeout: 60000
  },
  environment: process.env.NODE_ENV || 'development'
});

await wsMultiAgent.initialize();
server.listen(3001);

// Coordinate multiple AI agents for complex tasks
const session = wsMultiAgent.createSession('ai-collaboration');

// Register different types of agents
session.registerAgent({
  id: 'data-processor-1',
  type: 'data-processor',
  capabilities: ['data-cleaning', 'feature-extraction']
});

session.registerAgent({
  id: 'ml-analyzer-1', 
  type: 'ml-analyzer',
  capabilities: ['model-training', 'prediction']
});

// Start collaborative task
session.startTask({
  id: 'customer-analysis',
  type: 'data-analysis',
  collaborationMode: 'sequential', // or 'parallel' or 'hybrid'
  requirements: {
    agentTypes: ['data-processor', 'ml-analyzer'],
    capabilities: ['data-cleaning', 'model-training']
  }
});

// Multi-agent server stats
const multiAgentStats = wsMultiAgent.getStats();

// ---- the test's own lines (not in the seed) ----------------------------------
// The seed's agents have no handler: their assignments reach 'assignment' listeners.
const worked = [];
session.on('assignment', (assignment, reporter) => {
  worked.push(assignment.agentId);
  reporter.complete({ by: assignment.agentId });
});
const completed = new Promise((resolve) => session.on('task-complete', resolve));
const { BrolostackWSClientside } = await import('brolostack');
const WebSocket = (await import('ws')).default;
const client = new BrolostackWSClientside({ url: 'ws://localhost:3001', WebSocket, storage: null });
await client.connect();
const joined = await client.send('join-session', 'ai-collaboration');
const done = await completed;
const stats = await multiAgentStats;
const later = await wsMultiAgent.getStats();
const pid = wsMultiAgent.status().pid;
await client.destroy();
await wsMultiAgent.close();
server.close();
console.log(JSON.stringify({ worked, done, stats, later, pid, joined: joined.room }));
`);
  assert.equal(report.joined, '$session:ai-collaboration');
  assert.deepEqual(report.worked, ['data-processor-1', 'ml-analyzer-1'], 'the pipeline ran in order');
  assert.equal(report.done.taskId, 'customer-analysis');
  assert.equal(report.done.state, 'completed');
  assert.deepEqual(report.done.result, { by: 'ml-analyzer-1' });
  for (const field of SEED_STATS_FIELDS) assert.ok(field in report.stats, `getStats() has ${field}`);
  assert.equal(report.stats.environment, 'development');
  assert.equal(report.later.completedTasks, 1);
  assert.equal(report.later.totalAgents, 2);
  await assertGone([report.pid]);
});

test('the Express backend example: withExpress(app, {port, middleware}) then integration.listen()', async (t) => {
  const { report, stdout } = await runSnippet(t, 'express-backend.cjs', `(async () => {
const express = require('express');
const { BrolostackNodeJSIntegration } = require('brolostack');

const app = express();

// One-line Brolostack integration
const integration = await BrolostackNodeJSIntegration.withExpress(app, {
  port: 3001,
  middleware: {
    enableCors: true,
    enableAuth: process.env.NODE_ENV === 'production'
  }
});

await integration.listen();
console.log('🚀 Brolostack WebSocket server ready!');

// ---- the test's own lines (not in the seed) ----------------------------------
const { BrolostackWSClientside } = require('brolostack');
const WebSocket = require('ws');
integration.on('ping-backend', (data) => ({ pong: data }));
const client = new BrolostackWSClientside({ url: 'ws://localhost:3001', WebSocket, storage: null });
await client.connect();
const reply = await client.send('ping-backend', 7);
const res = await fetch('http://localhost:3001/brolostack/ws/stats', { headers: { Origin: 'https://app.example' } });
const stats = await res.json();
const pid = integration.status().pid;
await client.destroy();
await integration.shutdown();
console.log(JSON.stringify({ reply, environment: stats.environment, cors: res.headers.get('access-control-allow-origin'), pid }));
})();
`);
  assert.match(stdout, /🚀 Brolostack WebSocket server ready!/);
  assert.deepEqual(report.reply, { pong: 7 });
  assert.equal(report.environment, 'development');
  assert.equal(report.cors, '*', 'enableCors: browsers may read the routes');
  await assertGone([report.pid]);
});

test('the quick start: await withExpress(app) then await integration.listen(3001)', async (t) => {
  const { report, stdout } = await runSnippet(t, 'quick-start.cjs', `(async () => {
const express = require('express');
const { BrolostackNodeJSIntegration } = require('brolostack');

const app = express();

// One-line integration
const integration = await BrolostackNodeJSIntegration.withExpress(app);
await integration.listen(3001);

console.log('🚀 WebSocket server ready!');

// ---- the test's own lines (not in the seed) ----------------------------------
const { BrolostackWSClientside } = require('brolostack');
const WebSocket = require('ws');
const client = new BrolostackWSClientside({ url: 'ws://localhost:3001', WebSocket, storage: null });
await client.connect();
await client.joinRoom('general');
const received = new Promise((resolve) => client.on('message', resolve));
await integration.publish('general', 'message', { content: 'deploy done' });
const frame = await received;
const pid = integration.status().pid;
await client.destroy();
await integration.shutdown();
console.log(JSON.stringify({ data: frame.data, pid }));
})();
`);
  assert.match(stdout, /🚀 WebSocket server ready!/);
  assert.deepEqual(report.data, { content: 'deploy done' });
  await assertGone([report.pid]);
});
