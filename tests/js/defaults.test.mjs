// What a client without `environment` and without `url` uses: in a browser
// bundle, what the bundler wrote in for process.env.NODE_ENV and WS_URL,
// else the page's origin; in Node, the process environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { build } from 'esbuild';
import { repoRoot } from '../integration/support/server.mjs';

const run = promisify(execFile);

// The client's defaults as a page sees them: the package bundled for
// browsers (as Vite, webpack and Next.js do, each defining NODE_ENV), run
// where there is no `process`, only a page location.
async function defaultsInPage({ define = {}, href = 'https://app.example.com/chat' } = {}) {
  const probe = `
    import { detectEnvironment, defaultEndpoint, PROFILES } from 'brolostack/client';
    const environment = detectEnvironment();
    globalThis.result = { environment, url: defaultEndpoint(), profile: PROFILES[environment] };
  `;
  const bundled = await build({
    stdin: { contents: probe, resolveDir: repoRoot, loader: 'js' },
    bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'silent', define,
  });
  const context = { location: new URL(href) };
  vm.runInNewContext(bundled.outputFiles[0].text, context);
  assert.equal(typeof context.process, 'undefined', 'the page has no process object');
  return context.result;
}

test('a production build (NODE_ENV defined by the bundler) gets the production profile', async () => {
  const page = await defaultsInPage({ define: { 'process.env.NODE_ENV': '"production"' } });
  assert.equal(page.environment, 'production');
  assert.equal(page.profile.persist, true, 'offline persistence, as the seed promises for production');
  assert.equal(page.profile.reconnectionAttempts, 10);
});

test('a bundle nobody defined anything for runs as development and connects to its own origin', async () => {
  const page = await defaultsInPage({ href: 'https://app.example.com:8443/chat?x=1' });
  assert.equal(page.environment, 'development');
  assert.equal(page.url, 'wss://app.example.com:8443/ws');
  const plain = await defaultsInPage({ href: 'http://localhost:5173/' });
  assert.equal(plain.url, 'ws://localhost:5173/ws');
});

test('WS_URL and BROLOSTACK_ENV written in at build time win', async () => {
  const page = await defaultsInPage({ define: {
    'process.env.WS_URL': '"wss://ws.example.com/ws"',
    'process.env.BROLOSTACK_ENV': '"staging"',
    'process.env.NODE_ENV': '"production"',
  } });
  assert.equal(page.url, 'wss://ws.example.com/ws');
  assert.equal(page.environment, 'staging');
});

test('in Node the process environment decides: BROLOSTACK_ENV, then NODE_ENV; WS_URL, then localhost', async () => {
  const probe = `
    import { BrolostackWSClientside } from './js/src/index.mjs';
    const c = new BrolostackWSClientside({ autoConnect: false, storage: null });
    console.log(JSON.stringify({ env: c.config.environment, url: c.config.url, attempts: c.config.reconnectionAttempts }));
  `;
  const inNode = async (env) => {
    const clean = { ...process.env };
    for (const k of ['BROLOSTACK_ENV', 'NODE_ENV', 'WS_URL']) delete clean[k];
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: repoRoot, env: { ...clean, ...env } });
    return JSON.parse(stdout);
  };
  assert.deepEqual(await inNode({}), { env: 'development', url: 'ws://localhost:3001/ws', attempts: 5 });
  assert.deepEqual(await inNode({ NODE_ENV: 'production', WS_URL: 'wss://ws.example.com' }),
    { env: 'production', url: 'wss://ws.example.com/ws', attempts: 10 });
  assert.deepEqual(await inNode({ NODE_ENV: 'production', BROLOSTACK_ENV: 'test' }), { env: 'test', url: 'ws://localhost:3001/ws', attempts: 3 });
  // An environment name outside the table (NODE_ENV=local) is not a profile: development.
  assert.equal((await inNode({ NODE_ENV: 'local' })).env, 'development');
});

test('the package installs no handlers on the host process', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `
    const count = () => ['uncaughtException', 'unhandledRejection', 'exit'].map((e) => process.listenerCount(e));
    const before = count();
    const { loadCore } = await import('./js/src/index.mjs');
    await loadCore();
    console.log(JSON.stringify({ before, after: count() }));
  `], { cwd: repoRoot });
  const { before, after } = JSON.parse(stdout);
  assert.deepEqual(after, before);
});
