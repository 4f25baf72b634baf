// Load over real sockets against build/bin/brolostack-server on loopback:
//  1. room fan-out: S subscribers, one publisher; delivered messages/s and
//     publish-to-delivery latency (p50, p99). The same scenario runs, in the
//     same rounds, against a Socket.IO server (bench/anchors), and the
//     ratios are printed.
//  2. ARGS tasks: A agent connections that complete what they get, one
//     submitter; tasks/s.
// Each scenario runs R rounds; medians are printed. Bounded in count and time.
//
//   node bench/sockets.mjs [--subscribers 50] [--messages 2000] [--agents 20] [--tasks 2000] [--rounds 3]
import WebSocket from 'ws';
import { io as socketIo } from 'socket.io-client';
import { spawn } from 'node:child_process';
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

/** A room member over the Brolostack protocol: join, acked publish, messages. */
async function brolostackMember(url) {
  const c = await client(url);
  return {
    join: (room) => c.request({ op: 'join', room }),
    publish: (room, event, data) => c.request({ op: 'publish', room, event, data }),
    publishUnacked: (room, event, data) => c.send({ op: 'publish', room, event, data }),
    onMessage: (handler) => c.on((f) => { if (f.op === 'message') handler(f); }),
    close: () => c.ws.close(),
  };
}

/** The same member over Socket.IO (WebSocket transport, as its users deploy it). */
async function socketIoMember(url) {
  const socket = socketIo(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  return {
    join: (room) => socket.emitWithAck('join', room),
    publish: (room, event, data) => socket.emitWithAck('publish', room, event, data),
    publishUnacked: (room, event, data) => socket.emit('publish', room, event, data),
    onMessage: (handler) => socket.on('message', handler),
    close: () => socket.close(),
  };
}

/** Starts the Socket.IO anchor server; resolves with its URL and a stop(). */
async function startSocketIoAnchor() {
  const proc = spawn(process.execPath, [new URL('./anchors/socketio-server.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => { out += d; const m = /listening on (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    proc.once('exit', (code) => reject(new Error(`the Socket.IO anchor exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill(); }) };
}

function deadline(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms).unref());
}

async function roomFanout(connect) {
  const subs = await Promise.all(Array.from({ length: N.subscribers }, () => connect()));
  await Promise.all(subs.map((s) => s.join('bench')));
  const pub = await connect();
  await pub.join('bench');
  const latencies = [];
  let delivered = 0;
  const expected = N.subscribers * N.messages;
  const done = new Promise((resolve) => {
    for (const s of subs) s.onMessage((m) => {
      if (m.event !== 'm') return;
      latencies.push(performance.timeOrigin + performance.now() - m.data.t);
      if (++delivered === expected) resolve();
    });
  });
  const start = performance.now();
  // Publish in windows of 100 acknowledged publishes, as a chat burst would.
  for (let i = 0; i < N.messages; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(N.messages, i + 100); j += 1) {
      batch.push(pub.publish('bench', 'm', { i: j, t: performance.timeOrigin + performance.now() }));
    }
    await Promise.all(batch);
  }
  await Promise.race([done, deadline(60000, 'fan-out')]);
  const seconds = (performance.now() - start) / 1000;

  // Latency without queueing: one message at a time, timed until the first
  // subscriber has it (and the next sent once all have it).
  const quiet = [];
  let waiting = null;
  for (const s of subs) s.onMessage((m) => { if (m.event === 'q' && waiting && m.data.q === waiting.q) waiting.got(); });
  for (let i = 0; i < 200; i += 1) {
    let got = 0;
    let first = 0;
    const all = new Promise((resolve) => {
      waiting = { q: i, got: () => { if (got === 0) first = performance.now(); if (++got === subs.length) resolve(); } };
    });
    const sentAt = performance.now();
    pub.publishUnacked('bench', 'q', { q: i });
    await Promise.race([all, deadline(5000, 'quiet message')]);
    quiet.push(first - sentAt);
  }
  for (const c of [...subs, pub]) c.close();
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

const describe = (f) => `fan-out ${f.rate.toFixed(0)} msg/s delivered, burst latency p50 ${f.p50.toFixed(2)} ms ` +
  `p99 ${f.p99.toFixed(2)} ms, single-message latency p50 ${f.quietP50.toFixed(2)} ms p99 ${f.quietP99.toFixed(2)} ms`;
const summary = (rounds) => ({
  rate: median(rounds.map((f) => f.rate)), p50: median(rounds.map((f) => f.p50)), p99: median(rounds.map((f) => f.p99)),
  quietP50: median(rounds.map((f) => f.quietP50)), quietP99: median(rounds.map((f) => f.quietP99)),
});

const fanout = [];
const anchor = [];
const tasks = [];
try {
  for (let round = 1; round <= N.rounds; round += 1) {
    // Fresh servers per round: no state carried between rounds.
    const server = await startServer({ BROLOSTACK_ENV: 'test', MAX_CONNECTIONS: 10000, MAX_AGENTS_PER_SESSION: 10000, HISTORY_SIZE: 1000 });
    const f = await roomFanout(() => brolostackMember(server.wsUrl));
    const t = await argsTasks(server.wsUrl);
    await server.stop();
    const socketIoServer = await startSocketIoAnchor();
    const a = await roomFanout(() => socketIoMember(socketIoServer.url));
    await socketIoServer.stop();
    fanout.push(f);
    anchor.push(a);
    tasks.push(t);
    console.log(`round ${round}: brolostack ${describe(f)}; ARGS ${t.rate.toFixed(0)} tasks/s`);
    console.log(`round ${round}: socket.io  ${describe(a)}`);
  }
} finally {
  await stopAllServers();
}
const ours = summary(fanout);
const theirs = summary(anchor);
const line = (name, f) => `${name}: median ${f.rate.toFixed(0)} msg/s delivered, burst latency p50 ${f.p50.toFixed(2)} ms, ` +
  `p99 ${f.p99.toFixed(2)} ms; single-message latency p50 ${f.quietP50.toFixed(2)} ms, p99 ${f.quietP99.toFixed(2)} ms`;
console.log(`room fan-out (${N.subscribers} subscribers x ${N.messages} messages, ${N.rounds} rounds)`);
console.log(`  ${line('brolostack', ours)}`);
console.log(`  ${line('socket.io ', theirs)}`);
console.log(`  ratios brolostack/socket.io: throughput x${(ours.rate / theirs.rate).toFixed(2)}, ` +
  `burst p50 latency x${(ours.p50 / theirs.p50).toFixed(2)}, single-message p50 latency x${(ours.quietP50 / theirs.quietP50).toFixed(2)} (lower is better for latency)`);
console.log(`ARGS over sockets (${N.agents} agents, ${N.tasks} tasks): median ${median(tasks.map((t) => t.rate)).toFixed(0)} tasks/s`);
