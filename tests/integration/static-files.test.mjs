// The page and its assets as a browser fetches them from STATIC_DIR:
// content types, validators, revalidation with 304, year-long caching of
// bundler-hashed assets, and nothing from outside the folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startServer, stopAllServers } from './support/server.mjs';

const site = mkdtempSync(path.join(tmpdir(), 'brolostack-static-'));
mkdirSync(path.join(site, 'assets'));
writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>demo</title>');
writeFileSync(path.join(site, 'assets', 'index-BxY12ab3.js'), 'console.log(1)');
writeFileSync(path.join(path.dirname(site), `outside-${path.basename(site)}.txt`), 'secret');

after(async () => {
  await stopAllServers();
  rmSync(site, { recursive: true, force: true });
  rmSync(path.join(path.dirname(site), `outside-${path.basename(site)}.txt`), { force: true });
});

test('the page revalidates with its ETag and gets 304; hashed assets are cached for a year', async () => {
  const server = await startServer({ STATIC_DIR: site });
  const page = await fetch(`${server.httpUrl}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  const etag = page.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.equal(await page.text(), '<!doctype html><title>demo</title>');

  const again = await fetch(`${server.httpUrl}/`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('etag'), etag);
  assert.equal(await again.text(), '');

  const asset = await fetch(`${server.httpUrl}/assets/index-BxY12ab3.js`);
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
});

test('no path leaves the folder, however it is spelled', async () => {
  const server = await startServer({ STATIC_DIR: site });
  const name = `outside-${path.basename(site)}.txt`;
  // Raw requests: fetch would normalize the dots away before sending.
  for (const target of [`/../${name}`, `/%2e%2e/${name}`, `/assets/..%2f..%2f${name}`, `/..%5c${name}`]) {
    const answer = await rawGet(server.port, target);
    assert.doesNotMatch(answer, /secret/, target);
    assert.match(answer, /^HTTP\/1\.1 (400|404)/, target);
  }
});

function rawGet(port, target) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`));
    let data = '';
    socket.on('data', (d) => { data += d; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(3000, () => { socket.destroy(); resolve(data); });
  });
}
