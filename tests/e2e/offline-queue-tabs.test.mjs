// The offline queue in a real browser: localStorage, Web Locks, reloads and
// several tabs of one origin. Messages queued while the server is away
// reach it exactly once and in order per tab, whichever tab delivers them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, stopAllServers, repoRoot } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';
import { bundleForBrowser } from './support/bundle.mjs';

const site = mkdtempSync(path.join(tmpdir(), 'brolostack-e2e-tabs-'));
let browser;
after(async () => {
  await browser?.close();
  await stopAllServers();
  rmSync(site, { recursive: true, force: true });
});

async function until(predicate, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('queues of a reloaded tab and a closed tab are delivered once, in order, by one live tab each', async () => {
  copyFileSync(path.join(repoRoot, 'tests/e2e/pages/client.html'), path.join(site, 'client.html'));
  await bundleForBrowser(path.join(repoRoot, 'tests/e2e/pages/client-page.mjs'), path.join(site, 'client-page.js'));
  // One server hosts the page (its origin, hence its storage, stays put);
  // the real-time server is away at first, on a port of its own.
  const host = await startServer({ STATIC_DIR: site });
  const vacant = await startServer();
  await vacant.stop();
  const wsUrl = `ws://127.0.0.1:${vacant.port}/ws`;
  const pageUrl = `${host.httpUrl}/client.html?ws=${encodeURIComponent(wsUrl)}`;

  browser = await launchBrowser();
  const context = await browser.newContext();
  const open = async () => {
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(() => document.getElementById('out').textContent === 'ready');
    return page;
  };
  const stored = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('brolostack:queue:')));
  const queue = (page, tab) => page.evaluate((t) => {
    window.client.joinRoom('ops').catch(() => {});
    for (let i = 0; i < 5; i += 1) window.client.sendToRoom('ops', 'step', { tab: t, i }).catch(() => {});
  }, tab);

  const tabA = await open();
  const tabB = await open();
  assert.equal(await tabA.evaluate(() => window.isSecureContext && typeof navigator.locks?.request), 'function');
  await queue(tabA, 'A');
  await queue(tabB, 'B');
  await until(async () => (await stored(tabA)).length === 2, 'one stored queue per tab');

  // Both tabs are alive: neither takes the other's queue.
  assert.deepEqual(await tabA.evaluate(() => window.client.adoptOrphans()), 0);
  assert.deepEqual(await tabB.evaluate(() => window.client.adoptOrphans()), 0);

  // A reloads (its queue is left behind by the old page); B is closed; C opens.
  await tabA.reload();
  await tabA.waitForFunction(() => document.getElementById('out').textContent === 'ready');
  await tabB.close();
  const tabC = await open();

  // The server comes back; the live tabs connect and deliver what was queued.
  const server = await startServer({}, { port: vacant.port });
  await until(async () => (await stored(tabA)).length === 0, 'every stored queue to be delivered');
  const history = await (await fetch(`${server.httpUrl}/api/v1/rooms/ops/history?limit=100`)).json();
  const steps = history.messages.map((m) => `${m.data.tab}${m.data.i}`);
  assert.deepEqual(steps.filter((s) => s.startsWith('A')), ['A0', 'A1', 'A2', 'A3', 'A4'], 'A: once each, in order');
  assert.deepEqual(steps.filter((s) => s.startsWith('B')), ['B0', 'B1', 'B2', 'B3', 'B4'], 'B: once each, in order');
  assert.equal(steps.length, 10);
  const restored = [...await tabA.evaluate(() => window.restored), ...await tabC.evaluate(() => window.restored)];
  assert.equal(restored.reduce((n, r) => n + r.messages, 0), 10, 'each queue was taken over by exactly one tab');
});
