// How brolostack/server runs its native server: restarted with capped
// backoff when it dies (and clients reconnect by themselves), never
// restarted after exit status 78, stopped with its app however the app
// ends (close(), SIGINT, process.exit, an uncaught exception, even SIGKILL),
// and served on the app's port with the client's Origin and address kept.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { BrolostackWSClientside } from '../../js/src/index.mjs';
import { BrolostackWSMultiagent } from '../../js/src/server/index.mjs';
import { attachUpgradeProxy } from '../../js/src/server/upgrade_proxy.mjs';
import { assertGone, freshDataDir, serverBin, serverChildren, sleep, until } from './support/apps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  // Nothing this file started is left running.
  assert.deepEqual(await serverChildren(process.pid), []);
});

function recordingLogger() {
  const lines = [];
  const log = (...args) => lines.push(args.map(String).join(' '));
  return { lines, error: log, warn: log, info: log };
}

/** A multiagent on a fresh http.Server on 127.0.0.1, initialized, closed after test `t`; events recorded. */
async function serve(t, options = {}) {
  const server = http.createServer((_req, res) => res.end('app'));
  const logger = recordingLogger();
  const multiagent = new BrolostackWSMultiagent(server, { serverBin, dataDir: freshDataDir(), environment: 'test', logger, onServerLog: () => {}, ...options });
  const events = [];
  for (const name of ['server-exit', 'server-ready', 'server-failed']) multiagent.on(name, (info) => events.push({ name, ...info }));
  t.after(async () => { await multiagent.close(); server.close(); });
  await multiagent.initialize();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { multiagent, server, logger, events, port: server.address().port };
}

function client(t, port, extra = {}) {
  const c = new BrolostackWSClientside({ url: `ws://127.0.0.1:${port}/ws`, WebSocket, storage: null, environment: 'development', ...extra });
  t.after(() => c.destroy());
  return c;
}

/** A raw upgrade request: {status, headers, body}. */
function upgrade(port, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/ws', agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode, headers: res.headers }); });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a server killed with SIGKILL is logged, restarted, and clients reconnect to the new one by themselves', async (t) => {
  const { multiagent, logger, events, port } = await serve(t);
  multiagent.on('echo', (data) => data);
  const c = client(t, port);
  await c.connect();
  assert.equal(await c.send('echo', 1), 1);
  const first = multiagent.status();
  const reconnected = new Promise((resolve) => c.once('reconnected', resolve));
  process.kill(first.pid, 'SIGKILL');
  await reconnected;
  const second = multiagent.status();
  assert.equal(second.state, 'running');
  assert.equal(second.restarts, 1);
  assert.notEqual(second.pid, first.pid);
  assert.deepEqual(await serverChildren(process.pid), [second.pid], 'one server at a time, the old one gone');
  assert.equal(await c.send('echo', 2), 2, 'the webhook works from the new server');
  const exit = events.find((e) => e.name === 'server-exit');
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.restarting, true);
  assert.ok(logger.lines.some((l) => l.includes(`(pid ${first.pid}) was killed by SIGKILL; restarting in`)), logger.lines.join('\n'));
  // Once the death is seen, the server API waits through the restart instead of failing. (A call
  // already on its way to the dying server fails `unavailable`: it may have been carried out.)
  process.kill(second.pid, 'SIGKILL');
  await until(() => events.filter((e) => e.name === 'server-exit').length === 2, 5000, 'the second death to be seen');
  assert.deepEqual(Object.keys(await multiagent.publish('room', 'e', {})).sort(), ['epoch', 'offset']);
});

test('what a killed server acknowledged is still there after the restart (its store is in dataDir)', async (t) => {
  const { multiagent } = await serve(t);
  const published = [];
  for (let i = 1; i <= 3; i++) published.push(await multiagent.publish('ledger', 'entry', { i }));
  const first = multiagent.status();
  process.kill(first.pid, 'SIGKILL');
  await until(() => multiagent.status().restarts === 1 && multiagent.status().state === 'running', 5000, 'the restart');
  const next = await multiagent.publish('ledger', 'entry', { i: 4 });
  assert.equal(next.epoch, published[0].epoch, 'the room keeps its epoch: clients recover with since');
  assert.equal(next.offset, 4, 'offsets carry on');
});

test('deaths in a row back off, doubling up to the cap', async (t) => {
  const { multiagent, events } = await serve(t, { restart: { initialDelay: 100, maxDelay: 300 } });
  for (let i = 1; i <= 4; i++) {
    process.kill(multiagent.status().pid, 'SIGKILL');
    await until(() => multiagent.status().restarts === i && multiagent.status().state === 'running', 5000,
      `restart ${i} (${JSON.stringify(multiagent.status())}, events ${JSON.stringify(events)})`);
  }
  assert.deepEqual(events.filter((e) => e.name === 'server-exit').map((e) => e.delayMs), [100, 200, 300, 300], JSON.stringify(events));
});

test('exit status 78 at start rejects initialize() with the server\'s own message, and is not retried', async (t) => {
  const logger = recordingLogger();
  const multiagent = new BrolostackWSMultiagent(null, { serverBin, environment: 'qa', logger, onServerLog: () => {} });
  const err = await multiagent.initialize().then(() => assert.fail('started'), (e) => e);
  assert.equal(err.name, 'ServerStartError');
  assert.equal(err.code, 'config');
  assert.equal(err.exitCode, 78);
  assert.match(err.message, /unknown environment 'qa'.*use development, test, staging or production/);
  assert.equal(multiagent.status().state, 'stopped');
  await sleep(500);
  assert.deepEqual(await serverChildren(process.pid), [], 'not started again');
});

test('exit status 78 on a restart is not restarted: upgrades get 503, calls fail at once', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'brolostack-78-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, 'jwt.pem');
  await writeFile(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  const { multiagent, events, logger, port } = await serve(t, { serverEnv: { JWT_PUBLIC_KEY: keyFile, JWT_ALGORITHM: 'ES256' } });
  await rm(keyFile);  // the next start cannot read it: a configuration error
  process.kill(multiagent.status().pid, 'SIGKILL');
  await until(() => events.some((e) => e.name === 'server-failed'), 5000, 'server-failed');
  const failed = events.find((e) => e.name === 'server-failed');
  assert.equal(failed.code, 78);
  assert.match(failed.message, /JWT_PUBLIC_KEY/);
  assert.equal(multiagent.status().state, 'failed');
  assert.ok(logger.lines.some((l) => /refused its configuration \(exit status 78\); not restarted/.test(l)), logger.lines.join('\n'));
  await sleep(700);
  assert.equal(events.filter((e) => e.name === 'server-exit').length, 2, 'the kill and the refusal, nothing after');
  assert.deepEqual(await serverChildren(process.pid), []);
  const refused = await upgrade(port);
  assert.equal(refused.status, 503);
  assert.equal(JSON.parse(refused.body).error.code, 'unavailable');
  assert.equal((await multiagent.getStats().catch((e) => e)).code, 'unavailable');
});

test('close() stops the server: clients hear 1001, the process is gone, later calls fail', async (t) => {
  const { multiagent, port } = await serve(t);
  const c = client(t, port, { reconnection: false });
  await c.connect();
  const closed = new Promise((resolve) => c.once('disconnected', resolve));
  const { pid } = multiagent.status();
  await multiagent.close();
  assert.equal((await closed).code, 1001);
  await assertGone([pid]);
  assert.equal(multiagent.status().state, 'stopped');
  assert.equal((await multiagent.publish('r', 'e', 1).catch((e) => e)).code, 'unavailable');
});

for (const [how, signal, expected] of [
  ['wait', 'SIGKILL', { code: null, signal: 'SIGKILL' }],
  ['wait', 'SIGINT', { code: null, signal: 'SIGINT' }],
  ['wait', 'SIGTERM', { code: null, signal: 'SIGTERM' }],
  ['exit', null, { code: 3, signal: null }],
  ['throw', null, { code: 1, signal: null }],
]) {
  test(`no server outlives a Node process that ${signal ? `gets ${signal}` : how === 'exit' ? 'calls process.exit()' : 'throws'}`, async () => {
    const proc = spawn(process.execPath, [path.join(here, 'support', 'multiagent-process.mjs'), how], {
      env: { ...process.env, BROLOSTACK_SERVER_BIN: serverBin, DATA_DIR: freshDataDir() }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    const exited = new Promise((resolve) => proc.once('exit', (code, sig) => resolve({ code, signal: sig })));
    cleanups.push(async () => proc.kill('SIGKILL'));
    const { pid } = JSON.parse(await until(() => /^\{.*\}$/m.exec(output)?.[0], 10000, 'the process to be up'));
    if (signal) proc.kill(signal);
    assert.deepEqual(await exited, expected, output);
    await assertGone([pid]);
  });
}

test('the upgrade reaches the server as sent, with Origin kept and the client\'s address in X-Forwarded-For', async (t) => {
  // A stand-in for the server that records the request head it receives.
  let head = '';
  const fake = net.createServer((socket) => socket.on('data', (d) => {
    head += d;
    if (head.includes('\r\n\r\n')) socket.end('HTTP/1.1 418 I\'m a teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  }));
  await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const app = http.createServer();
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const proxy = attachUpgradeProxy(app, { path: '/ws', target: () => ({ host: '127.0.0.1', port: fake.address().port, path: '/ws' }) });
  cleanups.push(async () => { proxy.close(); app.close(); fake.close(); });
  const answer = await upgrade(app.address().port, { Origin: 'https://app.example', 'X-Forwarded-For': '203.0.113.7', 'X-Custom': 'kept' });
  assert.equal(answer.status, 418, 'the server\'s answer comes back as it is');
  assert.match(head, /^GET \/ws HTTP\/1\.1\r\n/);
  assert.match(head, /\r\nOrigin: https:\/\/app\.example\r\n/);
  assert.match(head, /\r\nX-Custom: kept\r\n/);
  assert.match(head, /\r\nX-Forwarded-For: 203\.0\.113\.7, 127\.0\.0\.1\r\n/);
  assert.equal(head.match(/X-Forwarded-For/gi).length, 1);
  // Other paths are not ours: with no other upgrade listener, 404.
  const req = http.request({ host: '127.0.0.1', port: app.address().port, path: '/socket.io/', agent: false, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
  const other = await new Promise((resolve) => { req.on('response', resolve); req.end(); });
  assert.equal(other.statusCode, 404);
});

test('through the app\'s port the server still refuses origins it does not allow, and the proxy limits new connections per address', async (t) => {
  const { port } = await serve(t, { security: { allowedOrigins: ['https://app.example'], connectionRatePerIp: 3 } });
  assert.equal((await upgrade(port, { Origin: 'https://evil.example' })).status, 403);
  assert.equal((await upgrade(port, { Origin: 'https://app.example' })).status, 101);
  assert.equal((await upgrade(port)).status, 101, 'no Origin: not a browser, allowed');
  const limited = await upgrade(port);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal(JSON.parse(limited.body).error.code, 'rate_limited');
});

test('a missing binary is a clear error naming the three ways to give it', async (t) => {
  const multiagent = new BrolostackWSMultiagent(null, { serverBin: '/nonexistent/brolostack-server' });
  const err = await multiagent.initialize().then(() => assert.fail('started'), (e) => e);
  assert.match(err.message, /options\.serverBin.*no such file/);
  const saved = { PATH: process.env.PATH, BIN: process.env.BROLOSTACK_SERVER_BIN };
  process.env.PATH = '/nonexistent';
  delete process.env.BROLOSTACK_SERVER_BIN;
  try {
    const missing = await new BrolostackWSMultiagent(null).initialize().then(() => assert.fail('started'), (e) => e);
    assert.match(missing.message, /brolostack-server not found: pass \{ serverBin: .* \}, set BROLOSTACK_SERVER_BIN, or put brolostack-server on PATH/);
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.BIN !== undefined) process.env.BROLOSTACK_SERVER_BIN = saved.BIN;
  }
});
