// Holding many connections: the server raises its soft open-file limit to
// the hard one at start (shells and systemd hand out a soft 1024), so only
// the hard limit bounds its connections; and it keeps every one it admitted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, stopAllServers } from './support/server.mjs';
import { closeAllClients, connect, http } from './support/client.mjs';

after(async () => {
  await closeAllClients();
  await stopAllServers();
});

/** [soft, hard] open-file limits of a process, from /proc. */
function fileLimits(pid) {
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return [m[1], m[2]].map((v) => (v === 'unlimited' ? Infinity : Number(v)));
}

const [, ourHard] = fileLimits(process.pid);
// The server's hard limit in these tests: ours (children cannot get more), at most 4096.
const hard = Math.min(ourHard, 4096);

test('the server raises its soft open-file limit to the hard limit and logs both (at info)', async () => {
  const server = await startServer({ LOG_LEVEL: 'info' }, { launcher: ['prlimit', `--nofile=256:${hard}`] });
  assert.deepEqual(fileLimits(server.proc.pid), [hard, hard]);
  const line = server.stderr.split('\n').find((l) => l.includes('"open files"'));
  assert.ok(line, `no "open files" line in:\n${server.stderr}`);
  assert.equal(JSON.parse(line).limit, hard);
  assert.equal(JSON.parse(line).hard, hard);
});

test('the server warns when the open-file limit is below MAX_CONNECTIONS', async () => {
  const server = await startServer({ MAX_CONNECTIONS: 10000, LOG_LEVEL: 'warn' }, { launcher: ['prlimit', '--nofile=512:512'] });
  assert.match(server.stderr, /open-file limit is below MAX_CONNECTIONS/);
});

test('started with a soft limit of 1024, the server holds 1,500 connections after hello', { skip: hard < 1600 && 'hard limit under 1,600' }, async () => {
  const server = await startServer({ MAX_CONNECTIONS: 2000, CONNECTION_RATE_PER_IP: 0, HELLO_TIMEOUT_MS: 60000 },
    { launcher: ['prlimit', `--nofile=1024:${hard}`] });
  const clients = [];
  for (let batch = 0; batch < 15; batch += 1) {
    clients.push(...await Promise.all(Array.from({ length: 100 }, () => connect(server.wsUrl, { perMessageDeflate: false }))));
  }
  assert.equal(clients.length, 1500);
  assert.ok(clients.every((c) => c.sid), 'every connection got its hello answer');
  const stats = await http(server.httpUrl, 'GET', '/api/v1/stats');
  assert.equal(stats.json.connectedClients, 1500, JSON.stringify(stats.json));
  // Every connection is still there, and the first and last still answer.
  for (const c of [clients[0], clients[1499]]) {
    c.send({ op: 'ping', ts: 7 });
    assert.equal((await c.next('pong')).ts, 7);
  }
  assert.ok(clients.every((c) => c.isOpen), 'no connection was closed');
});

// A connection reads at most 1 KiB at a time (its read buffer is kept small
// to keep idle connections small): longer handshakes and frames arrive in
// several reads, whole.
test('handshakes and frames longer than one read arrive whole', async () => {
  const server = await startServer();
  const cookie = `c=${'x'.repeat(6000)}`;
  const [a, b] = await Promise.all([connect(server.wsUrl, { headers: { Cookie: cookie } }), connect(server.wsUrl)]);
  await a.join('big');
  await b.join('big');
  const data = Array.from({ length: 3000 }, (_, i) => `${i}:${'y'.repeat(i % 50)}`).join('|');
  assert.ok(data.length > 64 * 1024);
  await a.publish('big', data);
  assert.equal((await b.next((f) => f.op === 'message')).data, data);
});
