// Client decode throughput: message frames through the wasm client core
// (decode, dedupe by offset, events out), and through the whole
// BrolostackWSClientside (the core, effect handling, event dispatch to a
// listener, persistence and snapshot bookkeeping) fed by an in-process
// socket; messages per second, median of R rounds.
//
//   node bench/client_decode.mjs [messages=50000] [rounds=5]
import { performance } from 'node:perf_hooks';
import { BrolostackWSClientside, loadCore } from '../js/src/index.mjs';

const messages = Number(process.argv[2] ?? 50000);
const rounds = Number(process.argv[3] ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const core = await loadCore();

function connectedClient() {
  const c = new core.WasmClient(JSON.stringify({ heartbeatInterval: 0 }), 0.5);
  c.connect(0);
  c.opened(0);
  c.received(JSON.stringify({ op: 'reply', ref: 1, ok: true, data: { sid: 'c-1', resumeToken: 't', rooms: {} } }), 0);
  c.joinRoom('bench', '', '{}', 0);
  c.received(JSON.stringify({ op: 'reply', ref: 2, ok: true, data: { room: 'bench', epoch: 'e', offset: 0, members: [], memberCount: 1, recovered: false, missed: [] } }), 0);
  return c;
}

/** The server side of an in-process socket: answers hello and join. */
class LoopbackSocket {
  static last = null;
  constructor() { LoopbackSocket.last = this; setTimeout(() => this.onopen?.(), 0); }
  send(text) {
    const f = JSON.parse(text);
    const reply = (data) => setTimeout(() => this.onmessage?.({ data: JSON.stringify({ op: 'reply', ref: f.ref, ok: true, data }) }), 0);
    if (f.op === 'hello') reply({ sid: 'c-1', resumeToken: 't', rooms: {} });
    if (f.op === 'join') reply({ room: f.room, epoch: 'e', offset: 0, members: [], memberCount: 1, recovered: false, missed: [] });
  }
  close() {}
}

async function shimClient() {
  const client = new BrolostackWSClientside({ url: 'ws://loopback/ws', WebSocket: LoopbackSocket, storage: null, heartbeatInterval: 0 });
  client.subscribe(() => {});  // as a React component would
  await client.joinRoom('bench');
  return client;
}

const frames = Array.from({ length: messages }, (_, i) => JSON.stringify({
  op: 'message', room: 'bench', event: 'chat', data: { text: `message ${i}`, author: 'ada', n: i },
  from: { sid: 'c-2', user: null }, offset: i + 1, epoch: 'e', ts: 1732550000000 + i,
}));

const coreRates = [];
const shimRates = [];
for (let r = 0; r < rounds; r += 1) {
  const c = connectedClient();
  let start = performance.now();
  for (const f of frames) c.received(f, 1);
  coreRates.push(messages / ((performance.now() - start) / 1000));
  c.delete();

  // The whole client, as an application uses it.
  const client = await shimClient();
  let delivered = 0;
  client.on('chat', () => { delivered += 1; });
  start = performance.now();
  for (const f of frames) LoopbackSocket.last.onmessage({ data: f });
  shimRates.push(messages / ((performance.now() - start) / 1000));
  await client.destroy();
  if (delivered !== messages) throw new Error(`expected ${messages} events, got ${delivered}`);
}
console.log(`client decode (${messages} message frames, ${rounds} rounds): wasm core median ${median(coreRates).toFixed(0)} msg/s, ` +
  `through BrolostackWSClientside to a listener median ${median(shimRates).toFixed(0)} msg/s`);
