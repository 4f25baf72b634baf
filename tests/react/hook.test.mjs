// useBrolostackWebSocket in a DOM (jsdom) with React Testing Library,
// against the real server.
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
const { useBrolostackWebSocket } = await import('../../react/src/index.mjs');
const h = React.createElement;

let opened = 0;
class CountingWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    opened += 1;
  }
}

after(async () => {
  cleanup();
  await new Promise((r) => setTimeout(r, 50));
  await stopAllServers();
});

function Status({ url, onMessage, probe }) {
  const api = useBrolostackWebSocket({ url, WebSocket: CountingWebSocket, environment: 'development', storage: null });
  probe.current = api;
  React.useEffect(() => api.on('chat', (data) => onMessage(data)), [api.on, onMessage]);
  return h('div', { 'data-testid': 'status' }, api.connected ? 'connected' : 'disconnected');
}

test('StrictMode mounts twice but opens one socket; connected and stats update; handlers work', async () => {
  const server = await startServer();
  opened = 0;
  const got = [];
  const probe = { current: null };
  const view = render(h(React.StrictMode, null, h(Status, { url: server.wsUrl, onMessage: (d) => got.push(d), probe })));
  await waitFor(() => assert.equal(view.getByTestId('status').textContent, 'connected'), { timeout: 5000 });
  assert.equal(opened, 1);
  assert.equal(probe.current.stats.connected, true);

  await act(async () => { await probe.current.joinRoom('room-1'); });
  await act(async () => { await probe.current.sendToRoom('room-1', 'chat', { text: 'hi' }); });
  assert.deepEqual(probe.current.stats.rooms, ['room-1']);

  // A re-render with a new handler function keeps the same socket.
  view.rerender(h(React.StrictMode, null, h(Status, { url: server.wsUrl, onMessage: (d) => got.push(d), probe })));
  await act(async () => { await new Promise((r) => setTimeout(r, 50)); });
  assert.equal(opened, 1);
  view.unmount();
});

test('two components with the same configuration share one client', async () => {
  const server = await startServer();
  opened = 0;
  const a = { current: null };
  const b = { current: null };
  const view = render(h('div', null,
    h(Status, { url: server.wsUrl, onMessage: () => {}, probe: a }),
    h(Status, { url: server.wsUrl, onMessage: () => {}, probe: b })));
  await waitFor(() => assert.equal(a.current.connected && b.current.connected, true), { timeout: 5000 });
  assert.equal(a.current.ws, b.current.ws);
  assert.equal(opened, 1);
  view.unmount();
});
