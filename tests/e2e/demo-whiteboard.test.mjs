// The demo's whiteboard in real Chromium: strokes and live cursors between
// browser contexts; a tab cut off (a TCP proxy that drops it) catches up
// on what was drawn meanwhile, and a tab opened later replays the board.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';
import { startTcpProxy } from './support/tcp-proxy.mjs';
import {
  assertDemoBuilt, demoSite, ConsoleWatch, isNetworkRefusal, openDemo, showPanel, screenshot, until, waitConnected,
} from './support/demo.mjs';

let browser;
let proxy;
const watch = new ConsoleWatch();
after(async () => {
  await browser?.close();
  await proxy?.close();
  await stopAllServers();
});

/** Draws a stroke with the mouse: a wave across the board from (fx, fy) to (tx, ty), in fractions of its size. */
async function draw(page, [fx, fy], [tx, ty]) {
  const box = await page.getByTestId('whiteboard').boundingBox();
  const at = (x, y) => [box.x + box.width * x, box.y + box.height * y];
  await page.mouse.move(...at(fx, fy));
  await page.mouse.down();
  for (let i = 1; i <= 24; i += 1) {
    const t = i / 24;
    await page.mouse.move(...at(fx + (tx - fx) * t, fy + (ty - fy) * t + Math.sin(t * Math.PI * 2) * 0.06));
  }
  await page.mouse.up();
}

const strokeCount = (page) => page.getByTestId('whiteboard').locator('path[data-stroke]').count();

test('strokes and cursors between tabs; a tab cut off catches up, a new tab replays the board', { timeout: 90_000 }, async () => {
  assertDemoBuilt();
  const server = await startServer({ STATIC_DIR: demoSite });
  proxy = await startTcpProxy(server.port);
  browser = await launchBrowser();

  const { page: ada } = await openDemo(browser, `${server.httpUrl}/#whiteboard`, 'Ada', { watch });
  // Bob's WebSocket goes through the proxy (?ws=), his page comes from the server.
  const { page: bob } = await openDemo(browser, `${server.httpUrl}/?ws=${encodeURIComponent(proxy.wsUrl)}#whiteboard`, 'Bob', { watch });
  await bob.getByTestId('whiteboard-people').getByText('2 on the board').waitFor({ timeout: 5000 });

  // A stroke drawn by Ada appears on Bob's board, by Ada.
  await draw(ada, [0.12, 0.3], [0.55, 0.35]);
  await until(async () => (await strokeCount(bob)) === 1, "Ada's stroke on Bob's board", 5000);
  assert.equal(await bob.getByTestId('whiteboard').locator('path[data-stroke]').getAttribute('data-author'), 'Ada');
  assert.equal(await strokeCount(ada), 1);

  // Her cursor moves on his board, with her name.
  const box = await ada.getByTestId('whiteboard').boundingBox();
  for (let i = 0; i < 8; i += 1) await ada.mouse.move(box.x + box.width * (0.6 + i * 0.01), box.y + box.height * 0.62);
  await bob.locator('[data-testid="remote-cursor"][data-name="Ada"]').waitFor({ timeout: 5000 });
  await bob.getByRole('button', { name: 'Colour #db2777' }).click();
  await bob.getByRole('button', { name: 'Width 18' }).click();
  await draw(bob, [0.2, 0.7], [0.8, 0.72]);
  await until(async () => (await strokeCount(ada)) === 2, "Bob's stroke on Ada's board", 5000);
  const bobsStroke = ada.getByTestId('whiteboard').locator('path[data-author="Bob"]');
  assert.deepEqual([await bobsStroke.getAttribute('stroke'), await bobsStroke.getAttribute('stroke-width')], ['#db2777', '18'], 'in his colour and width');
  for (let i = 0; i < 6; i += 1) await ada.mouse.move(box.x + box.width * (0.66 + i * 0.01), box.y + box.height * 0.5);
  await bob.locator('[data-testid="remote-cursor"][data-name="Ada"]').waitFor({ timeout: 5000 });
  await screenshot(bob, 'whiteboard.png');

  // Bob is cut off; Ada draws meanwhile; once back, Bob has what he missed.
  await proxy.cut();
  await bob.locator('[data-testid="connection-status"]:not([data-state="connected"])').waitFor({ timeout: 10000 });
  const cutAt = Date.now();
  await draw(ada, [0.6, 0.15], [0.9, 0.45]);
  await until(async () => (await strokeCount(ada)) === 3, "Ada's third stroke", 5000);
  assert.equal(await strokeCount(bob), 2, 'Bob, offline, has not seen it');
  await proxy.restore();
  await waitConnected(bob);
  const backAt = Date.now();
  await until(async () => (await strokeCount(bob)) === 3, 'Bob to catch up after reconnecting', 10000);

  // A tab opened now replays the whole board from the room's history.
  const { page: cyd } = await openDemo(browser, `${server.httpUrl}/#whiteboard`, 'Cyd', { watch });
  await until(async () => (await strokeCount(cyd)) === 3, 'the board replayed for a new tab', 10000);
  await showPanel(cyd, 'whiteboard');

  // Clearing reaches everyone.
  await ada.getByTestId('whiteboard-clear').click();
  for (const page of [ada, bob, cyd]) await until(async () => (await strokeCount(page)) === 0, 'an empty board', 5000);

  // Only Bob's page, and only while it was cut off, may log Chromium's own
  // "connection refused" lines.
  const excused = (e) => e.label === 'Bob' && isNetworkRefusal(e) && e.at >= cutAt - 1000 && e.at <= backAt + 1000;
  assert.deepEqual(watch.unexpected(excused), [], 'no console errors');
});
