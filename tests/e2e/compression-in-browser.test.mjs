// permessage-deflate with a real browser: Chromium negotiates it with the
// server (ENABLE_COMPRESSION), sends compressed and reads compressed room
// messages, and a member without compression reads the same messages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { connect, closeAllClients } from '../integration/support/client.mjs';
import { launchBrowser } from './support/browser.mjs';

const site = mkdtempSync(path.join(tmpdir(), 'brolostack-e2e-'));
let browser;
after(async () => {
  await browser?.close();
  await closeAllClients();
  await stopAllServers();
  rmSync(site, { recursive: true, force: true });
});

test('Chromium and the server talk compressed; a plain member reads the same room', async () => {
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>compression</title>');
  const server = await startServer({ STATIC_DIR: site, ENABLE_COMPRESSION: 'true' });
  const plain = await connect(server.wsUrl, { perMessageDeflate: false });
  await plain.join('doc');

  browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${server.httpUrl}/`);
  const fromBrowser = 'written in the browser; '.repeat(200);
  const fromNode = 'written in node; '.repeat(300);
  const browserOpen = page.evaluate(([url, text, awaited]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'brolostack.v1');
    const got = [];
    ws.onerror = () => reject(new Error('the browser WebSocket failed'));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.op === 'reply' && f.ref === 2) {
        window.joined = true;
        ws.send(JSON.stringify({ op: 'publish', ref: 3, room: 'doc', event: 'm', data: text }));
      }
      if (f.op === 'message' && f.data === awaited) got.push(f.data);
      if (got.length === 1) resolve({ extensions: ws.extensions, got });
    };
    ws.onopen = () => {
      ws.send(JSON.stringify({ op: 'hello', ref: 1, v: 1 }));
      ws.send(JSON.stringify({ op: 'join', ref: 2, room: 'doc' }));
    };
  }), [server.wsUrl, fromBrowser, fromNode]);
  await page.waitForFunction(() => window.joined === true, null, { timeout: 10000 });

  // What the browser sent (compressed by Chromium) reaches the plain member.
  assert.equal((await plain.next((f) => f.op === 'message')).data, fromBrowser);
  // What the plain member sends reaches the browser (compressed by the server).
  await plain.publish('doc', fromNode);
  const result = await browserOpen;
  assert.match(result.extensions, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=12$/);
  assert.deepEqual(result.got, [fromNode]);
});
