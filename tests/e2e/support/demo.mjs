// The demo page (build/web-demo, built by `make build`) in real Chromium:
// opening it as a named user, watching every page's console, screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../integration/support/server.mjs';

export const demoSite = path.join(repoRoot, 'build', 'web-demo');
export const shotsDir = path.join(repoRoot, 'build', 'e2e');

export function assertDemoBuilt() {
  if (!existsSync(path.join(demoSite, 'index.html'))) {
    throw new Error(`no demo build at ${demoSite}: run \`make build\` (or node scripts/build-web-demo.mjs)`);
  }
}

/** Console errors and uncaught exceptions of every page opened through it. */
export class ConsoleWatch {
  constructor() { this.entries = []; }

  attach(page, label) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.entries.push({ label, at: Date.now(), text: message.text() });
    });
    page.on('pageerror', (error) => this.entries.push({ label, at: Date.now(), text: `uncaught: ${error.message}` }));
  }

  /** Every entry not excused by `allow(entry)`. */
  unexpected(allow = () => false) {
    return this.entries.filter((e) => !allow(e));
  }
}

/** What Chromium itself logs while a server is unreachable: a refused WebSocket or fetch. */
export const isNetworkRefusal = (entry) =>
  /WebSocket connection to '.*' failed|net::ERR_CONNECTION_(REFUSED|RESET|CLOSED)|Failed to load resource/.test(entry.text);

/**
 * A new browser context (its own storage: another person) with the demo
 * open at `url`, named `name`, connected.
 */
export async function openDemo(browser, url, name, { watch, viewport = { width: 1400, height: 900 }, timeout = 15000 } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  watch?.attach(page, name);
  await page.goto(url);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('name-submit').click();
  await waitConnected(page, timeout);
  return { context, page };
}

export function waitConnected(page, timeout = 15000) {
  return page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout });
}

/** Shows a panel (#chat, #whiteboard, #agents, #connection). */
export async function showPanel(page, name) {
  await page.getByTestId(`nav-${name}`).click();
  await page.locator(`section[aria-label="${name[0].toUpperCase()}${name.slice(1)}"]:not([hidden])`).waitFor({ timeout: 5000 });
}

export async function screenshot(page, file) {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, file) });
}

/** Resolves once `predicate()` holds (it may be async); rejects after `ms`. */
export async function until(predicate, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The texts of the chat messages shown on the page. */
export function messageTexts(page) {
  return page.getByTestId('chat-messages').locator('[data-testid="chat-message"] .message-text').allInnerTexts();
}

export function memberNames(page) {
  return page.getByTestId('member-list').locator('.member-name').allInnerTexts();
}
