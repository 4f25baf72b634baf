// What durability costs a publisher: acknowledged publishes (with mids)
// against build/bin/brolostack-server with STORE=memory and STORE=sqlite,
// side by side in the same rounds. A publish reply from the sqlite store
// goes out only once the message is fsynced (group commit), so this is the
// price of "acknowledged means durable".
//
// P publisher connections, each on its own room, keep W publishes in flight
// for D seconds. Per configuration: acknowledged publishes/s, latency from
// send to reply (p50, p99), and the CPU of the server and of this loader in
// % of one core (a saturated loader would show near 100%). Each round starts
// fresh servers and alternates which store goes first; medians over rounds.
//
//   node bench/store_publish.mjs [--publishers 4] [--windows 1,32,256] [--seconds 2] [--rounds 3] [--bytes 100]
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startServer, stopAllServers } from '../tests/integration/support/server.mjs';
import { cpuSeconds } from '../tests/integration/support/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    publishers: { type: 'string', default: '4' },
    windows: { type: 'string', default: '1,32,256' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    bytes: { type: 'string', default: '100' },
  },
});
const publishers = Number(opts.publishers);
const windows = opts.windows.split(',').map(Number);
const seconds = Number(opts.seconds);
const rounds = Number(opts.rounds);
const payload = 'x'.repeat(Number(opts.bytes));
const STORES = ['memory', 'sqlite'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

function loaderCpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** One publisher: hello and join, then publish with a window of W in flight. */
async function openPublisher(url, room) {
  const ws = new WebSocket(url, 'brolostack.v1', { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const waiting = new Map();
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw);
    if (frame.op !== 'reply') return;
    const settle = waiting.get(frame.ref);
    waiting.delete(frame.ref);
    settle?.(frame);
  });
  const request = (ref, text) => new Promise((resolve) => { waiting.set(ref, resolve); ws.send(text); });
  const hello = await request(1, '{"op":"hello","v":1,"ref":1}');
  const joined = await request(2, `{"op":"join","ref":2,"room":"${room}"}`);
  if (!hello.ok || !joined.ok) throw new Error(`publisher could not join ${room}: ${JSON.stringify(joined)}`);

  /** Keeps `window` publishes in flight until `until`; resolves with latencies (ms). */
  function run(window, until) {
    const latencies = [];
    let ref = 2;
    let inFlight = 0;
    return new Promise((resolve, reject) => {
      const sendOne = () => {
        ref += 1;
        const sentAt = performance.now();
        inFlight += 1;
        request(ref, `{"op":"publish","ref":${ref},"room":"${room}","event":"m","mid":"${room}-${ref}","data":"${payload}"}`)
          .then((reply) => {
            inFlight -= 1;
            if (!reply.ok) { reject(new Error(`publish refused: ${JSON.stringify(reply)}`)); return; }
            latencies.push(performance.now() - sentAt);
            if (performance.now() < until) sendOne();
            else if (inFlight === 0) resolve(latencies);
          });
      };
      for (let i = 0; i < window; i += 1) sendOne();
    });
  }
  return { run, close: () => ws.close() };
}

/** One configuration on one server: throughput, latency, CPU. */
async function measure(server, window, roundNo) {
  const conns = await Promise.all(Array.from({ length: publishers },
    (_, i) => openPublisher(server.wsUrl, `bench-${roundNo}-${window}-${i}`)));
  const serverCpu0 = cpuSeconds(server.proc.pid);
  const loaderCpu0 = loaderCpuSeconds();
  const start = performance.now();
  const perConn = await Promise.all(conns.map((c) => c.run(window, start + seconds * 1000)));
  const elapsed = (performance.now() - start) / 1000;
  const serverCpu = cpuSeconds(server.proc.pid) - serverCpu0;
  const loaderCpu = loaderCpuSeconds() - loaderCpu0;
  for (const c of conns) c.close();
  const latencies = perConn.flat().sort((a, b) => a - b);
  return {
    rate: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    serverCpu: (100 * serverCpu) / elapsed,
    loaderCpu: (100 * loaderCpu) / elapsed,
  };
}

const results = new Map(); // `${store}/${window}` -> [result per round]
const record = (store, window, r) => {
  const key = `${store}/${window}`;
  results.set(key, [...(results.get(key) ?? []), r]);
};
const describe = (r) => `${r.rate.toFixed(0).padStart(7)} publishes/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  ` +
  `p99 ${r.p99.toFixed(2).padStart(6)} ms  server CPU ${r.serverCpu.toFixed(0).padStart(3)}%  loader CPU ${r.loaderCpu.toFixed(0).padStart(3)}%`;

try {
  for (let round = 1; round <= rounds; round += 1) {
    const servers = {};
    for (const store of STORES) {
      // The sqlite server gets a fresh DATA_DIR from startServer; memory names its store.
      servers[store] = await startServer(store === 'memory'
        ? { STORE: 'memory', MAX_CONNECTIONS: 10000 }
        : { MAX_CONNECTIONS: 10000 });
    }
    const order = round % 2 === 1 ? STORES : [...STORES].reverse();
    for (const window of windows) {
      for (const store of order) {
        const r = await measure(servers[store], window, round);
        record(store, window, r);
        console.log(`round ${round} window ${String(window).padStart(3)} ${store.padEnd(6)} ${describe(r)}`);
      }
    }
    for (const server of Object.values(servers)) await server.stop();
  }
} finally {
  await stopAllServers();
}

const summary = (rs) => Object.fromEntries(['rate', 'p50', 'p99', 'serverCpu', 'loaderCpu'].map((k) => [k, median(rs.map((r) => r[k]))]));
console.log(`\nmedians over ${rounds} rounds, ${publishers} publishers, ${payload.length}-byte payloads, ${seconds} s each:`);
for (const window of windows) {
  const memory = summary(results.get(`memory/${window}`));
  const sqlite = summary(results.get(`sqlite/${window}`));
  console.log(`window ${String(window).padStart(3)} memory ${describe(memory)}`);
  console.log(`window ${String(window).padStart(3)} sqlite ${describe(sqlite)}`);
  const costUs = sqlite.serverCpu / 100 / sqlite.rate * 1e6 - memory.serverCpu / 100 / memory.rate * 1e6;
  console.log(`window ${String(window).padStart(3)} sqlite/memory throughput ${(sqlite.rate / memory.rate).toFixed(2)}x, ` +
    `p99 ${(sqlite.p99 / memory.p99).toFixed(2)}x, server CPU per publish +${costUs.toFixed(1)} us`);
}
