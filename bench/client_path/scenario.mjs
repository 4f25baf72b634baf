// The whole client path a delivered message takes, from the socket's
// `onmessage` to the application's listener, measured side by side with a
// baseline that does the least any JS client must: JSON.parse plus an event
// emitter. Runs the same in Node and in a page (bench/client_path.mjs).
// Every round checks what it measures: each message reaches the listener
// exactly once, in order.

/** The server side of an in-process socket: answers hello and join. */
class LoopbackSocket {
  static last = null;
  constructor() {
    LoopbackSocket.last = this;
    setTimeout(() => this.onopen?.(), 0);
  }
  send(text) {
    const f = JSON.parse(text);
    const reply = (data) => setTimeout(() => this.onmessage?.({ data: JSON.stringify({ op: 'reply', ref: f.ref, ok: true, data }) }), 0);
    if (f.op === 'hello') reply({ sid: 'c-1', resumeToken: 't', rooms: {} });
    if (f.op === 'join') reply({ room: f.room, epoch: 'e', offset: 0, members: [], memberCount: 1, recovered: false, missed: [] });
  }
  close() {}
}

/** The baseline's emitter: listeners by event name, nothing else. */
class Emitter {
  constructor() { this.listeners = new Map(); }
  on(event, fn) { (this.listeners.get(event) ?? this.listeners.set(event, []).get(event)).push(fn); }
  emit(event, ...args) { for (const fn of this.listeners.get(event) ?? []) fn(...args); }
}

/** Message frames as the server writes them (about 200 bytes each). */
export function messageFrames(count) {
  return Array.from({ length: count }, (_, i) => JSON.stringify({
    op: 'message', room: 'bench', event: 'chat', data: { text: `message ${i}`, author: 'ada', n: i },
    from: { sid: 'c-2', user: null }, offset: i + 1, epoch: 'e', ts: 1732550000000 + i,
  }));
}

function inOrderCounter(count) {
  let next = 0;
  return {
    see(data) {
      if (data.n !== next) throw new Error(`message ${data.n} arrived where ${next} was due`);
      next += 1;
    },
    check() { if (next !== count) throw new Error(`${next} of ${count} messages reached the listener`); },
  };
}

function baselineRound(frames) {
  const emitter = new Emitter();
  const seen = inOrderCounter(frames.length);
  emitter.on('chat', (data) => seen.see(data));
  const socket = { onmessage: (m) => { const f = JSON.parse(m.data); emitter.emit(f.event, f.data, f); } };
  const start = performance.now();
  for (const data of frames) socket.onmessage({ data });
  const seconds = (performance.now() - start) / 1000;
  seen.check();
  return frames.length / seconds;
}

async function clientRound(BrolostackWSClientside, frames) {
  // As an app uses it: defaults (heartbeat on), a React-style subscriber.
  const client = new BrolostackWSClientside({ url: 'ws://loopback/ws', WebSocket: LoopbackSocket, storage: null });
  client.subscribe(() => {});
  await client.joinRoom('bench');
  const seen = inOrderCounter(frames.length);
  client.on('chat', (data) => seen.see(data));
  const socket = LoopbackSocket.last;
  const start = performance.now();
  for (const data of frames) socket.onmessage({ data });
  const seconds = (performance.now() - start) / 1000;
  seen.check();
  await client.destroy();
  return frames.length / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Interleaved rounds of both; medians in messages per second. */
export async function measure(BrolostackWSClientside, { messages = 100000, rounds = 5 } = {}) {
  const frames = messageFrames(messages);
  const baseline = [];
  const client = [];
  await clientRound(BrolostackWSClientside, frames.slice(0, 5000));  // warm-up
  baselineRound(frames.slice(0, 5000));
  for (let r = 0; r < rounds; r += 1) {
    client.push(await clientRound(BrolostackWSClientside, frames));
    baseline.push(baselineRound(frames));
  }
  return { messages, rounds, client: median(client), baseline: median(baseline) };
}
