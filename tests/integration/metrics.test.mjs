// GET /metrics as Prometheus scrapes it: the build, the process, latency
// histograms of publish delivery, HTTP answers and webhook calls, closes by
// code, error answers by code and ARGS task durations, each after the
// activity that feeds it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer, stopAllServers } from './support/server.mjs';
import { closeAllClients, connect, http } from './support/client.mjs';
import { Agent } from './support/args.mjs';

const backend = createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"ok":1}'); });
});
await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));

after(async () => {
  await closeAllClients();
  await stopAllServers();
  backend.closeAllConnections();
  await new Promise((resolve) => backend.close(resolve));
});

/** Prometheus text as {"name{labels}": value}. */
function parse(text) {
  const samples = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return samples;
}

test('metrics: build info, process figures, latency histograms, closes and errors by code', async () => {
  const server = await startServer({ BACKEND_URL: `http://127.0.0.1:${backend.address().port}`, WEBHOOK_SECRET: 'w' });
  const member = await connect(server.wsUrl);
  const publisher = await connect(server.wsUrl);
  await member.join('room');
  await publisher.join('room');
  await publisher.publish('room', 'hello');
  await member.next((f) => f.op === 'message');
  assert.equal((await publisher.request({ op: 'publish', room: 'elsewhere', event: 'e', data: 1 })).error.code, 'forbidden');
  assert.equal((await publisher.request({ op: 'send', event: 'to-backend', data: 1 })).ok, true);
  const worker = await Agent.connect(server, { id: 'w1', type: 'worker', sessionId: 'jobs' });
  const started = await http(server.httpUrl, 'POST', '/api/v1/sessions/jobs/tasks', { body: { id: 'job-1', type: 'work' } });
  assert.equal(started.status, 202, JSON.stringify(started.json));
  await worker.nextAssign('job-1');
  await worker.complete('job-1', { done: true });
  for (let i = 0; i < 100 && (await http(server.httpUrl, 'GET', '/api/v1/sessions/jobs')).json.tasks[0].state !== 'completed'; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await member.close(1000);
  await publisher.close(4321);
  assert.equal((await http(server.httpUrl, 'GET', '/healthz')).status, 200);

  const scraped = await http(server.httpUrl, 'GET', '/metrics');
  assert.equal(scraped.status, 200);
  assert.match(scraped.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const m = parse(scraped.text);
  const version = /project\(brolostack VERSION (\S+)/.exec(readFileSync(path.join(repoRoot, 'CMakeLists.txt'), 'utf8'))[1];
  assert.equal(m[`brolostack_build_info{version="${version}"}`], 1);
  assert.ok(m.process_resident_memory_bytes > 1e6, 'RSS');
  assert.ok(m.process_open_fds > 3, 'open fds');
  assert.ok(m.process_max_fds >= m.process_open_fds);
  assert.ok(m.process_cpu_seconds_total >= 0);
  assert.ok(Math.abs(m.process_start_time_seconds - Date.now() / 1000) < 120, 'start time');
  assert.equal(m.brolostack_publish_delivery_seconds_count, 1, 'one publish delivered');
  assert.equal(m['brolostack_publish_delivery_seconds_bucket{le="+Inf"}'], 1);
  assert.ok(m.brolostack_http_request_duration_seconds_count >= 1, 'the /healthz answer');
  assert.equal(m.brolostack_webhook_duration_seconds_count, 1, 'one webhook call');
  assert.equal(m['brolostack_connection_closes_total{code="1000"}'], 1);
  assert.equal(m['brolostack_connection_closes_total{code="4321"}'], 1);
  assert.equal(m['brolostack_errors_total{code="forbidden"}'], 1);
  assert.equal(m.brolostack_task_duration_seconds_count, 1, 'one task completed');
  assert.equal(m['brolostack_task_duration_seconds_bucket{le="+Inf"}'], 1);
  assert.ok(m.brolostack_task_duration_seconds_sum >= 0);
});
