// The demo page served at / (the React app, build/web-demo): people chat
// across rooms in real Chromium, each in a browser context of their own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAllServers } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';
import {
  assertDemoBuilt, demoSite, ConsoleWatch, openDemo, screenshot, until, messageTexts, memberNames,
} from './support/demo.mjs';

let browser;
const watch = new ConsoleWatch();
after(async () => {
  await browser?.close();
  await stopAllServers();
});

test('two people chat: presence, sender and time, unread counts, history on join, an HTTP publish; no console errors', { timeout: 90_000 }, async () => {
  assertDemoBuilt();
  const server = await startServer({ STATIC_DIR: demoSite });
  browser = await launchBrowser();

  const { page: ada } = await openDemo(browser, server.httpUrl, 'Ada', { watch });
  const { page: bob, context: bobContext } = await openDemo(browser, server.httpUrl, 'Bob', { watch });

  // Presence: each sees the other in #general, live.
  await ada.getByTestId('member-list').getByText('Bob').waitFor({ timeout: 5000 });
  await bob.getByTestId('member-list').getByText('Ada').waitFor({ timeout: 5000 });
  assert.deepEqual((await memberNames(ada)).sort(), ['Ada', 'Bob']);
  assert.deepEqual(await ada.getByTestId('room-list').locator('.room-name').allInnerTexts(), ['general', 'random', 'engineering']);

  // A message with its sender and time, shown once to its sender (echo replaces the pending copy).
  await ada.getByTestId('chat-input').fill('Hello team!');
  await ada.getByTestId('chat-send').click();
  const atBob = bob.getByTestId('chat-messages').locator('[data-testid="chat-message"]', { hasText: 'Hello team!' });
  await atBob.waitFor({ timeout: 5000 });
  assert.equal(await atBob.getByTestId('message-author').innerText(), 'Ada');
  assert.match(await atBob.getByTestId('message-time').innerText(), /\d{1,2}:\d{2}/);
  await until(async () => (await ada.getByTestId('chat-pending').count()) === 0, 'the pending copy to go');
  assert.deepEqual(await messageTexts(ada), ['Hello team!']);

  await bob.getByTestId('chat-input').fill('Hi Ada, the build is green');
  await bob.getByTestId('chat-input').press('Enter');
  await ada.getByTestId('chat-messages').getByText('Hi Ada, the build is green').waitFor({ timeout: 5000 });

  // Unread counts: Bob reads #random while Ada writes in #general.
  await bob.getByTestId('room-random').click();
  await bob.locator('.room-view[data-room="random"]').waitFor({ timeout: 5000 });
  await ada.getByTestId('chat-input').fill('Standup in 5 minutes');
  await ada.getByTestId('chat-send').click();
  await ada.getByTestId('chat-input').fill('Agenda: the release');
  await ada.getByTestId('chat-send').click();
  const unread = bob.getByTestId('room-general').getByTestId('unread-count');
  await until(async () => (await unread.count()) === 1 && (await unread.innerText()) === '2', 'two unread in #general');
  assert.equal(await bob.getByTestId('nav-unread').innerText(), '2');
  assert.equal(await bob.getByTestId('room-random').getByTestId('unread-count').count(), 0);
  await screenshot(bob, 'chat-unread.png');
  await bob.getByTestId('room-general').click();
  await unread.waitFor({ state: 'detached', timeout: 5000 });

  // A backend publishes over HTTP: it reaches the room like any message.
  const res = await fetch(`${server.httpUrl}/api/v1/publish`, {
    method: 'POST',
    body: JSON.stringify({ room: 'general', event: 'message', data: { content: 'Deploy finished', author: 'ci-bot' } }),
  });
  assert.equal(res.status, 200);
  const fromApi = bob.getByTestId('chat-messages').locator('[data-testid="chat-message"]', { hasText: 'Deploy finished' });
  await fromApi.waitFor({ timeout: 5000 });
  assert.equal(await fromApi.getByTestId('message-author').innerText(), 'ci-bot');

  // A latecomer gets the room's history on join, and everyone in the member list.
  const { page: cyd } = await openDemo(browser, server.httpUrl, 'Cyd', { watch });
  await cyd.getByTestId('chat-messages').getByText('Deploy finished').waitFor({ timeout: 5000 });
  assert.deepEqual(await messageTexts(cyd),
    ['Hello team!', 'Hi Ada, the build is green', 'Standup in 5 minutes', 'Agenda: the release', 'Deploy finished']);
  await until(async () => (await memberNames(cyd)).length === 3, 'three members');
  await ada.getByTestId('member-list').getByText('Cyd').waitFor({ timeout: 5000 });
  await screenshot(ada, 'chat-two-users.png');

  // Bob leaves: gone from the others' member lists.
  await bobContext.close();
  await ada.getByTestId('member-list').getByText('Bob').waitFor({ state: 'detached', timeout: 5000 });
  assert.deepEqual((await memberNames(ada)).sort(), ['Ada', 'Cyd']);

  assert.deepEqual(watch.unexpected(), [], 'no console errors on any page');
});
