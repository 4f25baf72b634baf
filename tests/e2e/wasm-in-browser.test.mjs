// The wasm core loads in a real browser and answers like the native build.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, stopAllServers, repoRoot } from '../integration/support/server.mjs';
import { launchBrowser } from './support/browser.mjs';

const site = mkdtempSync(path.join(tmpdir(), 'brolostack-e2e-'));
let browser;
after(async () => {
  await browser?.close();
  await stopAllServers();
  rmSync(site, { recursive: true, force: true });
});

test('the wasm core decodes and encodes the corpus in Chromium exactly as the native build', async () => {
  copyFileSync(path.join(repoRoot, 'tests/e2e/pages/codec.html'), path.join(site, 'index.html'));
  copyFileSync(path.join(repoRoot, 'build-wasm/wasm-client/brolostack_core.js'), path.join(site, 'brolostack_core.js'));
  copyFileSync(path.join(repoRoot, 'tests/corpus/frames.json'), path.join(site, 'frames.json'));
  const server = await startServer({ STATIC_DIR: site });
  browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${server.httpUrl}/`);
  await page.waitForFunction(() => window.codecResults || window.codecError, null, { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.codecError), undefined);
  const inBrowser = await page.evaluate(() => window.codecResults);

  const frames = JSON.parse(readFileSync(path.join(site, 'frames.json'), 'utf8'));
  const native = spawnSync(path.join(repoRoot, 'build/bin/brolostack-codec'), {
    input: frames.map((f) => JSON.stringify(f)).join('\n') + '\n', encoding: 'utf8',
  });
  assert.equal(native.status, 0, native.stderr);
  const expected = native.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(inBrowser.length, frames.length);
  assert.deepEqual(inBrowser, expected);
});
