// What permessage-deflate costs and saves: S subscribers of one room, with
// and without compression (ENABLE_COMPRESSION on, subscribers offering
// permessage-deflate or not), side by side in the same rounds. One publisher
// sends M chat-like messages (JSON of about 300 bytes) with a window of
// acknowledged publishes. Per configuration: deliveries/s, bytes the
// subscribers received on the wire per message, and the server's CPU per
// delivery. Medians over rounds. The subscribers share one Node process
// that inflates every compressed message, so with compression on,
// deliveries/s is that loader's limit, not the server's; the server's CPU
// per delivery is the figure to compare.
//
//   node bench/compression.mjs [--subscribers 50] [--messages 2000] [--rounds 3]
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startServer, stopAllServers } from '../tests/integration/support/server.mjs';
import { cpuSeconds } from '../tests/integration/support/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '50' },
    messages: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, Number(v)]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function member(url, deflate) {
  const ws = new WebSocket(url, 'brolostack.v1', { perMessageDeflate: deflate });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let ref = 0;
  const waiting = new Map();
  const listeners = [];
  ws.on('message', (raw) => {
    const f = JSON.parse(raw);
    if (f.op === 'reply') { waiting.get(f.ref)?.(f); waiting.delete(f.ref); } else for (const l of listeners) l(f);
  });
  const request = (frame) => new Promise((resolve) => { ref += 1; waiting.set(ref, resolve); ws.send(JSON.stringify({ ...frame, ref })); });
  await request({ op: 'hello', v: 1 });
  await request({ op: 'join', room: 'chat' });
  return { ws, request, on: (l) => listeners.push(l), wireBytes: () => ws._socket.bytesRead };
}

async function run(server, deflate) {
  const subs = await Promise.all(Array.from({ length: N.subscribers }, () => member(server.wsUrl, deflate)));
  const pub = await member(server.wsUrl, false);
  let delivered = 0;
  const expected = N.subscribers * N.messages;
  const done = new Promise((resolve) => subs.forEach((s) => s.on((f) => { if (f.op === 'message' && ++delivered === expected) resolve(); })));
  const bytes0 = subs.reduce((a, s) => a + s.wireBytes(), 0);
  const cpu0 = cpuSeconds(server.proc.pid);
  const start = performance.now();
  for (let i = 0; i < N.messages; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(N.messages, i + 50); j++) {
      batch.push(pub.request({ op: 'publish', room: 'chat', event: 'message', data: {
        text: `message ${j}: the quarterly numbers look good, shall we go over the roadmap on Thursday afternoon?`,
        author: { id: 'u-1042', name: 'Ada Lovelace' }, sentAt: Date.now(), reactions: [] } }));
    }
    await Promise.all(batch);
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  const result = {
    rate: delivered / seconds,
    bytesPerDelivery: (subs.reduce((a, s) => a + s.wireBytes(), 0) - bytes0) / delivered,
    cpuUsPerDelivery: ((cpuSeconds(server.proc.pid) - cpu0) * 1e6) / delivered,
    negotiated: subs[0].ws.extensions !== '',
  };
  for (const c of [...subs, pub]) c.ws.close();
  return result;
}

const results = { plain: [], deflate: [] };
try {
  for (let round = 1; round <= N.rounds; round++) {
    const server = await startServer({ STORE: 'memory', ENABLE_COMPRESSION: 'true', MAX_CONNECTIONS: 10000 });
    for (const kind of round % 2 ? ['plain', 'deflate'] : ['deflate', 'plain']) {
      const r = await run(server, kind === 'deflate');
      if (r.negotiated !== (kind === 'deflate')) throw new Error(`${kind}: negotiation was ${r.negotiated}`);
      results[kind].push(r);
      console.log(`round ${round} ${kind.padEnd(7)} ${r.rate.toFixed(0)} deliveries/s, ${r.bytesPerDelivery.toFixed(0)} wire bytes ` +
        `each, server CPU ${r.cpuUsPerDelivery.toFixed(2)} us each`);
    }
    await server.stop();
  }
} finally {
  await stopAllServers();
}
const m = (kind, key) => median(results[kind].map((r) => r[key]));
console.log(`\nmedians over ${N.rounds} rounds, ${N.subscribers} subscribers, ${N.messages} messages:`);
for (const kind of ['plain', 'deflate']) {
  console.log(`${kind.padEnd(7)} ${m(kind, 'rate').toFixed(0)} deliveries/s, ${m(kind, 'bytesPerDelivery').toFixed(0)} wire bytes each, ` +
    `server CPU ${m(kind, 'cpuUsPerDelivery').toFixed(2)} us each`);
}
console.log(`deflate/plain: wire bytes ${(m('deflate', 'bytesPerDelivery') / m('plain', 'bytesPerDelivery')).toFixed(2)}x, ` +
  `server CPU ${(m('deflate', 'cpuUsPerDelivery') / m('plain', 'cpuUsPerDelivery')).toFixed(2)}x, ` +
  `deliveries/s ${(m('deflate', 'rate') / m('plain', 'rate')).toFixed(2)}x`);
