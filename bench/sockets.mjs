// Load over real sockets against build/bin/brolostack-server on loopback:
//  1. room fan-out: S subscribers, one publisher; delivered messages/s and
//     publish-to-delivery latency (p50, p99).
//  2. ARGS tasks: A agent connections that complete what they get, one
//     submitter; tasks/s.
// Each scenario runs R rounds; medians are printed. Bounded in count and time.
//
//   node bench/sockets.mjs [--subscribers 50] [--messages 2000] [--agents 20] [--tasks 2000] [--rounds 3]
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startServer, stopAllServers } from '../tests/integration/support/server.mjs';

const { values: opts } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '50' },
    messages: { type: 'string', default: '2000' },
    agents: { type: 'string', default: '20' },
    tasks: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, Number(v)]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function client(url) {
  const ws = new WebSocket(url, 'brolostack.v1');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let ref = 1;
  const pending = new Map();
  const handlers = [];
  ws.on('message', (raw) => {
    const f = JSON.parse(raw);
    if (f.op === 'reply' && pending.has(f.ref)) {
      pending.get(f.ref)(f);
      pending.delete(f.ref);
    } else {
      for (const h of handlers) h(f);
    }
  });
  const request = (frame) => new Promise((resolve) => {
    const r = ref++;
    pending.set(r, resolve);
    ws.send(JSON.stringify({ ...frame, ref: r }));
  });
  await request({ op: 'hello', v: 1 });
  return { ws, request, on: (h) => handlers.push(h), send: (f) => ws.send(JSON.stringify(f)) };
}

function deadline(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms).unref());
}

async function roomFanout(url) {
  const subs = await Promise.all(Array.from({ length: N.subscribers }, () => client(url)));
  await Promise.all(subs.map((s) => s.request({ op: 'join', room: 'bench' })));
  const pub = await client(url);
  await pub.request({ op: 'join', room: 'bench' });
  const latencies = [];
  let delivered = 0;
  const expected = N.subscribers * N.messages;
  const done = new Promise((resolve) => {
    for (const s of subs) s.on((f) => {
      if (f.op !== 'message' || f.event !== 'm') return;
      latencies.push(performance.timeOrigin + performance.now() - f.data.t);
      if (++delivered === expected) resolve();
    });
  });
  const start = performance.now();
  // Publish in windows of 100 acknowledged publishes, as a chat burst would.
  for (let i = 0; i < N.messages; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(N.messages, i + 100); j += 1) {
      batch.push(pub.request({ op: 'publish', room: 'bench', event: 'm', data: { i: j, t: performance.timeOrigin + performance.now() } }));
    }
    await Promise.all(batch);
  }
  await Promise.race([done, deadline(60000, 'fan-out')]);
  const seconds = (performance.now() - start) / 1000;

  // Latency without queueing: one message at a time, timed until the first
  // subscriber has it (and the next sent once all have it).
  const quiet = [];
  for (let i = 0; i < 200; i += 1) {
    let got = 0;
    let first = 0;
    const all = new Promise((resolve) => {
      for (const s of subs) s.on((f) => {
        if (f.op !== 'message' || f.data.q !== i) return;
        if (got === 0) first = performance.now();
        if (++got === subs.length) resolve();
      });
    });
    const sentAt = performance.now();
    pub.send({ op: 'publish', room: 'bench', event: 'q', data: { q: i } });
    await Promise.race([all, deadline(5000, 'quiet message')]);
    quiet.push(first - sentAt);
  }
  for (const c of [...subs, pub]) c.ws.close();
  return { rate: delivered / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99),
    quietP50: percentile(quiet, 0.5), quietP99: percentile(quiet, 0.99) };
}

async function argsTasks(url) {
  const agents = await Promise.all(Array.from({ length: N.agents }, () => client(url)));
  await Promise.all(agents.map((a, i) => a.request({
    op: 'send', event: 'register-agent',
    data: { sessionId: 'bench', id: `agent-${i}`, type: 'worker', capabilities: ['work'], metadata: { maxConcurrentTasks: 4 } },
  })));
  agents.forEach((a, i) => a.on((f) => {
    if (f.op === 'args' && f.msg.type === 'TASK_ASSIGN' && f.msg.payload.agentId === `agent-${i}`) {
      a.send({ op: 'send', event: 'task-complete', data: { sessionId: 'bench', taskId: f.msg.payload.taskId, agentId: `agent-${i}`, result: 1 } });
    }
  }));
  const submitter = await client(url);
  await submitter.request({ op: 'send', event: 'join-session', data: 'bench' });
  let completed = 0;
  const done = new Promise((resolve) => submitter.on((f) => {
    if (f.op === 'args' && f.msg.type === 'TASK_COMPLETE' && ++completed === N.tasks) resolve();
  }));
  const start = performance.now();
  for (let i = 0; i < N.tasks; i += 1) {
    submitter.send({ op: 'send', event: 'start-task', data: { sessionId: 'bench', id: `t${i}`, requirements: { capabilities: ['work'] } } });
  }
  await Promise.race([done, deadline(120000, 'ARGS tasks')]);
  const seconds = (performance.now() - start) / 1000;
  for (const c of [...agents, submitter]) c.ws.close();
  return { rate: N.tasks / seconds };
}

const fanout = [];
const tasks = [];
try {
  for (let round = 1; round <= N.rounds; round += 1) {
    // A fresh server per round: no state carried between rounds.
    const server = await startServer({ BROLOSTACK_ENV: 'test', MAX_CONNECTIONS: 10000, MAX_AGENTS_PER_SESSION: 10000, HISTORY_SIZE: 1000 });
    const f = await roomFanout(server.wsUrl);
    const t = await argsTasks(server.wsUrl);
    await server.stop();
    fanout.push(f);
    tasks.push(t);
    console.log(`round ${round}: fan-out ${f.rate.toFixed(0)} msg/s delivered, burst latency p50 ${f.p50.toFixed(2)} ms ` +
      `p99 ${f.p99.toFixed(2)} ms, single-message latency p50 ${f.quietP50.toFixed(2)} ms p99 ${f.quietP99.toFixed(2)} ms; ` +
      `ARGS ${t.rate.toFixed(0)} tasks/s`);
  }
} finally {
  await stopAllServers();
}
console.log(`room fan-out (${N.subscribers} subscribers x ${N.messages} messages): median ${median(fanout.map((f) => f.rate)).toFixed(0)} msg/s delivered, ` +
  `burst latency p50 ${median(fanout.map((f) => f.p50)).toFixed(2)} ms, p99 ${median(fanout.map((f) => f.p99)).toFixed(2)} ms; ` +
  `single-message latency p50 ${median(fanout.map((f) => f.quietP50)).toFixed(2)} ms, p99 ${median(fanout.map((f) => f.quietP99)).toFixed(2)} ms`);
console.log(`ARGS over sockets (${N.agents} agents, ${N.tasks} tasks): median ${median(tasks.map((t) => t.rate)).toFixed(0)} tasks/s`);
