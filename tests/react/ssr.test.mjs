// Rendering on a server never touches window or opens a socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { renderToString } from 'react-dom/server';
import { useBrolostackWebSocket } from '../../react/src/index.mjs';

test('server rendering gives the disconnected snapshot and creates no client', () => {
  let constructed = 0;
  class NoSocket { constructor() { constructed += 1; } }
  function App() {
    const { connected, ws, stats } = useBrolostackWebSocket({ url: 'ws://example.invalid/ws', WebSocket: NoSocket });
    return React.createElement('p', null, `${connected ? 'on' : 'off'} ${ws === null} ${stats.connected}`);
  }
  assert.equal(typeof window, 'undefined');
  const html = renderToString(React.createElement(App));
  assert.equal(html, '<p>off true false</p>');
  assert.equal(constructed, 0);
});
