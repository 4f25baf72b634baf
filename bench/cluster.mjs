// The cluster benchmark: rooms shared by several server processes through
// Redis (BROKER=redis://...), against the single server (BROKER=local).
//
//   fan-out   one room, SUBSCRIBERS members spread evenly over the nodes, one
//             publisher on node 1 publishing 256-byte messages flat out with a
//             bounded window: deliveries/s (total and per node), publish round
//             trip (publish -> its answer) and end-to-end latency (the
//             payload's send stamp -> a member has it), p50/p99. Configurations:
//             one server with BROKER=local (the baseline), the same server
//             with SHARDS=2 (two event loops meeting through the in-process
//             broker), then 1, 2 and 3 nodes with BROKER=redis.
//   hop       the cost of the Redis hop per message: one node, BROKER=local
//             against BROKER=redis, a light paced load (1,000 publishes/s to a
//             room of 10): publish round trip, end-to-end latency, and the CPU
//             each process spent per message (/proc/<pid>/stat, during the
//             measured phase).
//
// One bench-loadgen (bench/loadgen, C++/epoll) drives everything: the
// publisher on node 1, the subscribers spread round-robin over the nodes'
// ports. After the last phase it checks that every member had every publish
// answered ok, once, in order, with consecutive offsets; those counts are
// printed next to the figures. Each process's CPU seconds in the measured
// phase are reported (nodes, redis-server, the loader): nothing is pinned,
// and on a machine with few cores the processes share them, so the CPU
// figures say who saturated what. Rounds interleave the configurations (the
// order reverses every round); the report holds medians. A fresh Redis and
// fresh nodes for every run. Writes bench/results/cluster.json and cluster.md.
//
//   node bench/cluster.mjs [--quick] [--rounds N] [--subscribers N] [--configs local-1,local-2s,...]
//
// QUICK=1 or --quick: one round, 300 subscribers, short phases (< 60 s).
// default: five rounds, 999 subscribers (about 3 min).
//
// Needs build/bin/brolostack-server and build/bin/bench-loadgen (`make native`)
// and redis-server on the PATH (Debian's redis-server package).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoader } from './loader.mjs';
import { fmtMs, fmtNum, fmtPct, fmtRate, machine } from './report.mjs';
import { startServer, stopAllServers, repoRoot } from '../tests/integration/support/server.mjs';
import { startRedis, stopAllRedis } from '../tests/integration/support/redis.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.QUICK === '1' },
    rounds: { type: 'string' },
    subscribers: { type: 'string' },
    configs: { type: 'string' },
    out: { type: 'string', default: path.join(here, 'results') },
    'build-dir': { type: 'string', default: process.env.BENCH_BUILD_DIR || path.join(repoRoot, 'build') },
  },
});

const loaderBin = path.join(opts['build-dir'], 'bin', 'bench-loadgen');
const serverBin = path.join(opts['build-dir'], 'bin', 'brolostack-server');
for (const bin of [loaderBin, serverBin]) {
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: build it with \`make native\``);
    process.exit(2);
  }
}
process.env.BROLOSTACK_SERVER_BIN ??= serverBin;
if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.error('redis-server is not installed (Debian: apt-get install redis-server)');
  process.exit(2);
}

const plan = opts.quick
  ? { mode: 'quick', rounds: 1, subscribers: 300, warmup: 0.5, duration: 1.5, settle: 0.3,
    hopRate: 1000, hopSubscribers: 10, hopDuration: 2 }
  : { mode: 'standard', rounds: 5, subscribers: 999, warmup: 1, duration: 3, settle: 0.5,
    hopRate: 1000, hopSubscribers: 10, hopDuration: 4 };
if (opts.rounds) plan.rounds = Number(opts.rounds);
if (opts.subscribers) plan.subscribers = Number(opts.subscribers);
// Publishes in flight while flat out: about 64k deliveries queued (as in perf.mjs).
plan.window = Math.min(1024, Math.max(4, Math.ceil(65536 / plan.subscribers)));

const ALL_CONFIGS = [
  { name: 'local-1', broker: 'local', nodes: 1, label: 'local, 1 server' },
  { name: 'local-2s', broker: 'local', nodes: 1, shards: 2, label: 'local, 2 shards' },
  { name: 'redis-1', broker: 'redis', nodes: 1, label: 'redis, 1 node' },
  { name: 'redis-2', broker: 'redis', nodes: 2, label: 'redis, 2 nodes' },
  { name: 'redis-3', broker: 'redis', nodes: 3, label: 'redis, 3 nodes' },
];
const ALL_HOP_CONFIGS = [
  { name: 'hop-local', broker: 'local', nodes: 1, label: 'local' },
  { name: 'hop-redis', broker: 'redis', nodes: 1, label: 'redis' },
];
const chosen = opts.configs ? new Set(opts.configs.split(',')) : null;
for (const name of chosen ?? []) {
  if (![...ALL_CONFIGS, ...ALL_HOP_CONFIGS].some((c) => c.name === name)) {
    console.error(`--configs: no configuration named ${name}`);
    process.exit(2);
  }
}
const CONFIGS = ALL_CONFIGS.filter((c) => !chosen || chosen.has(c.name));
const HOP_CONFIGS = ALL_HOP_CONFIGS.filter((c) => !chosen || chosen.has(c.name));

// ---------------------------------------------------------------- processes

const children = new Set(); // loader processes (the nodes: server.mjs; redis-server: redis.mjs)

// Once interrupted, nothing new starts (stopEverything may be under way).
function track(proc) {
  if (interrupted) proc.kill('SIGKILL');
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

// A redis-server of its own for one run (the tests' own): no persistence,
// on 127.0.0.1, a port below the ephemeral range.
async function startBenchRedis() {
  if (interrupted) throw new Error('interrupted');
  const redis = await startRedis({ durable: false });
  return { pid: redis.proc.pid, url: redis.url, stop: () => redis.remove() };
}

// A node: our server with perf.mjs's settings (the test profile, limits
// lifted for one address's thousands of connections), memory store.
async function startNode(broker, shards = 1) {
  if (interrupted) throw new Error('interrupted');
  const server = await startServer({
    BROLOSTACK_ENV: 'test',
    STORE: 'memory',
    BROKER: broker,
    SHARDS: shards,
    MAX_CONNECTIONS: 200000,
    CONNECTION_RATE_PER_IP: 0,
    RATE_LIMIT_RPM: 0,
    INBOUND_BYTES_PER_SECOND: 0,
    HELLO_TIMEOUT_MS: 120000,
    HEARTBEAT_MS: 60000,
    MAX_ROOMS_PER_CONNECTION: 1000,
    LOG_LEVEL: 'warn',
    DRAIN_TIMEOUT_MS: 1000,
  }, { timeoutMs: 15000 });
  return { pid: server.proc.pid, port: server.port, stop: () => server.stop({ timeoutMs: 3000 }), log: () => server.stderr };
}

async function startCluster(config) {
  const redis = config.broker === 'redis' ? await startBenchRedis() : null;
  const nodes = [];
  try {
    for (let i = 0; i < config.nodes; i += 1) nodes.push(await startNode(redis ? redis.url : 'local', config.shards));
  } catch (error) {
    await stopCluster({ redis, nodes });
    throw error;
  }
  return { redis, nodes };
}

async function stopCluster({ redis, nodes }) {
  await Promise.all(nodes.map((n) => n.stop()));
  if (redis) await redis.stop();
}

async function stopEverything() {
  const exits = [...children].map((proc) => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else { proc.once('exit', resolve); proc.kill('SIGKILL'); }
  }));
  await Promise.all([...exits, stopAllServers(), stopAllRedis()]);
}
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true;
    console.error(`\n${sig}: stopping every process started`);
    stopEverything().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- the loader

async function load(cluster, args, timeoutS) {
  if (interrupted) throw new Error('interrupted');
  const { nodes, redis } = cluster;
  const watch = [...nodes.map((n) => n.pid), ...(redis ? [redis.pid] : [])];
  const argv = ['--dialect', 'brolostack', '--port', nodes[0].port, '--subscriber-ports', nodes.map((n) => n.port).join(','),
    '--server-pid', nodes[0].pid, '--watch-pids', watch.join(','), ...args];
  return runLoader(loaderBin, argv, timeoutS, track);
}

// Lines the nodes logged at warn or above during a run (the settings they
// print at start are info; anything that is not JSON counts too).
function logProblems(cluster) {
  const serious = (line) => {
    try {
      return !['debug', 'info'].includes(JSON.parse(line).level);
    } catch {
      return true;
    }
  };
  return cluster.nodes.flatMap((n, i) => n.log().split('\n').filter((l) => l.trim() && serious(l)).map((l) => `node ${i + 1}: ${l}`));
}

// ---------------------------------------------------------------- scenarios

const runs = [];

// The measured phase's CPU seconds per process: nodes, redis, loader.
function cpuOf(r, phase, config) {
  const w = phase?.watch_cpu_s ?? [];
  return {
    nodes: w.slice(0, config.nodes),
    redis: config.broker === 'redis' ? w[config.nodes] ?? null : null,
    loader: phase?.loader_cpu_s ?? null,
    machine: phase?.machine_busy_s ?? null,
  };
}

// Shares of the machine (all cores) in the measured phase: ours (nodes,
// redis, loader) and everything else.
function shares(r, cores) {
  const p = r.phases?.[0];
  if (!p?.seconds) return { ours: null, others: null };
  const ours = sum(r.cpu_s.nodes) + (r.cpu_s.redis ?? 0) + r.cpu_s.loader;
  const capacity = p.seconds * cores;
  return { ours: ours / capacity, others: r.cpu_s.machine == null ? null : Math.max(0, r.cpu_s.machine - ours) / capacity };
}

/** Starts the configuration's nodes, runs the loader on them and stops them; the loader's result with the nodes' log problems. */
async function loadCluster(config, args, timeoutS) {
  const cluster = await startCluster(config);
  try {
    const r = await load(cluster, args, timeoutS);
    r.node_log = logProblems(cluster);
    return r;
  } finally {
    await stopCluster(cluster);
  }
}

async function runFanout(config, round) {
  const r = await loadCluster(config, ['--scenario', 'fanout', '--subscribers', plan.subscribers, '--window', plan.window,
    '--duration', plan.duration, '--warmup', plan.warmup, '--settle', plan.settle, '--setup-timeout', 60], 150);
  const main = r.phases?.[0];
  const entry = { round, kind: 'fanout', config: config.name, ...r, cpu_s: cpuOf(r, main, config) };
  runs.push(entry);
  const i = r.integrity;
  console.log(`  ${config.label.padEnd(16)} ${r.failure ?? `${fmtRate(r.deliveries_per_s)} deliveries/s ` +
    `(${(main?.targets ?? []).map((t) => fmtRate(t.deliveries_per_s)).join(' + ')}), publish rtt p50 ${fmtMs(r.publish_rtt_ms?.p50)} ms, ` +
    `e2e p50 ${fmtMs(r.latency_ms?.p50)} p99 ${fmtMs(r.latency_ms?.p99)} ms; CPU s ${cpuText(entry.cpu_s)} in ${fmtNum(main?.seconds)} s; ` +
    `missing ${i?.missing} out-of-order ${i?.out_of_order} gaps ${i?.offset_gaps} errors ${r.errors?.total}`}`);
}

async function runHop(config, round) {
  const r = await loadCluster(config, ['--scenario', 'fanout', '--subscribers', plan.hopSubscribers, '--rate', plan.hopRate,
    '--duration', plan.hopDuration, '--warmup', plan.warmup, '--settle', plan.settle, '--setup-timeout', 30], 60);
  const main = r.phases?.[0];
  const entry = { round, kind: 'hop', config: config.name, ...r, cpu_s: cpuOf(r, main, config) };
  const published = main ? main.publishes_per_s * main.seconds : 0;
  entry.cpu_us_per_message = published ? {
    node: (entry.cpu_s.nodes[0] ?? 0) / published * 1e6,
    redis: entry.cpu_s.redis == null ? null : entry.cpu_s.redis / published * 1e6,
    loader: entry.cpu_s.loader / published * 1e6,
  } : null;
  runs.push(entry);
  const i = r.integrity;
  console.log(`  hop ${config.label.padEnd(12)} ${r.failure ?? `${fmtRate(r.publishes_per_s)} publishes/s, publish rtt p50 ` +
    `${fmtMs(r.publish_rtt_ms?.p50)} p99 ${fmtMs(r.publish_rtt_ms?.p99)} ms, e2e p50 ${fmtMs(r.latency_ms?.p50)} ` +
    `p99 ${fmtMs(r.latency_ms?.p99)} ms, node ${fmtNum(entry.cpu_us_per_message?.node, 1)} µs/msg` +
    `${entry.cpu_us_per_message?.redis != null ? `, redis ${fmtNum(entry.cpu_us_per_message.redis, 1)} µs/msg` : ''}; ` +
    `missing ${i?.missing} out-of-order ${i?.out_of_order} gaps ${i?.offset_gaps} errors ${r.errors?.total}`}`);
}

function cpuText(c) {
  return [...c.nodes.map((v, k) => `n${k + 1} ${fmtNum(v)}`), ...(c.redis != null ? [`redis ${fmtNum(c.redis)}`] : []),
    `loader ${fmtNum(c.loader)}`].join(', ');
}

// ---------------------------------------------------------------- summary

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + (b ?? 0), 0);

function integrityTotals(rs) {
  const t = { runs: rs.length, published: 0, missing: 0, extra: 0, out_of_order: 0, offset_gaps: 0, offsets_seen: 0,
    rejected: 0, unanswered: 0, subscribers_closed: 0, errors: 0, node_log_lines: 0 };
  for (const r of rs) {
    for (const k of ['published', 'missing', 'extra', 'out_of_order', 'offset_gaps', 'offsets_seen', 'rejected', 'unanswered', 'subscribers_closed']) {
      t[k] += r.integrity?.[k] ?? 0;
    }
    t.errors += (r.errors?.total ?? 0) + (r.failure ? 1 : 0);
    t.node_log_lines += r.node_log?.length ?? 0;
  }
  return t;
}

function summarize(cores) {
  const fanout = {};
  for (const c of CONFIGS) {
    const all = runs.filter((r) => r.kind === 'fanout' && r.config === c.name);
    const rs = all.filter((r) => !r.failure && r.subscribers_joined === plan.subscribers);
    const main = (r) => r.phases?.[0];
    fanout[c.name] = {
      label: c.label, nodes: c.nodes, broker: c.broker, rounds: rs.length,
      incomplete: all.filter((r) => r.failure || r.subscribers_joined !== plan.subscribers)
        .map((r) => r.failure ?? `${r.subscribers_joined}/${plan.subscribers} joined`),
      setup_s: median(rs.map((r) => r.setup_s + r.quiesce_s)),
      deliveries_per_s: median(rs.map((r) => r.deliveries_per_s)),
      per_node_deliveries_per_s: Array.from({ length: c.nodes }, (_, k) => median(rs.map((r) => main(r)?.targets?.[k]?.deliveries_per_s))),
      per_node_latency_p50: Array.from({ length: c.nodes }, (_, k) => median(rs.map((r) => main(r)?.targets?.[k]?.latency_ms?.p50))),
      per_node_latency_p99: Array.from({ length: c.nodes }, (_, k) => median(rs.map((r) => main(r)?.targets?.[k]?.latency_ms?.p99))),
      publishes_per_s: median(rs.map((r) => r.publishes_per_s)),
      publish_rtt_ms: { p50: median(rs.map((r) => r.publish_rtt_ms?.p50)), p99: median(rs.map((r) => r.publish_rtt_ms?.p99)) },
      latency_ms: { p50: median(rs.map((r) => r.latency_ms?.p50)), p99: median(rs.map((r) => r.latency_ms?.p99)) },
      phase_s: median(rs.map((r) => main(r)?.seconds)),
      cpu_s: {
        nodes: Array.from({ length: c.nodes }, (_, k) => median(rs.map((r) => r.cpu_s.nodes[k]))),
        redis: c.broker === 'redis' ? median(rs.map((r) => r.cpu_s.redis)) : null,
        loader: median(rs.map((r) => r.cpu_s.loader)),
      },
      // Of the machine's cores, the share these processes used in the phase,
      // and the share every other process on the machine used.
      cpu_share_of_machine: median(rs.map((r) => shares(r, cores).ours)),
      cpu_share_others: median(rs.map((r) => shares(r, cores).others)),
      // What a delivery cost, whoever got the CPU: the nodes' CPU (and
      // Redis's) over the deliveries of the phase.
      node_cpu_us_per_delivery: median(rs.map((r) => sum(r.cpu_s.nodes) / (main(r).deliveries_per_s * main(r).seconds) * 1e6)),
      redis_cpu_us_per_publish: c.broker === 'redis'
        ? median(rs.map((r) => r.cpu_s.redis / (main(r).publishes_per_s * main(r).seconds) * 1e6)) : null,
      integrity: integrityTotals(all),
    };
  }
  const hop = {};
  for (const c of HOP_CONFIGS) {
    const all = runs.filter((r) => r.kind === 'hop' && r.config === c.name);
    const rs = all.filter((r) => !r.failure && r.subscribers_joined === plan.hopSubscribers);
    hop[c.name] = {
      label: c.label, broker: c.broker, rounds: rs.length,
      publishes_per_s: median(rs.map((r) => r.publishes_per_s)),
      deliveries_per_s: median(rs.map((r) => r.deliveries_per_s)),
      publish_rtt_ms: { p50: median(rs.map((r) => r.publish_rtt_ms?.p50)), p99: median(rs.map((r) => r.publish_rtt_ms?.p99)) },
      latency_ms: { p50: median(rs.map((r) => r.latency_ms?.p50)), p99: median(rs.map((r) => r.latency_ms?.p99)) },
      cpu_us_per_message: {
        node: median(rs.map((r) => r.cpu_us_per_message?.node)),
        redis: c.broker === 'redis' ? median(rs.map((r) => r.cpu_us_per_message?.redis)) : null,
        loader: median(rs.map((r) => r.cpu_us_per_message?.loader)),
      },
      cpu_share_of_machine: median(rs.map((r) => shares(r, cores).ours)),
      cpu_share_others: median(rs.map((r) => shares(r, cores).others)),
      integrity: integrityTotals(all),
    };
  }
  return { fanout, hop };
}

// ---------------------------------------------------------------- formatting

function loadAverage() { return os.loadavg().map((v) => +v.toFixed(2)); }


function integrityText(t) {
  return `${t.missing} missing, ${t.extra} extra, ${t.out_of_order} out of order, ${t.offset_gaps} offset gaps, ` +
    `${t.rejected} rejected, ${t.unanswered} unanswered, ${t.subscribers_closed} members closed, ${t.errors} errors` +
    `${t.node_log_lines ? `, ${t.node_log_lines} node log lines` : ''}`;
}

function markdown(result) {
  const { summary: s, machine: m, plan: p } = result;
  const lines = [];
  const head = (cols) => [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`];
  lines.push('# Cluster benchmark: rooms shared through Redis', '');
  lines.push(`${result.date}, \`node bench/cluster.mjs${result.argv.length ? ` ${result.argv.join(' ')}` : ''}\` (${p.mode}: ` +
    `${p.rounds} round${p.rounds > 1 ? 's, interleaved; medians' : ''}), ${fmtNum(result.duration_s, 0)} s.`, '');
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, ${m.memory_gib} GiB, Node ${m.node}, Redis ${m.redis}. ` +
    `Load average before ${result.load_before.join(' / ')}, after ${result.load_after.join(' / ')} (1 / 5 / 15 min). ` +
    'Nothing pinned: the nodes, redis-server and the loader (bench-loadgen, C++/epoll, one thread) share the cores; ' +
    'loopback TCP; STORE=memory; 256-byte payloads.', '');
  if (m.cores <= 2) {
    lines.push(`**CPU-bound:** this machine has ${m.cores} cores for up to three nodes, redis-server and the loader. ` +
      'The fan-out figures say what this box does, not how the cluster scales: with more nodes than free cores, ' +
      'the nodes take CPU from each other (see "CPU used").', '');
  }
  const others = median(Object.values(s.fanout).map((f) => f.cpu_share_others));
  if (others != null && others > 0.2) {
    lines.push(`**Busy machine:** other processes used a median ${fmtPct(others)} of the ${m.cores} cores during the ` +
      'measured fan-out phases (/proc/stat minus our processes): our processes got what was left, so throughput ' +
      'varies from round to round with the neighbours, and p99 latencies include waits for a core. The CPU cost per ' +
      'delivery and per publish (below) is the steadier figure.', '');
  }
  lines.push(`## Fan-out: ${p.subscribers.toLocaleString('en-US')} members of one room, one publisher on node 1, flat out (window ${p.window})`, '');
  lines.push('Deliveries/s per node in node order. CPU seconds of each process during the ' +
    `${p.duration}-s measured phase (${p.duration} s = one core saturated). "CPU used": ` +
    `these processes' share of the machine's ${m.cores} cores, then every other process's (/proc/stat). ` +
    'Flat out, latency is mostly the window\'s queue: it says where the time goes, not what a light load sees (the hop table does).', '');
  lines.push(...head(['configuration', 'deliveries/s', 'per node', 'publishes/s', 'publish rtt p50 / p99 ms',
    'end-to-end p50 / p99 ms', 'CPU s: nodes / redis / loader', 'CPU used: ours + others']));
  for (const c of CONFIGS) {
    const f = s.fanout[c.name];
    if (!f.rounds) { lines.push(`| ${c.label} | n/a (${f.incomplete[0] ?? 'not run'}) | | | | | | |`); continue; }
    lines.push(`| ${c.label} | ${fmtRate(f.deliveries_per_s)} | ${f.per_node_deliveries_per_s.map(fmtRate).join(' + ')} | ` +
      `${fmtRate(f.publishes_per_s)} | ${fmtMs(f.publish_rtt_ms.p50)} / ${fmtMs(f.publish_rtt_ms.p99)} | ` +
      `${fmtMs(f.latency_ms.p50)} / ${fmtMs(f.latency_ms.p99)} | ${f.cpu_s.nodes.map((v) => fmtNum(v)).join(' + ')} / ` +
      `${f.cpu_s.redis == null ? '-' : fmtNum(f.cpu_s.redis)} / ${fmtNum(f.cpu_s.loader)} | ${fmtPct(f.cpu_share_of_machine)} + ${fmtPct(f.cpu_share_others)} |`);
  }
  lines.push('');
  lines.push('End-to-end latency per node, p50 / p99 ms (node 1 has the publisher), and what the work cost: the nodes\' ' +
    'CPU per delivery (all nodes together) and Redis\'s per publish:', '');
  lines.push(...head(['configuration', 'node 1', 'node 2', 'node 3', 'nodes CPU µs/delivery', 'redis CPU µs/publish']));
  for (const c of CONFIGS) {
    const f = s.fanout[c.name];
    if (!f.rounds) continue;
    const cells = [0, 1, 2].map((k) => (k < c.nodes ? `${fmtMs(f.per_node_latency_p50[k])} / ${fmtMs(f.per_node_latency_p99[k])}` : ''));
    lines.push(`| ${c.label} | ${cells.join(' | ')} | ${fmtNum(f.node_cpu_us_per_delivery)} | ` +
      `${f.redis_cpu_us_per_publish == null ? '-' : fmtNum(f.redis_cpu_us_per_publish, 1)} |`);
  }
  lines.push('');
  lines.push(`## The Redis hop: one node, ${p.hopRate.toLocaleString('en-US')} publishes/s paced to a room of ${p.hopSubscribers}`, '');
  lines.push('CPU per message is the process\'s CPU time in the measured phase over the publishes in it ' +
    `(one publish, its answer and ${p.hopSubscribers} deliveries; /proc/<pid>/stat, 10-ms ticks).`, '');
  lines.push(...head(['broker', 'publishes/s', 'publish rtt p50 / p99 ms', 'end-to-end p50 / p99 ms', 'node CPU µs/msg',
    'redis CPU µs/msg', 'loader CPU µs/msg', 'CPU used: ours + others']));
  for (const c of HOP_CONFIGS) {
    const h = s.hop[c.name];
    lines.push(`| ${c.label} | ${fmtRate(h.publishes_per_s)} | ${fmtMs(h.publish_rtt_ms.p50)} / ${fmtMs(h.publish_rtt_ms.p99)} | ` +
      `${fmtMs(h.latency_ms.p50)} / ${fmtMs(h.latency_ms.p99)} | ${fmtNum(h.cpu_us_per_message.node, 1)} | ` +
      `${h.cpu_us_per_message.redis == null ? '-' : fmtNum(h.cpu_us_per_message.redis, 1)} | ${fmtNum(h.cpu_us_per_message.loader, 1)} | ` +
      `${fmtPct(h.cpu_share_of_machine)} + ${fmtPct(h.cpu_share_others)} |`);
  }
  const hl = s.hop['hop-local'];
  const hr = s.hop['hop-redis'];
  if (hl?.rounds && hr?.rounds) {
    lines.push('', `The hop adds ${fmtMs(hr.publish_rtt_ms.p50 - hl.publish_rtt_ms.p50)} ms to the publish round trip (p50), ` +
      `${fmtMs(hr.latency_ms.p50 - hl.latency_ms.p50)} ms end to end (p50), and ` +
      `${fmtNum(hr.cpu_us_per_message.node - hl.cpu_us_per_message.node, 1)} µs of node CPU plus ` +
      `${fmtNum(hr.cpu_us_per_message.redis, 1)} µs of Redis CPU per message.`);
  }
  lines.push('', '## Integrity (all runs)', '');
  lines.push('After the last phase the loader waits for what is in flight, then counts for every member the publishes ' +
    'answered ok that it did not get (missing) or got twice (extra), deliveries older than the one before (out of order) ' +
    'and offsets that did not follow the previous one (offset gaps).', '');
  lines.push(...head(['configuration', 'runs', 'publishes', 'deliveries checked', 'result']));
  for (const c of [...CONFIGS, ...HOP_CONFIGS]) {
    const t = (s.fanout[c.name] ?? s.hop[c.name]).integrity;
    lines.push(`| ${s.hop[c.name] ? `hop ${c.label}` : c.label} | ${t.runs} | ${t.published.toLocaleString('en-US')} | ` +
      `${t.offsets_seen.toLocaleString('en-US')} | ${integrityText(t)} |`);
  }
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- main

const started = Date.now();
const loadBefore = loadAverage();
const cores = os.cpus().length;
console.log(`bench/cluster.mjs (${plan.mode}): ${plan.rounds} round(s); fan-out to ${plan.subscribers} members ` +
  `(window ${plan.window}) over ${CONFIGS.map((c) => c.name).join(', ')}; hop at ${plan.hopRate}/s to ${plan.hopSubscribers}; ` +
  `${cores} cores, load ${loadBefore.join(' ')}`);
if (cores <= 2) console.log(`  note: ${cores} cores for up to 3 nodes + redis-server + loader: CPU-bound; see each process's CPU seconds`);
try {
  for (let round = 1; round <= plan.rounds && !interrupted; round += 1) {
    const order = round % 2 ? CONFIGS : [...CONFIGS].reverse();
    const hopOrder = round % 2 ? HOP_CONFIGS : [...HOP_CONFIGS].reverse();
    console.log(`round ${round}: ${order.map((c) => c.name).join(', ')}; ${hopOrder.map((c) => c.name).join(', ')}`);
    for (const c of order) await runFanout(c, round);
    for (const c of hopOrder) await runHop(c, round);
  }
} finally {
  await stopEverything();
}

const result = {
  date: new Date().toISOString(),
  argv: process.argv.slice(2),
  duration_s: (Date.now() - started) / 1000,
  machine: machine({ redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^Redis server /, '') }),
  load_before: loadBefore,
  load_after: loadAverage(),
  plan,
  notes: [],
  runs,
};
result.summary = summarize(cores);
for (const [name, f] of Object.entries({ ...result.summary.fanout, ...result.summary.hop })) {
  const t = f.integrity;
  if (t.missing || t.extra || t.out_of_order || t.offset_gaps || t.rejected || t.unanswered || t.subscribers_closed || t.errors) {
    result.notes.push(`${name}: ${integrityText(t)} (see runs[] in cluster.json).`);
  }
  if (t.node_log_lines) {
    const first = runs.find((r) => r.config === name && r.node_log?.length)?.node_log[0];
    result.notes.push(`${name}: the nodes logged ${t.node_log_lines} warning/error lines, first: ${first}`);
  }
}
mkdirSync(opts.out, { recursive: true });
writeFileSync(path.join(opts.out, 'cluster.json'), `${JSON.stringify(result, null, 2)}\n`);
const md = markdown(result);
writeFileSync(path.join(opts.out, 'cluster.md'), md);
console.log(`\n${md}`);
console.log(`wrote ${path.relative(process.cwd(), path.join(opts.out, 'cluster.json'))}, cluster.md in ${result.duration_s.toFixed(0)} s`);
