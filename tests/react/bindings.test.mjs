// brolostack/react beyond the seed's hook: a provider, useRoom, useEvent
// and a state selector, in a DOM (jsdom) with React Testing Library,
// against the real server. Every component shares one socket per URL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import WebSocket from 'ws';
import { startServer, stopAllServers } from '../integration/support/server.mjs';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.navigator = dom.window.navigator;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;
const React = await import('react');
const { render, act, cleanup, waitFor } = await import('@testing-library/react');
const {
  BrolostackProvider, useBrolostackClient, useBrolostackState, useBrolostackWebSocket, useEvent, useRoom,
} = await import('../../react/src/index.mjs');
const { BrolostackWSClientside } = await import('../../js/src/index.mjs');
const h = React.createElement;

let opened = 0;
class CountingWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    opened += 1;
  }
}
const config = (url) => ({ url, WebSocket: CountingWebSocket, environment: 'development', storage: null });
const others = [];

after(async () => {
  cleanup();
  await Promise.allSettled(others.map((c) => c.destroy()));
  await new Promise((r) => setTimeout(r, 50));
  await stopAllServers();
});

function peer(url) {
  const c = new BrolostackWSClientside({ url, WebSocket, environment: 'development', storage: null });
  others.push(c);
  return c;
}

function Chat({ probe }) {
  const room = useRoom('lobby', { info: { name: 'Ada' }, keep: 3 });
  probe.current = room;
  return h('ul', { 'data-testid': 'chat' }, room.messages.map((m) => h('li', { key: m.offset }, m.data.text)));
}

function Members() {
  const { members, joined } = useRoom('lobby');
  return h('p', { 'data-testid': 'members' }, joined ? members.map((m) => m.info.name ?? '?').sort().join(',') : 'joining');
}

test('useRoom under a provider: one socket, live members, newest messages, publish, and leave on unmount', async () => {
  const server = await startServer();
  opened = 0;
  const probe = { current: null };
  const view = render(h(React.StrictMode, null,
    h(BrolostackProvider, { config: config(server.wsUrl) }, h(Chat, { probe }), h(Members))));
  await waitFor(() => assert.equal(view.getByTestId('members').textContent, 'Ada'), { timeout: 5000 });
  assert.equal(opened, 1, 'the provider, two components and StrictMode share one socket');

  const bob = peer(server.wsUrl);
  await bob.joinRoom('lobby', '', { name: 'Bob' });
  await waitFor(() => assert.equal(view.getByTestId('members').textContent, 'Ada,Bob'), { timeout: 5000 });

  for (const text of ['one', 'two', 'three', 'four']) await bob.sendToRoom('lobby', 'chat', { text });
  await waitFor(() => assert.equal(view.getByTestId('chat').textContent, 'twothreefour'), { timeout: 5000 });
  assert.equal(probe.current.memberCount, 2);

  const reply = await act(() => probe.current.publish('chat', { text: 'from ada' }));
  assert.equal(reply.offset, 5);
  const presence = await act(() => probe.current.presence());
  assert.equal(presence.memberCount, 2);

  const left = new Promise((resolve) => bob.on('user-left', (m, frame) => frame.room === 'lobby' && resolve(m)));
  view.unmount();
  await left;
});

function StatusLine() {
  const connected = useBrolostackState((s) => s.connected);
  const renders = React.useRef(0);
  renders.current += 1;
  return h('p', { 'data-testid': 'line', 'data-renders': renders.current }, connected ? 'up' : 'down');
}

function Listener({ seen }) {
  const [count, setCount] = React.useState(0);
  // A new handler every render: useEvent must not subscribe again.
  useEvent('ping-event', (data) => { seen.push([data.n, count]); setCount((c) => c + 1); });
  return h('p', { 'data-testid': 'count' }, String(count));
}

test('useBrolostackState re-renders only when its slice changes; useEvent calls the newest handler, once', async () => {
  const server = await startServer();
  opened = 0;
  const seen = [];
  const client = peer(server.wsUrl);
  const view = render(h(BrolostackProvider, { client }, h(StatusLine), h(Listener, { seen })));
  await waitFor(() => assert.equal(view.getByTestId('line').textContent, 'up'), { timeout: 5000 });
  const rendersWhenUp = Number(view.getByTestId('line').dataset.renders);

  await act(() => client.joinRoom('r'));
  const sender = peer(server.wsUrl);
  await sender.joinRoom('r');
  for (const n of [1, 2, 3]) {
    await sender.sendToRoom('r', 'ping-event', { n });
    await waitFor(() => assert.equal(view.getByTestId('count').textContent, String(n)), { timeout: 5000 });
  }
  assert.deepEqual(seen, [[1, 0], [2, 1], [3, 2]], 'each event once, to the handler of the latest render');
  // Stats moved (messages, rooms) but `connected` did not: no new render.
  await act(() => new Promise((r) => setTimeout(r, 400)));
  assert.equal(Number(view.getByTestId('line').dataset.renders), rendersWhenUp);
  view.unmount();
});

function Probe({ probe, url }) {
  probe.provided = useBrolostackClient();
  probe.seed = useBrolostackWebSocket().ws;
  probe.byUrl = useBrolostackWebSocket(url ? config(url) : undefined).ws;
  return null;
}

test('the seed hook without config uses the provider\'s client; with the same URL, the same shared client', async () => {
  const server = await startServer();
  opened = 0;
  const probe = {};
  const view = render(h(BrolostackProvider, { config: config(server.wsUrl) }, h(Probe, { probe, url: server.wsUrl })));
  await waitFor(() => assert.ok(probe.provided), { timeout: 5000 });
  assert.equal(probe.seed, probe.provided);
  assert.equal(probe.byUrl, probe.provided, 'one socket per URL');
  await waitFor(() => assert.equal(probe.provided.isConnected(), true), { timeout: 5000 });
  assert.equal(opened, 1);
  view.unmount();
});
