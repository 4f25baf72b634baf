// The socket benchmark: our server against three anchors, measured by the
// same C++ load generator (bench/loadgen) over loopback.
//
//   servers   ours       build/bin/brolostack-server, our protocol (brolostack dialect)
//             socketio   bench/anchors/socketio-server.mjs (Socket.IO rooms, WebSocket transport)
//             ws         bench/anchors/ws-broadcast-server.mjs (the `ws` package, broadcast to the others)
//             c          bench/anchors/c-fanout-server.c (epoll + raw frames: the ceiling)
//   scenarios fan-out at 100, 1,000 and 10,000 subscribers, flat out (peak deliveries/s), then paced
//             at half of that server's own peak (p50/p99/p999; at 1,000 also at 5%, 1/4 and 3/4 for the
//             latency plot and the "across load" table); echo (ping-pong, one message in flight); idle
//             connections (server RSS per connection, connect rate); ours only, ARGS tasks through
//             1,000 agents in one session (argsShapes below).
//
// Each server runs pinned to core 0, the loader to core 1, a fresh server per
// fan-out size. Rounds interleave the servers (the order reverses every
// round); the report holds medians. Writes bench/results/latest.json,
// latest.md and, when gnuplot is installed, latency.png.
//
//   node bench/perf.mjs [--quick] [--rounds N] [--servers ours,socketio,ws,c] [--scenarios fanout,echo,args,idle]
//                       [--store memory|sqlite] [--shards N]
//
// --quick: one round, 100 and 1,000 subscribers, 2,000 idle connections (< 90 s).
// default: three rounds, everything above (fan-out to 10,000 in the first round only), 10,000 and
// 50,000 idle connections (< 10 min).
// --scenarios: only these (e.g. `--scenarios idle --servers ours` for memory alone).
// --shards N: our server with SHARDS=N, on cores 0..N-1, the loader on core N
//   (the anchors stay on core 0: one thread each). Needs N + 1 cores to mean
//   anything; with fewer the loader shares the last core, and the report says so.
//
// 50,000 connections need that many descriptors in the server and in the
// loader. Run as root with CAP_SYS_RESOURCE, this script raises its own hard
// RLIMIT_NOFILE (which both inherit, and both raise their soft limits to);
// otherwise idle counts above the hard limit are measured at what fits, and
// the report says so.
//
// Needs the loader and the C server built into build-bench/:
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROLOSTACK_BUILD_TESTS=ON
//   cmake --build build-bench --target bench-loadgen bench-c-fanout-server
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer, stopAllServers, repoRoot } from '../tests/integration/support/server.mjs';
import { cpuSeconds } from '../tests/integration/support/proc.mjs';
import { runLoader } from './loader.mjs';
import { fmtMs, fmtNum, fmtPct, fmtRate, machine } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenarios: { type: 'string', default: 'fanout,echo,args,idle' },
    rounds: { type: 'string' },
    servers: { type: 'string', default: 'ours,socketio,ws,c' },
    store: { type: 'string', default: 'memory' },
    shards: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(here, 'results') },
    'build-dir': { type: 'string', default: process.env.BENCH_BUILD_DIR || path.join(repoRoot, 'build') },
  },
});

const SHARDS = Number(opts.shards);
if (!Number.isInteger(SHARDS) || SHARDS < 1 || SHARDS > 256) {
  console.error(`--shards must be an integer from 1 to 256 (got ${opts.shards})`);
  process.exit(2);
}
const CORES = os.cpus().length;
const SERVER_CORE = '0';
// Our server's cores: one per shard.
const OUR_CORES = SHARDS === 1 ? SERVER_CORE : `0-${Math.min(SHARDS, CORES) - 1}`;
const LOADER_CORE = String(Math.min(SHARDS, CORES - 1));
const loaderShares = SHARDS >= CORES;
const loaderBin = path.join(opts['build-dir'], 'bin', 'bench-loadgen');
const cServerBin = path.join(opts['build-dir'], 'bin', 'bench-c-fanout-server');
for (const bin of [loaderBin, cServerBin]) {
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: build it with\n  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROLOSTACK_BUILD_TESTS=ON\n` +
      '  cmake --build build-bench --target bench-loadgen bench-c-fanout-server');
    process.exit(2);
  }
}

// The ARGS scenario's shapes: one connection per agent, watching the
// session (every announcement reaches it) or not (it left the session's
// room once registered, and gets only its own assignments); and worker
// processes hosting `hosted` agents each (a backend's usual shape).
function argsShapes(hosted) {
  return [{ perConnection: 1, watching: true }, { perConnection: 1, watching: false }, { perConnection: hosted, watching: true }];
}

// What one run measures. Durations in seconds.
const plan = opts.quick
  ? { mode: 'quick', rounds: 1, sizes: [100, 1000], duration: 1, warmup: 0.5, settle: 0.3, curveAt: 1000,
    curve: [0.5], echo: 1, idle: [2000], hold: 0.5, agents: 20, argsShapes: argsShapes(10) }
  : { mode: 'standard', rounds: 3, sizes: [100, 1000, 10000], duration: 1.5, warmup: 0.5, settle: 0.3,
    curveAt: 1000, curve: [0.05, 0.25, 0.5, 0.75], echo: 1.5, idle: [10000, 50000], hold: 1, agents: 1000,
    argsShapes: argsShapes(50) };
if (opts.rounds) plan.rounds = Number(opts.rounds);
// Rooms this big are measured in the first round only: filling one takes
// 25-45 s on our server alone (N²/2 presence frames, PROTOCOL.md section 5),
// which three rounds of every server would spend out of make bench's 10 minutes.
const BIG_ROOM = 10000;
// Publishes in flight while flat out: about 64k deliveries queued, enough to
// keep every server measured busy without unbounded queues.
const windowFor = (subscribers) => Math.min(1024, Math.max(4, Math.ceil(65536 / subscribers)));
// A fan-out's setup (connect, join, presence announcements) is given this
// long. Filling a room of 10,000 on our protocol is about 50 million
// presence frames (every join is announced to every member already there):
// 25-35 s on one core of a 2-core machine.
const setupTimeout = (subscribers) => (subscribers >= 10000 ? (opts.quick ? 20 : 45) : 60);

const scenarios = new Set(opts.scenarios.split(',').map((s) => s.trim()).filter(Boolean));
for (const s of scenarios) if (!['fanout', 'echo', 'args', 'idle'].includes(s)) throw new Error(`unknown scenario ${s}`);

// Every connection is a descriptor: the server and the loader each need one
// per connection, and neither can go past the hard RLIMIT_NOFILE it inherits
// from here. Raising our own hard limit (prlimit on this process) needs
// CAP_SYS_RESOURCE; without it the idle counts are capped to fit.
const FILES_SPARE = 200;
const hardLimitOf = () =>
  Number(/Max open files\s+\d+\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'))[1]) || Infinity;
const notes = [];
if (plan.rounds > 1 && plan.sizes.some((size) => size >= BIG_ROOM)) {
  notes.push(`Fan-out to ${BIG_ROOM.toLocaleString('en-US')} or more subscribers: one round (filling such a room takes most of a minute); the other sizes: medians of ${plan.rounds}.`);
}
const filesNeeded = Math.max(...plan.idle) + FILES_SPARE;
let raiseRefused = '';
if (scenarios.has('idle') && hardLimitOf() < filesNeeded) {
  const r = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${filesNeeded}:${filesNeeded}`], { encoding: 'utf8' });
  if (r.status !== 0) raiseRefused = (r.stderr || r.error?.message || `prlimit exited ${r.status}`).trim();
}
const hardFileLimit = hardLimitOf();
const idleCounts = [];
for (const asked of plan.idle) {
  if (asked + FILES_SPARE <= hardFileLimit) { idleCounts.push(asked); continue; }
  const fits = Math.floor((hardFileLimit - FILES_SPARE) / 1000) * 1000;
  if (!idleCounts.includes(fits)) idleCounts.push(fits);
  notes.push(`Idle connections: ${asked.toLocaleString('en-US')} asked, ${fits.toLocaleString('en-US')} measured: ` +
    `RLIMIT_NOFILE's hard limit is ${hardFileLimit} for the server and the loader alike, and raising it failed ` +
    `(${raiseRefused || 'no reason given'}; it needs root with CAP_SYS_RESOURCE).`);
}

const SERVERS = {
  ours: { label: 'brolostack', dialect: 'brolostack', start: startOurs },
  socketio: { label: 'Socket.IO', dialect: 'socketio', start: () => startAnchor('socketio', [process.execPath, path.join(here, 'anchors', 'socketio-server.mjs')]) },
  ws: { label: 'ws', dialect: 'ws', start: () => startAnchor('ws', [process.execPath, path.join(here, 'anchors', 'ws-broadcast-server.mjs')]) },
  c: { label: 'C ceiling', dialect: 'ws', start: () => startAnchor('c', [cServerBin, '0']) },
};
const serverNames = opts.servers.split(',').map((s) => s.trim()).filter(Boolean);
for (const s of serverNames) if (!SERVERS[s]) throw new Error(`unknown server ${s} (ours, socketio, ws, c)`);

// ---------------------------------------------------------------- servers

// Our server, with limits that let 10,000+ connections in from one address
// (docs/operations.md): the test profile (no auth, no TLS, no rate limits)
// with room for every connection, per-IP connection rate off, reads never
// paused, and a hello timeout longer than a big batch of connects.
async function startOurs() {
  const server = await startServer({
    BROLOSTACK_ENV: 'test',
    STORE: opts.store,
    MAX_CONNECTIONS: 200000,
    CONNECTION_RATE_PER_IP: 0,
    RATE_LIMIT_RPM: 0,
    INBOUND_BYTES_PER_SECOND: 0,
    HELLO_TIMEOUT_MS: 120000,
    HEARTBEAT_MS: 60000,
    MAX_AGENTS_PER_SESSION: 100000,
    MAX_ROOMS_PER_CONNECTION: 1000,
    LOG_LEVEL: 'error',
    DRAIN_TIMEOUT_MS: 1000,
    SHARDS,
  }, { timeoutMs: 15000 });
  // Every thread of it onto its cores (threads started later inherit).
  spawnSync('taskset', ['-a', '-p', '-c', OUR_CORES, String(server.proc.pid)], { stdio: 'ignore' });
  return { pid: server.proc.pid, port: server.port, stop: () => server.stop({ timeoutMs: 3000 }), stderr: () => server.stderr };
}

const anchors = new Set();
async function startAnchor(name, argv) {
  const proc = spawn('taskset', ['-c', SERVER_CORE, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  anchors.add(proc);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}: ${stderr}`)); });
  });
  const stop = async () => {
    anchors.delete(proc);
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  return { pid: proc.pid, port, stop, stderr: () => stderr };
}

async function stopEverything() {
  for (const proc of anchors) { try { proc.kill('SIGKILL'); } catch { /* gone */ } }
  anchors.clear();
  await stopAllServers();
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { stopEverything().finally(() => process.exit(130)); });
}

// ---------------------------------------------------------------- the loader

// Busy CPU seconds of the whole machine (/proc/stat), to see what else ran.
function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / 100;
}

async function load(server, dialect, args, timeoutS) {
  const argv = ['-c', LOADER_CORE, loaderBin, '--dialect', dialect, '--port', String(server.port),
    '--server-pid', String(server.pid), ...args.map(String)];
  const busy0 = machineBusySeconds();
  const cpu0 = safe(() => cpuSeconds(server.pid), 0);
  const result = await runLoader('taskset', argv, timeoutS);
  if (result.failure) return result;
  const serverCpu = safe(() => cpuSeconds(server.pid), cpu0) - cpu0;
  result.server_cpu_total_s = serverCpu;
  result.foreign_cpu_s = Math.max(0, machineBusySeconds() - busy0 - serverCpu - result.loader_cpu_s);
  return result;
}

function safe(f, fallback) {
  try { return f(); } catch { return fallback; }
}

// ---------------------------------------------------------------- scenarios

const runs = [];
const setupFailed = new Set(); // server:size pairs that could not set up: not retried

async function fanout(name, subscribers, round) {
  const key = `${name}:${subscribers}`;
  const srv = SERVERS[name];
  if (setupFailed.has(key)) {
    runs.push({ round, server: name, scenario: 'fanout', subscribers, skipped: 'setup did not finish in an earlier round' });
    return;
  }
  const server = await srv.start();
  try {
    const paced = subscribers === plan.curveAt ? plan.curve : [0.5];
    const args = ['--scenario', 'fanout', '--subscribers', subscribers, '--window', windowFor(subscribers),
      '--duration', plan.duration, '--warmup', plan.warmup, '--settle', plan.settle, '--paced', paced.join(','),
      '--setup-timeout', setupTimeout(subscribers), '--source-addresses', subscribers >= 5000 ? 4 : 1];
    const budget = setupTimeout(subscribers) * 2 + 60 + (plan.duration + 1) * (paced.length + 1) * 2;
    const r = await load(server, srv.dialect, args, budget);
    if (!r.failure && r.subscribers_joined < subscribers) setupFailed.add(key);
    runs.push({ round, server: name, ...r });
    report(name, `fan-out ${subscribers}`, r.failure ? r.failure
      : `${fmtRate(r.deliveries_per_s)} deliveries/s flat out; paced ½ p99 ${fmtMs(pacedAt(r, 0.5)?.latency_ms?.p99)} ms` +
        `${r.subscribers_joined < subscribers ? `; only ${r.subscribers_joined} of ${subscribers} joined in ${fmtNum(r.setup_s)} s` : ''}` +
        `${r.errors?.total ? `; ${r.errors.total} errors` : ''}`);
  } finally {
    await server.stop();
  }
}

async function echoAndIdle(name, round) {
  const srv = SERVERS[name];
  if (scenarios.has('echo')) {
    const server = await srv.start();
    try {
      const e = await load(server, srv.dialect, ['--scenario', 'echo', '--duration', plan.echo, '--warmup', 0.5], 60);
      runs.push({ round, server: name, ...e });
      report(name, 'echo', e.failure ?? `p50 ${fmtMs(e.latency_ms?.p50)} ms, p99 ${fmtMs(e.latency_ms?.p99)} ms`);
    } finally {
      await server.stop();
    }
  }
  if (name === 'ours' && scenarios.has('args')) await argsTasks(round);
  if (scenarios.has('idle')) for (const count of idleCounts) await idleRun(name, count, round);
}

async function idleRun(name, count, round) {
  const srv = SERVERS[name];
  // A fresh server: its RSS before the first connection is its baseline.
  const idleServer = await srv.start();
  try {
    // Four source addresses: one has about 28,000 ephemeral ports.
    const i = await load(idleServer, srv.dialect, ['--scenario', 'idle', '--connections', count, '--hold', plan.hold,
      '--source-addresses', count >= 5000 ? Math.max(4, Math.ceil(count / 14000)) : 1, '--setup-timeout', 120], 200);
    runs.push({ round, server: name, ...i });
    report(name, `idle ${count}`, i.failure ?? `${fmtRate(i.connects_per_s)} connects/s, ` +
      `${fmtBytes(i.rss_per_connection)} per connection${i.errors?.total ? `, ${i.errors.total} errors` : ''}`);
  } finally {
    await idleServer.stop();
  }
}

// ARGS (our protocol only): plan.agents agents in one session (1,000, or 20
// quick) with 4 task slots each, one submitter keeping ARGS_WINDOW tasks in
// flight (more would only queue: every announcement reaches every member
// connection), in each of plan.argsShapes.
const ARGS_WINDOW = 80;
const shapeName = (shape) => `${shape.perConnection}/conn${shape.watching ? '' : ', not watching'}`;
async function argsTasks(round) {
  for (const shape of plan.argsShapes) {
    const server = await SERVERS.ours.start();
    try {
      const a = await load(server, 'brolostack', ['--scenario', 'args', '--agents', plan.agents,
        '--agents-per-connection', shape.perConnection, ...(shape.watching ? [] : ['--agents-leave-session']),
        '--agent-capacity', 4, '--window', ARGS_WINDOW, '--source-addresses', 2,
        '--duration', plan.duration, '--warmup', plan.warmup], 60);
      runs.push({ round, server: 'ours', args_shape: shapeName(shape), ...a });
      report('ours', `ARGS ${shapeName(shape)}`, a.failure ?? `${fmtRate(a.tasks_per_s)} tasks/s, assignment p50 ${fmtMs(a.assign_latency_ms?.p50)} ms ` +
        `p99 ${fmtMs(a.assign_latency_ms?.p99)} ms${a.errors?.total ? `, ${a.errors.total} errors` : ''}`);
    } finally {
      await server.stop();
    }
  }
}

function report(server, what, text) {
  console.log(`  ${SERVERS[server].label.padEnd(11)} ${what.padEnd(15)} ${text}`);
}

// ---------------------------------------------------------------- summary

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const pacedAt = (r, fraction) => r.phases?.find((p) => p.mode === 'paced' && Math.abs(p.fraction - fraction) < 1e-9);

// What fan-out phases (one per round) cost the loader and the server, as
// medians. The server's CPU time per delivery is its cost whatever the
// loader's share: a saturated loader caps deliveries/s, not this.
function cpuOf(phases) {
  return {
    loader_cpu_share: median(phases.map((p) => p.loader_cpu_s / p.seconds)),
    server_cpu_share: median(phases.map((p) => p.server_cpu_s / p.seconds)),
    server_us_per_delivery: median(phases.map((p) => 1e6 * p.server_cpu_s / (p.deliveries_per_s * p.seconds))),
  };
}

function summarize() {
  const of = (server, scenario, pred = () => true) =>
    runs.filter((r) => r.server === server && r.scenario === scenario && !r.failure && !r.skipped && pred(r));
  const fan = {};
  for (const size of plan.sizes) {
    fan[size] = {};
    for (const s of serverNames) {
      const rs = of(s, 'fanout', (r) => r.subscribers === size && r.subscribers_joined === size);
      const all = runs.filter((r) => r.server === s && r.scenario === 'fanout' && r.subscribers === size);
      const fractions = size === plan.curveAt ? plan.curve : [0.5];
      fan[size][s] = {
        rounds: rs.length,
        incomplete: all.filter((r) => r.failure || r.skipped || r.subscribers_joined !== size).map((r) => r.failure ?? r.skipped ??
          `${r.subscribers_joined}/${size} joined in ${fmtNum(r.setup_s)} s`),
        setup_s: median(rs.map((r) => r.setup_s + r.quiesce_s)),
        deliveries_per_s: median(rs.map((r) => r.deliveries_per_s)),
        flat_latency_ms: { p50: median(rs.map((r) => r.latency_ms?.p50)), p99: median(rs.map((r) => r.latency_ms?.p99)) },
        ...cpuOf(rs.map((r) => r.phases?.[0]).filter(Boolean)),
        errors: rs.reduce((n, r) => n + (r.errors?.total ?? 0), 0),
        close_codes: mergeCounts(rs.map((r) => r.errors?.close_codes)),
        paced: Object.fromEntries(fractions.map((f) => {
          const ps = rs.map((r) => pacedAt(r, f)).filter(Boolean);
          return [f, {
            deliveries_per_s: median(ps.map((p) => p.deliveries_per_s)),
            p50: median(ps.map((p) => p.latency_ms.p50)), p99: median(ps.map((p) => p.latency_ms.p99)),
            p999: median(ps.map((p) => p.latency_ms.p999)),
            ...cpuOf(ps),
          }];
        })),
      };
    }
  }
  const echo = {};
  const idle = {};
  for (const s of serverNames) {
    const es = of(s, 'echo');
    echo[s] = { rounds: es.length, p50: median(es.map((r) => r.latency_ms?.p50)), p99: median(es.map((r) => r.latency_ms?.p99)),
      p999: median(es.map((r) => r.latency_ms?.p999)), round_trips_per_s: median(es.map((r) => r.deliveries_per_s / 2)),
      errors: es.reduce((n, r) => n + (r.errors?.total ?? 0), 0) };
    idle[s] = {};
    for (const count of idleCounts) {
      const is = of(s, 'idle', (r) => r.connections === count);
      idle[s][count] = { rounds: is.length, connections: count, ready: median(is.map((r) => r.ready)),
        rss_per_connection: median(is.map((r) => r.rss_per_connection)), connects_per_s: median(is.map((r) => r.connects_per_s)),
        errors: is.reduce((n, r) => n + (r.errors?.total ?? 0), 0) };
    }
  }
  const args = plan.argsShapes.map((shape) => {
    const as = of('ours', 'args', (r) => r.args_shape === shapeName(shape));
    return { agents: plan.agents, agents_per_connection: shape.perConnection, watching: shape.watching,
      connections: Math.ceil(plan.agents / shape.perConnection),
      rounds: as.length, tasks_per_s: median(as.map((r) => r.tasks_per_s)),
      assign_p50: median(as.map((r) => r.assign_latency_ms?.p50)), assign_p99: median(as.map((r) => r.assign_latency_ms?.p99)),
      task_p50: median(as.map((r) => r.latency_ms?.p50)), task_p99: median(as.map((r) => r.latency_ms?.p99)),
      server_us_per_task: median(as.map((r) => r.server_cpu_s / (r.tasks_per_s * r.seconds) * 1e6)),
      loader_share: median(as.map((r) => r.phase_loader_cpu_s / r.seconds)),
      errors: as.reduce((n, r) => n + (r.errors?.total ?? 0), 0) };
  });
  return { fanout: fan, echo, idle, args };
}

function mergeCounts(list) {
  const out = {};
  for (const m of list) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

// ---------------------------------------------------------------- formatting

function fmtBytes(v) { return v == null ? 'n/a' : v >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${v.toFixed(0)} B`; }
function ratio(a, b) { return a == null || b == null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`; }


function markdown(result) {
  const { summary: sum } = result;
  const anchors = serverNames.filter((s) => s !== 'ours');
  const label = (s) => SERVERS[s].label;
  const ours = serverNames.includes('ours');
  const lines = [];
  const m = result.machine;
  lines.push('# Socket benchmark: brolostack against its anchors', '');
  lines.push(`${result.date}, \`node bench/perf.mjs${result.argv.length ? ` ${result.argv.join(' ')}` : ''}\` (${result.plan.mode}: ` +
    `${result.plan.rounds} round${result.plan.rounds > 1 ? 's, medians' : ''}), ${fmtNum(result.duration_s, 0)} s.`, '');
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, ${m.memory_gib} GiB, Node ${m.node}. ` +
    `Each server pinned to core ${SERVER_CORE}${SHARDS > 1 ? ` (ours: SHARDS=${SHARDS} on cores ${OUR_CORES})` : ''}, ` +
    `the loader (bench-loadgen, C++/epoll) to core ${LOADER_CORE}${loaderShares ? ', which it shares with our server: too few cores for the shards and the loader' : ''}; loopback TCP; ` +
    `our server with STORE=${opts.store}, one 256-byte payload per message.`, '');
  lines.push('Ratios are ours/anchor: above 1 is better for throughput, below 1 is better for latency. ' +
    '"loader" is the loader\'s CPU share during the phase: near 100% the loader, not the server, set the figure. ' +
    '"µs CPU/delivery" is the server\'s CPU time per delivery flat out, which a saturated loader does not cap: ' +
    '1 / that is what one core of the server would deliver.', '');

  const head = (cols) => [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`];
  lines.push('## Fan-out: peak deliveries/s (flat out)', '');
  lines.push(...head(['subscribers', ...serverNames.map(label), ...(ours ? anchors.map((a) => `ours/${label(a)}`) : [])]));
  for (const size of plan.sizes) {
    const row = sum.fanout[size];
    const cell = (s) => row[s].deliveries_per_s == null ? `n/a${row[s].incomplete.length ? ` (${row[s].incomplete[0]})` : ''}`
      : `${fmtRate(row[s].deliveries_per_s)} (loader ${fmtPct(row[s].loader_cpu_share)}, ` +
        `server ${fmtNum(row[s].server_us_per_delivery, 2)} µs CPU/delivery)`;
    lines.push(`| ${size.toLocaleString('en-US')} | ${serverNames.map(cell).join(' | ')}` +
      `${ours ? ` | ${anchors.map((a) => ratio(row.ours.deliveries_per_s, row[a].deliveries_per_s)).join(' | ')}` : ''} |`);
  }
  lines.push('');
  lines.push('## Fan-out paced at half of each server\'s own peak: latency ms p50 / p99 / p999', '');
  lines.push(...head(['subscribers', ...serverNames.map(label), ...(ours ? anchors.map((a) => `p99 ours/${label(a)}`) : [])]));
  for (const size of plan.sizes) {
    const row = sum.fanout[size];
    const cell = (s) => {
      const p = row[s].paced[0.5];
      return p?.p99 == null ? 'n/a' : `${fmtMs(p.p50)} / ${fmtMs(p.p99)} / ${fmtMs(p.p999)} @ ${fmtRate(p.deliveries_per_s)}/s ` +
        `(loader ${fmtPct(p.loader_cpu_share)})`;
    };
    lines.push(`| ${size.toLocaleString('en-US')} | ${serverNames.map(cell).join(' | ')}` +
      `${ours ? ` | ${anchors.map((a) => ratio(row.ours.paced[0.5]?.p99, row[a].paced[0.5]?.p99)).join(' | ')}` : ''} |`);
  }
  if (plan.curve.length > 1) {
    lines.push('');
    lines.push(`## Fan-out to ${plan.curveAt.toLocaleString('en-US')} subscribers across load: p99 ms, server CPU`, '');
    lines.push('Paced at shares of each server\'s own peak. "server" is its CPU share during the phase and its CPU time per delivery: ' +
      'a delivery costs more at light load (fewer frames per write), so a server can be busy at a small share of its peak.', '');
    lines.push(...head(['share of peak', ...serverNames.map(label)]));
    const row = sum.fanout[plan.curveAt];
    for (const f of plan.curve) {
      const cell = (s) => {
        const p = row[s].paced[f];
        return p?.p99 == null ? 'n/a' : `${fmtMs(p.p99)} @ ${fmtRate(p.deliveries_per_s)}/s ` +
          `(server ${fmtPct(p.server_cpu_share)}, ${fmtNum(p.server_us_per_delivery, 2)} µs/delivery)`;
      };
      lines.push(`| ${fmtPct(f)} | ${serverNames.map(cell).join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('## Echo: one message in flight between two members (latency ms per hop)', '');
  lines.push(...head(['', ...serverNames.map(label)]));
  lines.push(`| p50 / p99 / p999 | ${serverNames.map((s) => `${fmtMs(sum.echo[s].p50)} / ${fmtMs(sum.echo[s].p99)} / ${fmtMs(sum.echo[s].p999)}`).join(' | ')} |`);
  if (ours) lines.push(`| p50 ours/anchor | ${serverNames.map((s) => s === 'ours' ? '' : ratio(sum.echo.ours.p50, sum.echo[s].p50)).join(' | ')} |`);
  lines.push('');
  lines.push('## Idle connections: server RSS per connection after hello, connect rate', '');
  lines.push(...head(['connections', '', ...serverNames.map(label)]));
  for (const count of idleCounts) {
    const at = (s) => sum.idle[s][count];
    const n = count.toLocaleString('en-US');
    lines.push(`| ${n} | RSS per connection | ${serverNames.map((s) => fmtBytes(at(s).rss_per_connection)).join(' | ')} |`);
    lines.push(`| ${n} | connects/s | ${serverNames.map((s) => fmtRate(at(s).connects_per_s)).join(' | ')} |`);
    lines.push(`| ${n} | held (ready, of ${n}) | ${serverNames.map((s) => at(s).ready == null ? 'n/a' : fmtNum(at(s).ready, 0)).join(' | ')} |`);
    if (ours) {
      lines.push(`| ${n} | RSS ours/anchor | ${serverNames.map((s) => s === 'ours' ? '' : ratio(at('ours').rss_per_connection, at(s).rss_per_connection)).join(' | ')} |`);
    }
  }
  lines.push('');
  if (ours && sum.args.some((a) => a.rounds)) {
    lines.push(`## ARGS tasks (ours only: ${plan.agents.toLocaleString('en-US')} agents in one session x 4 slots, ${ARGS_WINDOW} tasks in flight)`, '');
    lines.push('Every task is announced to every member connection of the session (start, assignment, stage completion, completion: PROTOCOL.md section 7), ' +
      'so the connections that watch the session set the cost. An agent\'s connection that left the session\'s room after registering ' +
      '("watching: no") gets only its own assignments and cancels, sent to it directly.', '');
    lines.push('| agents per connection | connections | watching | tasks/s | assignment p50 / p99 ms | start to completion p50 / p99 ms | server µs CPU/task | loader | errors |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    for (const a of sum.args) {
      if (!a.rounds) continue;
      lines.push(`| ${a.agents_per_connection} | ${a.connections.toLocaleString('en-US')} | ${a.watching ? 'yes' : 'no'} | ${fmtRate(a.tasks_per_s)} | ` +
        `${fmtMs(a.assign_p50)} / ${fmtMs(a.assign_p99)} | ${fmtMs(a.task_p50)} / ${fmtMs(a.task_p99)} | ` +
        `${fmtNum(a.server_us_per_task, 0)} | ${fmtPct(a.loader_share)} | ${a.errors} |`);
    }
    lines.push('');
  }
  lines.push('## Setup, errors and noise', '');
  lines.push(...head(['', ...serverNames.map(label)]));
  for (const size of plan.sizes) {
    lines.push(`| fan-out ${size.toLocaleString('en-US')}: setup s | ${serverNames.map((s) => {
      const f = sum.fanout[size][s];
      return f.setup_s == null ? (f.incomplete[0] ?? 'n/a') : fmtNum(f.setup_s);
    }).join(' | ')} |`);
  }
  const errs = (s) => {
    const rs = runs.filter((r) => r.server === s && !r.skipped);
    const n = rs.reduce((k, r) => k + (r.errors?.total ?? 0) + (r.failure ? 1 : 0), 0);
    const codes = mergeCounts(rs.map((r) => r.errors?.close_codes));
    const http = mergeCounts(rs.map((r) => r.errors?.http_status));
    const extra = [...Object.entries(codes).map(([k, v]) => `close ${k}: ${v}`), ...Object.entries(http).map(([k, v]) => `HTTP ${k}: ${v}`)];
    return `${n}${extra.length ? ` (${extra.join(', ')})` : ''}`;
  };
  lines.push(`| errors (all runs) | ${serverNames.map(errs).join(' | ')} |`);
  const foreign = median(runs.filter((r) => r.foreign_cpu_s != null && r.wall_s).map((r) => r.foreign_cpu_s / r.wall_s));
  lines.push('');
  lines.push(`Other CPU use during the runs: a median ${fmtPct(foreign ?? 0)} of one core (machine-wide busy time ` +
    'from /proc/stat minus the server\'s and the loader\'s: other processes, and kernel work charged to neither; near 0 on an ' +
    'idle machine). Much more than that means the figures were taken on a busy machine.');
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `- ${n}`));
  if (result.plot) lines.push('', `Latency against load at ${plan.curveAt.toLocaleString('en-US')} subscribers: \`latency.png\`.`);
  return `${lines.join('\n')}\n`;
}

// Latency (p99) against delivered load at plan.curveAt subscribers: the
// paced points, then the flat-out one.
function plot(result, dir) {
  if (spawnSync('gnuplot', ['--version']).status !== 0) return false;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-plot-'));
  try {
    const series = [];
    for (const s of serverNames) {
      const row = result.summary.fanout[plan.curveAt]?.[s];
      if (!row?.deliveries_per_s) continue;
      const points = plan.curve.map((f) => row.paced[f]).filter((p) => p?.p99 != null).map((p) => [p.deliveries_per_s, p.p99]);
      if (row.flat_latency_ms.p99 != null) points.push([row.deliveries_per_s, row.flat_latency_ms.p99]);
      points.sort((a, b) => a[0] - b[0]);
      const file = path.join(tmp, `${s}.dat`);
      writeFileSync(file, points.map((p) => p.join(' ')).join('\n') + '\n');
      series.push(`'${file}' using 1:2 with linespoints lw 2 title '${SERVERS[s].label}'`);
    }
    if (!series.length) return false;
    const script = [
      `set terminal pngcairo size 900,560 noenhanced`,
      `set output '${path.join(dir, 'latency.png')}'`,
      `set title 'Fan-out to ${plan.curveAt} subscribers: p99 latency against load (paced, then flat out)'`,
      `set xlabel 'deliveries per second'`,
      `set ylabel 'p99 latency (ms)'`,
      `set logscale xy`,
      `set grid`,
      `set key top left`,
      `plot ${series.join(', ')}`,
    ].join('\n');
    writeFileSync(path.join(tmp, 'plot.gp'), script);
    let r = spawnSync('gnuplot', [path.join(tmp, 'plot.gp')], { encoding: 'utf8' });
    if (r.status !== 0 && /pngcairo/.test(r.stderr)) {
      writeFileSync(path.join(tmp, 'plot.gp'), script.replace('pngcairo', 'png'));
      r = spawnSync('gnuplot', [path.join(tmp, 'plot.gp')], { encoding: 'utf8' });
    }
    if (r.status !== 0) { console.error(`gnuplot failed: ${r.stderr}`); return false; }
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

const started = Date.now();
console.log(`bench/perf.mjs (${plan.mode}): ${serverNames.join(', ')}; ${plan.rounds} round(s); fan-out ${plan.sizes.join(', ')}; ` +
  `idle ${idleCounts.join(', ')}; scenarios ${[...scenarios].join(', ')}; servers on core ${SERVER_CORE}` +
  `${SHARDS > 1 ? ` (ours: ${SHARDS} shards on ${OUR_CORES})` : ''}, loader on core ${LOADER_CORE}` +
  `${loaderShares ? ' (shared with our server: too few cores)' : ''}`);
try {
  for (let round = 1; round <= plan.rounds; round += 1) {
    const order = round % 2 ? serverNames : [...serverNames].reverse();
    console.log(`round ${round}: ${order.join(', ')}`);
    for (const name of order) {
      if (scenarios.has('fanout')) {
        for (const size of plan.sizes) if (round === 1 || size < BIG_ROOM) await fanout(name, size, round);
      }
      await echoAndIdle(name, round);
    }
  }
} finally {
  await stopEverything();
}

const result = {
  date: new Date().toISOString(),
  argv: process.argv.slice(2),
  duration_s: (Date.now() - started) / 1000,
  machine: machine({ fd_hard_limit: hardFileLimit }),
  plan: { ...plan, idle: idleCounts, idle_asked: plan.idle, scenarios: [...scenarios], servers: serverNames, store: opts.store, windows: Object.fromEntries(plan.sizes.map((s) => [s, windowFor(s)])) },
  notes,
  runs,
};
result.summary = summarize();
for (const size of plan.sizes) {
  if (serverNames.includes('ours') && result.summary.fanout[size].ours.incomplete.length) {
    notes.push(`Fan-out ${size.toLocaleString('en-US')} on our server did not finish setting up within ${setupTimeout(size)} s ` +
      `(${result.summary.fanout[size].ours.incomplete[0]}): every join is announced to every member already in the room, ` +
      `so filling a room of N members sends about N²/2 presence frames.`);
  }
}
mkdirSync(opts.out, { recursive: true });
result.plot = plot(result, opts.out);
writeFileSync(path.join(opts.out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
const md = markdown(result);
writeFileSync(path.join(opts.out, 'latest.md'), md);
console.log(`\n${md}`);
console.log(`wrote ${path.relative(process.cwd(), path.join(opts.out, 'latest.json'))}, latest.md${result.plot ? ', latency.png' : ''} in ${result.duration_s.toFixed(0)} s`);
