// The demo's connection panel in real Chromium: the client's status,
// profile, counters and a live latency chart (uPlot), and the server panel
// polling GET /api/v1/stats.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';
import { assertDemoBuilt, demoSite, ConsoleWatch, openDemo, screenshot, until } from './support/demo.mjs';

let browser;
const watch = new ConsoleWatch();
after(async () => {
  await browser?.close();
  await stopAllServers();
});

const numberOf = async (page, testId) => Number((await page.getByTestId(testId).textContent()).replace(/[^\d.]/g, ''));

test('connection panel: status, profile, latency chart, counters; server panel from /api/v1/stats', { timeout: 90_000 }, async () => {
  assertDemoBuilt();
  const server = await startServer({ STATIC_DIR: demoSite });
  browser = await launchBrowser();
  const { page } = await openDemo(browser, `${server.httpUrl}/#connection`, 'Ada', { watch, viewport: { width: 1400, height: 1200 } });
  const { page: bob } = await openDemo(browser, `${server.httpUrl}/#chat`, 'Bob', { watch });
  await bob.getByTestId('chat-input').fill('ping from Bob');
  await bob.getByTestId('chat-send').click();

  assert.equal(await page.getByTestId('conn-state').textContent(), 'connected');
  // A production build gets the production profile from NODE_ENV, with no configuration.
  assert.equal(await page.getByTestId('conn-environment').textContent(), 'production');
  // The client pings every 2 s: the chart fills with round trips.
  await until(async () => Number(await page.getByTestId('latency-chart').getAttribute('data-samples')) >= 4, 'four latency samples', 20000);
  assert.match(await page.getByTestId('latency').textContent(), /^\d+ ms$/);
  assert.equal(await page.locator('[data-testid="latency-chart"] canvas').count(), 1, 'drawn by uPlot');
  assert.ok(await numberOf(page, 'conn-sent') > 0);
  assert.ok(await numberOf(page, 'conn-received') > 0);
  assert.equal(await page.getByTestId('queued-count').textContent(), '0');
  assert.equal(await page.getByTestId('conn-reconnects').textContent(), '0');

  // The server panel: both pages connected, their rooms, the agents' sessions.
  const text = (testId) => page.getByTestId(testId).textContent();
  await until(async () => (await text('server-connections')) === '2', 'two connections');
  await until(async () => (await text('server-sessions')) === '3', "the three examples' sessions");
  await until(async () => (await text('server-agents')) === '18', 'nine agents per page');
  assert.ok(await numberOf(page, 'server-rooms') >= 5, 'the chat and whiteboard rooms');
  await until(async () => /^\d+\.\d$/.test(await page.getByTestId('server-rate').textContent()), 'a messages/s figure');
  await screenshot(page, 'connection.png');

  assert.deepEqual(watch.unexpected(), [], 'no console errors');
});
