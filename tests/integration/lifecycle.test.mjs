// Start-up configuration, environment profiles, liveness and shutdown.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, stopAllServers, runUntilExit, waitForExit, serverBin } from './support/server.mjs';
import { connect, closeAllClients, expectRefusedUpgrade, http, rawUpgrade, sleep } from './support/client.mjs';

afterEach(async () => {
  await closeAllClients();
  await stopAllServers();
});

const PRODUCTION = {
  BROLOSTACK_ENV: 'production', ENABLE_ENCRYPTION: 'false', API_KEYS: 'k', ALLOWED_ORIGINS: 'https://a.example',
};

// ---- shutdown --------------------------------------------------------------------

test('SIGTERM: connected clients get close 1001 and the process exits with 0', async () => {
  const server = await startServer();
  const a = await connect(server.wsUrl);
  const b = await connect(server.wsUrl);
  await a.join('bye');
  server.proc.kill('SIGTERM');
  const [ca, cb] = await Promise.all([a.waitClose(), b.waitClose()]);
  assert.equal(ca.code, 1001);
  assert.equal(cb.code, 1001);
  const exit = await waitForExit(server);
  assert.equal(exit.code, 0);
  assert.equal(exit.killed, false);
});

test('SIGTERM with no clients exits with 0 promptly', async () => {
  const server = await startServer();
  const exit = await server.stop({ timeoutMs: 3000 });
  assert.equal(exit.code, 0);
  assert.equal(exit.killed, false);
});

test('/readyz answers 503 while draining', async () => {
  const server = await startServer({ DRAIN_TIMEOUT_MS: 1500 });
  // A client that never answers the close keeps the server draining.
  const silent = await rawUpgrade(server.port);
  // An HTTP request started before the drain and finished during it.
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => { answer += d; });
  socket.on('error', () => {});
  socket.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  await sleep(100);

  server.proc.kill('SIGTERM');
  const close = await silent.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
  assert.equal(close.closeCode, 1001);
  socket.write('Connection: close\r\n\r\n');
  for (let i = 0; i < 50 && !/\r\n\r\n/.test(answer); i++) await sleep(50);
  socket.destroy();
  assert.match(answer, /^HTTP\/1\.1 503/);
  const exit = await waitForExit(server, { timeoutMs: 6000 });
  assert.equal(exit.code, 0);
});

// ---- liveness -----------------------------------------------------------------------

test('HEARTBEAT_MS=1000: the server pings; a client that answers stays, a silent one is closed', async () => {
  const server = await startServer({ HEARTBEAT_MS: 1000 });
  const live = await connect(server.wsUrl);
  assert.equal(live.hello.heartbeatMs, 1000);
  const silent = await rawUpgrade(server.port);
  silent.sendText('{"op":"hello","ref":1,"v":1}');
  await silent.waitFrame((f) => f.opcode === 0x1, 5000, 'the hello reply');
  // From now on the raw client sends nothing at all, pongs included.
  const ping = await silent.waitFrame((f) => f.opcode === 0x9, 3000, 'a ping');
  assert.ok(ping);
  let timer;
  const closedOrDropped = await Promise.race([
    silent.waitFrame((f) => f.opcode === 0x8, 8000, 'a close').then(() => 'close frame'),
    silent.ended.then(() => 'tcp closed'),
    new Promise((resolve) => { timer = setTimeout(() => resolve('still open'), 8000); }),
  ]).finally(() => clearTimeout(timer));
  assert.notEqual(closedOrDropped, 'still open', 'the silent client is closed');
  // The answering client gets pings and, answering them, outlives 2 x heartbeatMs of app silence.
  for (let i = 0; i < 60 && live.pings < 3 && live.isOpen; i++) await sleep(100);
  assert.ok(live.pings >= 3, `pings received: ${live.pings}`);
  assert.equal(live.isOpen, true);
  live.send({ op: 'ping', ts: 3 });
  assert.equal((await live.next('pong')).ts, 3);
});

// ---- configuration ------------------------------------------------------------------

test('a TRUSTED_PROXIES entry that is no network exits with 78 and names it', async () => {
  const r = await runUntilExit({ TRUSTED_PROXIES: '10.0.0.0/8,10.0.0/33' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /TRUSTED_PROXIES: '10\.0\.0\/33'/);
});

test('BROLOSTACK_ENV=nonsense exits with 78 and says why', async () => {
  const r = await runUntilExit({ BROLOSTACK_ENV: 'nonsense' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /nonsense/);
  assert.doesNotMatch(r.stdout, /listening on/);
});

test('NODE_ENV is used when BROLOSTACK_ENV is unset (NODE_ENV=nonsense exits with 78)', async () => {
  const r = await runUntilExit({ BROLOSTACK_ENV: undefined, NODE_ENV: 'nonsense' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /nonsense/);
});

test('bad numbers and booleans exit with 78 naming the variable', async () => {
  for (const [name, value] of [['HEARTBEAT_MS', '999'], ['MAX_MESSAGE_BYTES', '100'], ['MAX_CONNECTIONS', 'many'],
    ['API_KEY_REQUIRED', 'maybe']]) {
    const r = await runUntilExit({ [name]: value });
    assert.equal(r.code, 78, `${name}=${value}`);
    assert.match(r.stderr, new RegExp(name), `${name}=${value}`);
  }
});

test('production without API_KEYS (TLS ended by a proxy) exits with 78 naming API_KEYS', async () => {
  const r = await runUntilExit({ BROLOSTACK_ENV: 'production', ENABLE_ENCRYPTION: 'false' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /API_KEYS/);
});

test('BROLOSTACK_ENV=production with nothing else exits with 78 naming API_KEYS', async () => {
  const r = await runUntilExit({ BROLOSTACK_ENV: 'production' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /API_KEYS/, `stderr: ${r.stderr.trim()}`);
});

test('production with TLS on but no certificate exits with 78 naming TLS_CERT', async () => {
  const r = await runUntilExit({ BROLOSTACK_ENV: 'production', API_KEYS: 'k' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /TLS_CERT/);
});

test('production with ENABLE_ENCRYPTION=false, API_KEYS and ALLOWED_ORIGINS starts and enforces its profile', async () => {
  const server = await startServer(PRODUCTION);
  const health = await http(server.httpUrl, 'GET', '/healthz');
  assert.equal(health.status, 200);

  const c = await connect(server.wsUrl, { hello: { apiKey: 'k' } });
  assert.equal(c.hello.environment, 'production');
  assert.deepEqual(c.hello.user, { id: 'key:1' });
  assert.equal(c.hello.heartbeatMs, 15000);
  assert.equal(c.hello.limits.rateLimitPerMinute, 1000);

  // Anonymous connections are refused.
  const anon = await connect(server.wsUrl, { hello: false });
  const reply = await anon.request({ op: 'hello', ref: 1, v: 1 });
  assert.equal(reply.error.code, 'unauthorized');
  assert.equal(reply.error.message, 'unauthorized', 'no detailed errors in production');
  assert.equal((await anon.waitClose()).code, 4001);

  // Origins.
  const refused = await expectRefusedUpgrade(server.wsUrl, { headers: { Origin: 'https://b.example' } });
  assert.equal(refused.status, 403);
  const browser = await connect(server.wsUrl, { headers: { Origin: 'https://a.example' }, query: { apiKey: 'k' } });
  assert.deepEqual(browser.hello.user, { id: 'key:1' });

  // The HTTP API needs the key.
  assert.equal((await http(server.httpUrl, 'GET', '/api/v1/stats')).status, 401);
  const stats = await http(server.httpUrl, 'GET', '/api/v1/stats', { headers: { 'X-API-Key': 'k' } });
  assert.equal(stats.status, 200);
  assert.equal(stats.json.environment, 'production');
});

test('production without detailed errors keeps messages generic', async () => {
  const server = await startServer(PRODUCTION);
  const c = await connect(server.wsUrl, { hello: { apiKey: 'k' } });
  const reply = await c.request({ op: 'join', room: 'bad room id' });
  assert.equal(reply.error.code, 'bad_request');
  assert.equal(reply.error.message, 'bad request');
});

test('staging without ALLOWED_ORIGINS refuses requests with an Origin header, allows those without', async () => {
  const server = await startServer({ BROLOSTACK_ENV: 'staging', ENABLE_ENCRYPTION: 'false', API_KEYS: 'k' });
  const refused = await expectRefusedUpgrade(server.wsUrl, { headers: { Origin: 'https://any.example' } });
  assert.equal(refused.status, 403);
  const c = await connect(server.wsUrl, { hello: { apiKey: 'k' } });
  assert.equal(c.hello.environment, 'staging');
});

test('the test profile accepts any Origin', async () => {
  const server = await startServer();
  const c = await connect(server.wsUrl, { headers: { Origin: 'https://whatever.example' } });
  assert.equal(c.isOpen, true);
});

test('check-config prints the effective settings and exits 0, or names what is wrong and exits 78', async () => {
  const { spawnSync } = await import('node:child_process');
  const run = (args, env) => spawnSync(serverBin, ['check-config', ...args], {
    env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 10000,
  });
  const ok = run(['--max-rooms', '7'], { BROLOSTACK_ENV: 'test', API_KEYS: 'web=hidden-secret' });
  assert.equal(ok.status, 0, ok.stderr);
  const lines = ok.stdout.trim().split('\n');
  assert.ok(lines.includes('BROLOSTACK_ENV=test'));
  assert.ok(lines.includes('MAX_ROOMS=7'), 'flags count');
  assert.doesNotMatch(ok.stdout, /hidden-secret/, 'secrets masked');
  assert.doesNotMatch(ok.stdout, /listening on/, 'nothing was started');
  const badProxy = run([], { BROLOSTACK_ENV: 'test', TRUSTED_PROXIES: '10.0.0.0/33' });
  assert.equal(badProxy.status, 78);
  assert.match(badProxy.stderr, /TRUSTED_PROXIES/);
  const production = run([], { BROLOSTACK_ENV: 'production' });
  assert.equal(production.status, 78);
  assert.match(production.stderr, /requires credentials/);
});

test('--config FILE: TOML settings under either name; flags, then the environment, win over it; unknown names stop the start', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'brolostack-config-'));
  try {
    const file = path.join(dir, 'server.toml');
    writeFileSync(file, '# settings\nMAX_ROOMS = 9\nheartbeat-ms = 5000\nMAX_ROOMS_PER_CONNECTION = 3\nLOG_LEVEL = "info"\n');
    const run = (args, env) => spawnSync(serverBin, ['check-config', '--config', file, ...args], {
      env: { PATH: process.env.PATH, BROLOSTACK_ENV: 'test', ...env }, encoding: 'utf8', timeout: 10000,
    });
    const r = run(['--heartbeat-ms', '7000'], { MAX_ROOMS_PER_CONNECTION: '4' });
    assert.equal(r.status, 0, r.stderr);
    const effective = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(effective.MAX_ROOMS, '9', 'from the file');
    assert.equal(effective.LOG_LEVEL, 'info', 'from the file, a quoted string');
    assert.equal(effective.MAX_ROOMS_PER_CONNECTION, '4', 'the environment wins over the file');
    assert.equal(effective.HEARTBEAT_MS, '7000', 'a flag wins over both');

    writeFileSync(file, 'MAX_ROOM = 9\n');
    const misspelt = run([], {});
    assert.equal(misspelt.status, 78);
    assert.match(misspelt.stderr, /--config .*server\.toml.*MAX_ROOM/);
    rmSync(file);
    const missing = run([], {});
    assert.equal(missing.status, 78);
    assert.match(missing.stderr, /not readable/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('under systemd (NOTIFY_SOCKET) the server says READY=1 once it listens and STOPPING=1 when it stops', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'brolostack-notify-'));
  const socketPath = path.join(dir, 'notify.sock');
  // A datagram socket as systemd's (Node has no Unix datagram sockets): prints what arrives.
  const listener = spawn('/usr/bin/python3', ['-u', '-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)
`, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let heard = '';
  listener.stdout.on('data', (d) => { heard += d; });
  try {
    while (!heard.includes('bound')) await new Promise((r) => setTimeout(r, 20));
    const server = await startServer({ NOTIFY_SOCKET: socketPath });
    for (let i = 0; i < 100 && !heard.includes('READY=1'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(heard, new RegExp(`READY=1\\|STATUS=listening on port ${server.port}`));
    await server.stop();
    for (let i = 0; i < 100 && !heard.includes('STOPPING=1'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(heard, /STOPPING=1/);
  } finally {
    listener.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
