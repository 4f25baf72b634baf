// The demo page served at / : two people chat in a room in real Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, stopAllServers, repoRoot } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';

let browser;
after(async () => {
  await browser?.close();
  await stopAllServers();
});

async function openChat(url, name) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('#status[data-state="connected"]').waitFor({ timeout: 10000 });
  await page.fill('#name', name);
  await page.fill('#room', 'general');
  await page.click('#join-form button');
  await page.locator('#text:not([disabled])').waitFor({ timeout: 10000 });
  return page;
}

test('two browsers chat through the server, with presence and history', async () => {
  const server = await startServer({ STATIC_DIR: path.join(repoRoot, 'build/web-demo') });
  browser = await launchBrowser();

  const ada = await openChat(server.httpUrl, 'Ada');
  const bob = await openChat(server.httpUrl, 'Bob');
  await ada.locator('#members li', { hasText: 'Bob' }).waitFor({ timeout: 5000 });

  await ada.fill('#text', 'Hello team!');
  await ada.press('#text', 'Enter');
  const line = bob.locator('#messages li', { hasText: 'Hello team!' });
  await line.waitFor({ timeout: 5000 });
  assert.match(await line.innerText(), /Ada/);
  // The sender sees its own message once (echo), not twice.
  await ada.locator('#messages li', { hasText: 'Hello team!' }).waitFor({ timeout: 5000 });
  assert.equal(await ada.locator('#messages li', { hasText: 'Hello team!' }).count(), 1);
  assert.deepEqual(await ada.locator('#rooms li').allInnerTexts(), ['# general']);

  // A backend publish over HTTP reaches the page too.
  const res = await fetch(`${server.httpUrl}/api/v1/publish`, {
    method: 'POST',
    body: JSON.stringify({ room: 'general', event: 'message', data: { content: 'deploy done', author: 'ci' } }),
  });
  assert.equal(res.status, 200);
  await bob.locator('#messages li', { hasText: 'deploy done' }).waitFor({ timeout: 5000 });

  // A latecomer sees what was said before it joined.
  const cyd = await openChat(server.httpUrl, 'Cyd');
  await cyd.locator('#messages li', { hasText: 'Hello team!' }).waitFor({ timeout: 5000 });
  assert.equal(await cyd.locator('#members li').count(), 3);

  await bob.close();
  await ada.locator('#members li', { hasText: 'Bob' }).waitFor({ state: 'detached', timeout: 5000 });
  if (process.env.BROLOSTACK_SCREENSHOT) await ada.screenshot({ path: process.env.BROLOSTACK_SCREENSHOT });
});

test('a message typed while the server is down reaches the room once, when it is back', async () => {
  const site = path.join(repoRoot, 'build/web-demo');
  const first = await startServer({ STATIC_DIR: site });
  browser ??= await launchBrowser();
  const ada = await openChat(first.httpUrl, 'Ada');
  const bob = await openChat(first.httpUrl, 'Bob');
  await ada.locator('#members li', { hasText: 'Bob' }).waitFor({ timeout: 5000 });

  await first.stop();
  await ada.locator('#status:not([data-state="connected"])').waitFor({ timeout: 5000 });
  await ada.fill('#text', 'typed while offline');
  await ada.press('#text', 'Enter');
  await ada.locator('#status', { hasText: '1 waiting' }).waitFor({ timeout: 5000 });
  await ada.locator('#messages .pending', { hasText: 'typed while offline' }).waitFor({ timeout: 5000 });

  await startServer({ STATIC_DIR: site }, { port: first.port });
  const delivered = bob.locator('#messages li', { hasText: 'typed while offline' });
  await delivered.waitFor({ timeout: 30000 });
  await ada.locator('#messages .pending').waitFor({ state: 'detached', timeout: 10000 });
  await ada.locator('#status[data-state="connected"]').waitFor({ timeout: 10000 });
  assert.equal(await delivered.count(), 1);
  assert.equal(await ada.locator('#messages li', { hasText: 'typed while offline' }).count(), 1);
  assert.match(await delivered.innerText(), /Ada/);
});
