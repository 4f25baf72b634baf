// The npm package as Node users install it: packed by npm (so `files`,
// `exports` and `imports` are what ships), unpacked into fresh projects'
// node_modules beside the peers each project chose, then loaded through
// every entry (CommonJS and ESM, with and without React, with and without
// `ws`) and used against the real server. Browser bundlers are checked by
// tests/examples.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startServer, stopAllServers } from '../integration/support/server.mjs';

const run = promisify(execFile);
let workdir;
let packed;
let tarball;

before(async () => {
  workdir = await mkdtemp(path.join(tmpdir(), 'brolostack-consumers-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workdir], { cwd: path.join(repoRoot, 'js') });
  [packed] = JSON.parse(stdout);
  tarball = path.join(workdir, packed.filename);
});

after(async () => {
  await stopAllServers();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

/** A fresh project with the package unpacked in node_modules and the given peers beside it. */
async function project(name, peers) {
  const dir = path.join(workdir, name);
  const modules = path.join(dir, 'node_modules');
  await mkdir(path.join(modules, 'brolostack'), { recursive: true });
  await run('tar', ['xzf', tarball, '-C', path.join(modules, 'brolostack'), '--strip-components=1']);
  for (const peer of peers) {
    await mkdir(path.dirname(path.join(modules, peer)), { recursive: true });
    await symlink(path.join(repoRoot, 'node_modules', peer), path.join(modules, peer));
  }
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

/** Runs `source` as `file` in `dir`; its stdout is JSON. */
async function runIn(dir, file, source, { args = [], env = {} } = {}) {
  await writeFile(path.join(dir, file), source);
  const { stdout } = await run(process.execPath, [file, ...args], { cwd: dir, timeout: 20000, env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

test('the tarball holds the sources, both wasm builds, every entry and its types, and nothing else', async () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const expected of ['package.json', 'src/index.mjs', 'src/client.mjs', 'src/index.d.mts', 'src/platform/browser.mjs',
    'src/platform/node.mjs', 'dist/brolostack_core.cjs', 'dist/brolostack_core.mjs', 'dist/index.mjs', 'dist/node.mjs',
    'dist/index.d.mts', 'dist/index.cjs', 'dist/client.cjs', 'dist/index.d.cts', 'dist/react.mjs', 'dist/react.cjs',
    'dist/react.d.mts', 'dist/react.d.cts', 'dist/react-missing.mjs', 'dist/react-missing.cjs']) {
    assert.ok(files.includes(expected), `${expected} is shipped`);
  }
  assert.deepEqual(files.filter((f) => !/^(package\.json|src\/|dist\/)/.test(f)), []);
  const manifest = JSON.parse(await readFile(path.join(repoRoot, 'js', 'package.json'), 'utf8'));
  assert.ok(manifest.engines?.node, 'engines says which Node it needs');
  assert.ok(manifest.repository?.url && manifest.keywords?.length, 'repository and keywords are set');
  assert.ok(manifest.scripts?.prepack, 'npm pack builds what ships first');
  assert.deepEqual(manifest.peerDependenciesMeta, { react: { optional: true }, ws: { optional: true } });
  // Browser builds never reach Node built-ins: the browser condition comes first everywhere.
  assert.equal(Object.keys(manifest.exports['.'])[0], 'browser');
  assert.equal(Object.keys(manifest.imports['#platform'])[0], 'browser');
  const browserCore = await readFile(path.join(repoRoot, 'js', 'dist', 'brolostack_core.mjs'), 'utf8');
  assert.ok(!/\brequire\(|["']node:|\bfs\b\.|__dirname/.test(browserCore), 'the browser core holds no Node code');
  assert.match(await readFile(path.join(repoRoot, 'js', 'dist', 'react.mjs'), 'utf8'), /^'use client';/);
});

test('require() of every entry works with React installed, chats through the server, and shares one hook', async () => {
  const server = await startServer();
  const dir = await project('cjs-react', ['ws', 'react', 'react-dom']);
  const result = await runIn(dir, 'consumer.cjs', `
    const { BrolostackWSClientside, ARGSProtocolHandler, useBrolostackWebSocket } = require('brolostack');
    const react = require('brolostack/react');
    const { BrolostackWSClientside: Plain } = require('brolostack/client');
    (async () => {
      const client = new BrolostackWSClientside({ url: process.argv[2], storage: null });
      await client.joinRoom('cjs');
      const reply = await client.sendToRoom('cjs', 'hello', { from: 'require' });
      await client.destroy();
      console.log(JSON.stringify({
        offset: reply.offset,
        oneHook: react.useBrolostackWebSocket === useBrolostackWebSocket,
        provider: typeof react.BrolostackProvider,
        plain: Plain === BrolostackWSClientside,
        type: new ARGSProtocolHandler().createMessage('TASK_START', 's1', {}).type,
      }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `, { args: [server.wsUrl] });
  assert.deepEqual(result, { offset: 1, oneHook: true, provider: 'function', plain: true, type: 'TASK_START' });
});

test('import of every entry works with React installed, server rendering included, and shares one hook', async () => {
  const server = await startServer();
  const dir = await project('esm-react', ['ws', 'react', 'react-dom']);
  const result = await runIn(dir, 'consumer.mjs', `
    import { BrolostackWSClientside, useBrolostackWebSocket as fromMain } from 'brolostack';
    import { useBrolostackWebSocket, useRoom } from 'brolostack/react';
    import { createElement } from 'react';
    import { renderToString } from 'react-dom/server';
    const client = new BrolostackWSClientside({ url: process.argv[2], storage: null });
    await client.joinRoom('esm');
    const reply = await client.sendToRoom('esm', 'hello', { from: 'import' });
    await client.destroy();
    function Status() {
      const { connected } = useBrolostackWebSocket({ url: process.argv[2] });
      const { joined } = useRoom('esm');
      return createElement('p', null, String(connected) + '/' + String(joined));
    }
    console.log(JSON.stringify({ offset: reply.offset, html: renderToString(createElement(Status)), oneHook: fromMain === useBrolostackWebSocket }));
  `, { args: [server.wsUrl] });
  assert.deepEqual(result, { offset: 1, html: '<p>false/false</p>', oneHook: true });
});

test('in Node without React, the client works from both formats and the hooks say what to install', async () => {
  const server = await startServer();
  const dir = await project('node-no-react', ['ws']);
  // No url and no WebSocket given: WS_URL names the server and `ws` is found on its own.
  const esm = await runIn(dir, 'agent.mjs', `
    import { BrolostackWSClientside, useBrolostackWebSocket } from 'brolostack';
    const client = new BrolostackWSClientside({ storage: null });
    await client.connect();
    await client.joinRoom('no-react');
    const reply = await client.sendToRoom('no-react', 'hello', {});
    await client.destroy();
    let hookError = null;
    try { useBrolostackWebSocket({}); } catch (err) { hookError = err.message; }
    console.log(JSON.stringify({ offset: reply.offset, url: client.config.url, hookError }));
  `, { env: { WS_URL: server.wsUrl } });
  assert.equal(esm.offset, 1);
  assert.equal(esm.url, server.wsUrl);
  assert.match(esm.hookError, /useBrolostackWebSocket needs React: .*npm i react/);

  const cjs = await runIn(dir, 'agent.cjs', `
    const { BrolostackWSClientside, useRoom } = require('brolostack');
    (async () => {
      const client = new BrolostackWSClientside({ url: process.argv[2], storage: null });
      await client.joinRoom('no-react-cjs');
      const reply = await client.sendToRoom('no-react-cjs', 'hello', {});
      await client.destroy();
      let hookError = null;
      try { useRoom('x'); } catch (err) { hookError = err.message; }
      console.log(JSON.stringify({ offset: reply.offset, hookError }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `, { args: [server.wsUrl] });
  assert.equal(cjs.offset, 1);
  assert.match(cjs.hookError, /useRoom needs React/);
});

test('in Node 20 without ws and without a WebSocket, connect() says what to pass', async () => {
  const dir = await project('node-no-ws', []);
  const result = await runIn(dir, 'bare.mjs', `
    import { BrolostackWSClientside } from 'brolostack';
    const client = new BrolostackWSClientside({ url: 'ws://127.0.0.1:9/ws', autoConnect: false, storage: null });
    try { await client.connect(); console.log(JSON.stringify({ connected: true })); }
    catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }
  `);
  assert.equal(result.code, 'unavailable');
  assert.match(result.message, /install the 'ws' package \(npm i ws\) or pass one as \{ WebSocket \}/);
});

test('the types resolve under moduleResolution node, node16 and bundler', async () => {
  const dir = await project('types', ['@types/react']);
  await writeFile(path.join(dir, 'usage.mts'), `
    import { BrolostackWSClientside, useBrolostackWebSocket, type Room } from 'brolostack';
    import { useRoom, BrolostackProvider } from 'brolostack/react';
    const client = new BrolostackWSClientside({ url: 'wss://example.com', getToken: async () => 'jwt' });
    const room: Room = client.room('general');
    void room.publish('message', { text: 'hi' }).then((r) => r.offset.toFixed());
    void useBrolostackWebSocket; void useRoom; void BrolostackProvider;
    // @ts-expect-error getToken must be a function
    new BrolostackWSClientside({ getToken: 'jwt' });
  `);
  await writeFile(path.join(dir, 'usage.cts'), `
    import brolostack = require('brolostack');
    import react = require('brolostack/react');
    const client = new brolostack.BrolostackWSClientside({ url: 'ws://localhost:3001' });
    void client.room('general').presence().then((p) => p.memberCount.toFixed());
    const same: typeof react.useBrolostackWebSocket = brolostack.useBrolostackWebSocket;
    void same;
  `);
  await writeFile(path.join(dir, 'usage.ts'), `
    import { BrolostackWSClientside } from 'brolostack';
    import { useEvent } from 'brolostack/react';
    void new BrolostackWSClientside({}).once('connected', () => {});
    void useEvent;
  `);
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const common = ['--noEmit', '--strict', '--target', 'ES2022', '--skipLibCheck', 'false'];
  const modes = [
    ['node', ['--module', 'commonjs', '--moduleResolution', 'node', 'usage.ts']],
    ['node16', ['--module', 'node16', '--moduleResolution', 'node16', 'usage.mts', 'usage.cts']],
    ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler', 'usage.ts', 'usage.mts']],
  ];
  for (const [mode, args] of modes) {
    const result = await run(process.execPath, [tsc, ...common, ...args], { cwd: dir }).catch((err) => err);
    assert.equal(result.code ?? 0, 0, `tsc with moduleResolution ${mode}:\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
});
