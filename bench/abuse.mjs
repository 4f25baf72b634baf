// What one abusive client costs everyone else: a bystander connection pings
// the server every 10 ms (round trip through the core) while an abuser, in
// a process of its own, floods it. Per scenario: the bystander's RTT (p50,
// p99), the server's RSS at the end and its CPU, and what the abuser got
// through. The scenarios run side by side in each round, each on a fresh
// server with the same budget; medians over rounds.
//
// Scenarios:
//   quiet          no abuser (the baseline)
//   history-flood  1 MiB publishes into 32 rooms, 4 in flight
//   room-churn     join + leave over ever new room names, 500 in flight
//   sync-flood     sync requests for sessions nobody started, 500 in flight
//
//   node bench/abuse.mjs [--seconds 4] [--rounds 3]
//   (INBOUND_BYTES_PER_SECOND=0 in the environment: without the byte rate)
import WebSocket from 'ws';
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startServer, stopAllServers } from '../tests/integration/support/server.mjs';
import { cpuSeconds, rssBytes } from '../tests/integration/support/proc.mjs';

const MiB = 1024 * 1024;
// The memory budget and the byte rate of the production profile; the frame
// limit (RATE_LIMIT_RPM) stays off so the frame floods run at full strength.
const BUDGET = {
  MEMORY_LIMIT_BYTES: 64 * MiB, HISTORY_MAX_BYTES: 8 * MiB, MAX_MESSAGE_BYTES: 2 * MiB, EMPTY_ROOM_TTL_MS: 1000,
  INBOUND_BYTES_PER_SECOND: Number(process.env.INBOUND_BYTES_PER_SECOND ?? MiB),
};
const SCENARIOS = ['quiet', 'history-flood', 'room-churn', 'sync-flood'];

/** A minimal protocol client: hello, then request() with refs. */
async function open(url) {
  const ws = new WebSocket(url, 'brolostack.v1', { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let ref = 0;
  const waiting = new Map();
  const pongs = new Map();
  ws.on('message', (raw) => {
    const f = JSON.parse(raw);
    if (f.op === 'reply') { waiting.get(f.ref)?.(f); waiting.delete(f.ref); }
    if (f.op === 'pong') { pongs.get(f.ts)?.(); pongs.delete(f.ts); }
  });
  const request = (frame) => new Promise((resolve) => {
    ref += 1;
    waiting.set(ref, resolve);
    ws.send(JSON.stringify({ ...frame, ref }));
  });
  // A pong that does not come within 5 s counts as 5 s: the bench ends whatever happens.
  const ping = (ts) => new Promise((resolve) => {
    const timer = setTimeout(() => { pongs.delete(ts); resolve(); }, 5000);
    pongs.set(ts, () => { clearTimeout(timer); resolve(); });
    ws.send(`{"op":"ping","ts":${ts}}`);
  });
  await request({ op: 'hello', v: 1 });
  return { ws, request, ping };
}

// ---- the abuser (a child process) ---------------------------------------------

/** Keeps `window` operations in flight until `until`; resolves with how many finished. */
async function flood(window, until, operation) {
  let done = 0;
  let next = 0;
  await Promise.all(Array.from({ length: window }, async () => {
    while (performance.now() < until) {
      await operation(next++);
      done += 1;
    }
  }));
  return done;
}

async function abuse(url, scenario, seconds) {
  const c = await open(url);
  const until = performance.now() + seconds * 1000;
  if (scenario === 'history-flood') {
    const payload = 'x'.repeat(MiB - 512);
    for (let r = 0; r < 32; r++) await c.request({ op: 'join', room: `dump-${r}` });
    return flood(4, until, (i) => c.request({ op: 'publish', room: `dump-${i % 32}`, event: 'm', data: payload }));
  }
  if (scenario === 'room-churn') {
    return flood(500, until, async (i) => {
      await c.request({ op: 'join', room: `churn-${i}` });
      await c.request({ op: 'leave', room: `churn-${i}` });
    });
  }
  if (scenario === 'sync-flood') {
    return flood(500, until, (i) => c.request({ op: 'send', event: 'sync', data: { sessionId: `ghost-${i}` } }));
  }
  throw new Error(`unknown scenario ${scenario}`);
}

if (process.argv[2] === '--abuser') {
  const [url, scenario, seconds] = process.argv.slice(3);
  const ops = await abuse(url, scenario, Number(seconds));
  process.send({ ops });
  process.exit(0);
}

// ---- the bystander and the report ---------------------------------------------

const { values: opts } = parseArgs({
  options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' } },
});
const seconds = Number(opts.seconds);
const rounds = Number(opts.rounds);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function runScenario(scenario) {
  const server = await startServer({ ...BUDGET, MAX_CONNECTIONS: 100 });
  const bystander = await open(server.wsUrl);
  const cpu0 = cpuSeconds(server.proc.pid);
  const start = performance.now();
  const abuser = scenario === 'quiet' ? null : fork(fileURLToPath(import.meta.url),
    ['--abuser', server.wsUrl, scenario, String(seconds)], { stdio: 'inherit' });
  // An abuser still busy 30 s after its time (its last requests unanswered) is stopped.
  const abused = abuser
    ? new Promise((resolve, reject) => {
      const timer = setTimeout(() => { abuser.kill(); resolve({ ops: NaN }); }, (seconds + 30) * 1000);
      abuser.once('message', (m) => { clearTimeout(timer); resolve(m); });
      abuser.once('error', reject);
    })
    : Promise.resolve({ ops: 0 });
  const rtts = [];
  for (let ts = 1; performance.now() - start < seconds * 1000; ts++) {
    const sent = performance.now();
    await bystander.ping(ts);
    rtts.push(performance.now() - sent);
    await new Promise((r) => setTimeout(r, 10));
  }
  const { ops } = await abused;
  const elapsed = (performance.now() - start) / 1000;
  const result = {
    p50: percentile(rtts.sort((a, b) => a - b), 0.5),
    p99: percentile(rtts, 0.99),
    rss: rssBytes(server.proc.pid) / MiB,
    cpu: (100 * (cpuSeconds(server.proc.pid) - cpu0)) / elapsed,
    opsPerSecond: ops / elapsed,
    historyMiB: (await (await fetch(`${server.httpUrl}/api/v1/stats`)).json()).historyBytes / MiB,
  };
  bystander.ws.close();
  await server.stop();
  return result;
}

const describe = (r) => `bystander RTT p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms, server RSS ${r.rss.toFixed(0)} MiB ` +
  `(history ${r.historyMiB.toFixed(0)} MiB), CPU ${r.cpu.toFixed(0)}%, abuser ${r.opsPerSecond.toFixed(0)} ops/s`;

const results = Object.fromEntries(SCENARIOS.map((s) => [s, []]));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of SCENARIOS) {
      const r = await runScenario(scenario);
      results[scenario].push(r);
      console.log(`round ${round} ${scenario.padEnd(13)} ${describe(r)}`);
    }
  }
} finally {
  await stopAllServers();
}
console.log(`\nmedians over ${rounds} rounds of ${seconds} s, MEMORY_LIMIT_BYTES ${BUDGET.MEMORY_LIMIT_BYTES / MiB} MiB, ` +
  `INBOUND_BYTES_PER_SECOND ${BUDGET.INBOUND_BYTES_PER_SECOND}:`);
const quiet = results.quiet;
for (const scenario of SCENARIOS) {
  const rs = results[scenario];
  const m = Object.fromEntries(Object.keys(rs[0]).map((k) => [k, median(rs.map((r) => r[k]))]));
  const ratio = scenario === 'quiet' ? '' : `; p99 ${(m.p99 / median(quiet.map((r) => r.p99))).toFixed(2)}x quiet`;
  console.log(`${scenario.padEnd(13)} ${describe(m)}${ratio}`);
}
