// Client decode throughput: message frames through the wasm client core
// (decode, dedupe by offset, events out) and through the JS shim's effect
// handling on top, in messages per second; median of R rounds.
//
//   node bench/client_decode.mjs [messages=50000] [rounds=5]
import { performance } from 'node:perf_hooks';
import { loadCore } from '../js/src/index.mjs';

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

const frames = Array.from({ length: messages }, (_, i) => JSON.stringify({
  op: 'message', room: 'bench', event: 'chat', data: { text: `message ${i}`, author: 'ada', n: i },
  from: { sid: 'c-2', user: null }, offset: i + 1, epoch: 'e', ts: 1732550000000 + i,
}));

const coreRates = [];
const shimRates = [];
for (let r = 0; r < rounds; r += 1) {
  let c = connectedClient();
  let start = performance.now();
  for (const f of frames) c.received(f, 1);
  coreRates.push(messages / ((performance.now() - start) / 1000));
  c.delete();

  // The shim's work per frame on top: parse the effects, parse the event
  // payloads, hand them to a listener.
  c = connectedClient();
  let delivered = 0;
  start = performance.now();
  for (const f of frames) {
    for (const e of JSON.parse(c.received(f, 1))) {
      if (e.kind === 'emit') { JSON.parse(e.data); if (e.extra) JSON.parse(e.extra); delivered += 1; }
    }
  }
  shimRates.push(messages / ((performance.now() - start) / 1000));
  c.delete();
  if (delivered !== messages * 2) throw new Error(`expected ${messages * 2} events, got ${delivered}`);
}
console.log(`client decode (${messages} message frames, ${rounds} rounds): wasm core median ${median(coreRates).toFixed(0)} msg/s, ` +
  `with the JS shim's event handling median ${median(shimRates).toFixed(0)} msg/s`);
