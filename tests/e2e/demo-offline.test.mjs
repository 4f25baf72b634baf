// The demo cut off for real: a TCP proxy in front of the server carries
// Ada's WebSocket (?ws=), her page comes from the server itself. The test
// closes the proxy (Chromium's offline emulation would leave the socket
// open), Ada writes three messages, reloads, and gets her connection back
// through the proxy: Bob receives each message exactly once. Then a drop
// without a reload: Ada recovers what Bob said while she was away.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';
import { startTcpProxy } from './support/tcp-proxy.mjs';
import {
  assertDemoBuilt, demoSite, ConsoleWatch, isNetworkRefusal, openDemo, screenshot, until, waitConnected, messageTexts, memberNames,
} from './support/demo.mjs';

let browser;
let proxy;
const watch = new ConsoleWatch();
after(async () => {
  await browser?.close();
  await proxy?.close();
  await stopAllServers();
});

const OFFLINE = ['offline one', 'offline two', 'offline three'];
const count = (texts, text) => texts.filter((t) => t === text).length;

test('three messages typed while cut off survive a reload and reach the other person once each; a drop is recovered', { timeout: 120_000 }, async () => {
  assertDemoBuilt();
  const server = await startServer({ STATIC_DIR: demoSite });
  proxy = await startTcpProxy(server.port);
  browser = await launchBrowser();
  const outages = [];  // [from, to]: when Ada's page may log refused connections

  const { page: ada } = await openDemo(browser, `${server.httpUrl}/?ws=${encodeURIComponent(proxy.wsUrl)}`, 'Ada', { watch });
  const { page: bob } = await openDemo(browser, server.httpUrl, 'Bob', { watch });
  await ada.getByTestId('member-list').getByText('Bob').waitFor({ timeout: 5000 });
  await bob.getByTestId('member-list').getByText('Ada').waitFor({ timeout: 5000 });
  await ada.getByTestId('chat-input').fill('before the outage');
  await ada.getByTestId('chat-send').click();
  await bob.getByTestId('chat-messages').getByText('before the outage').waitFor({ timeout: 5000 });

  // Cut off: her status says so, Bob sees her leave.
  let from = Date.now();
  await proxy.cut();
  await ada.locator('[data-testid="connection-status"]:not([data-state="connected"])').waitFor({ timeout: 10000 });
  await bob.getByTestId('member-list').getByText('Ada').waitFor({ state: 'detached', timeout: 10000 });

  // Three messages wait in her client's queue, shown as queued.
  for (const text of OFFLINE) {
    await ada.getByTestId('chat-input').fill(text);
    await ada.getByTestId('chat-input').press('Enter');
  }
  await until(async () => (await ada.locator('[data-testid="chat-pending"][data-state="queued"]').count()) === 3, 'three queued messages');
  await until(async () => (await ada.getByTestId('queued-count').textContent()) === '3', 'queued-count 3');
  assert.equal(await ada.getByTestId('header-queued').innerText(), '3 queued');
  await screenshot(ada, 'offline-queued.png');

  // A reload while still cut off: the queue (localStorage) and the pending
  // list (sessionStorage) survive it.
  await ada.reload();
  await ada.getByTestId('chat-messages').waitFor({ timeout: 10000 });
  await until(async () => (await ada.locator('[data-testid="chat-pending"]').count()) === 3, 'the queued messages shown after the reload');
  // The new page's client took the old page's queue over: its three
  // messages, beside the new page's own joins and registrations (the
  // client's queue counts every request).
  await ada.locator('[data-testid="queue-restored"][data-count="3"]').waitFor({ timeout: 10000 });
  assert.ok(Number(await ada.getByTestId('queued-count').textContent()) >= 3, 'the restored messages are in the queue');
  assert.notEqual(await ada.getByTestId('connection-status').getAttribute('data-state'), 'connected');
  await screenshot(ada, 'offline-reloaded.png');

  // The connection comes back through the proxy: each message once, in order.
  await proxy.restore();
  await waitConnected(ada, 20000);
  outages.push([from, Date.now()]);
  await until(async () => (await messageTexts(bob)).includes(OFFLINE[2]), 'Bob to receive the queued messages', 15000);
  await until(async () => (await ada.getByTestId('chat-pending').count()) === 0, "Ada's pending messages delivered", 10000);
  await new Promise((r) => setTimeout(r, 1500));  // a duplicate would have arrived by now
  const atBob = await messageTexts(bob);
  for (const text of OFFLINE) assert.equal(count(atBob, text), 1, `Bob has "${text}" exactly once`);
  assert.deepEqual(atBob.filter((t) => OFFLINE.includes(t)), OFFLINE, 'in the order typed');
  const atAda = await messageTexts(ada);
  for (const text of OFFLINE) assert.equal(count(atAda, text), 1, `Ada has "${text}" exactly once`);
  assert.equal(await ada.getByTestId('queued-count').textContent(), '0');
  // Back in Bob's member list, with her name.
  await bob.getByTestId('member-list').getByText('Ada').waitFor({ timeout: 10000 });
  await screenshot(bob, 'offline-delivered.png');

  // A drop without a reload: what Bob says meanwhile reaches Ada once she is back.
  from = Date.now();
  await proxy.cut();
  await ada.locator('[data-testid="connection-status"]:not([data-state="connected"])').waitFor({ timeout: 10000 });
  await bob.getByTestId('chat-input').fill('said while you were away');
  await bob.getByTestId('chat-send').click();
  await bob.getByTestId('chat-messages').locator('[data-testid="chat-message"]', { hasText: 'said while you were away' }).waitFor({ timeout: 5000 });
  await proxy.restore();
  await waitConnected(ada, 20000);
  outages.push([from, Date.now()]);
  await ada.getByTestId('chat-messages').getByText('said while you were away').waitFor({ timeout: 10000 });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(count(await messageTexts(ada), 'said while you were away'), 1);
  assert.equal(await ada.getByTestId('conn-reconnects').textContent(), '1', 'one reconnect since the reload');
  await until(async () => (await memberNames(bob)).includes('Ada'), 'Ada named again in Bob\'s member list', 10000);
  assert.deepEqual((await memberNames(ada)).sort(), ['Ada', 'Bob']);

  const excused = (e) => e.label === 'Ada' && isNetworkRefusal(e) && outages.some(([a, b]) => e.at >= a - 1000 && e.at <= b + 1000);
  assert.deepEqual(watch.unexpected(excused), [], 'no console errors (but the refused connections of the outages)');
});
