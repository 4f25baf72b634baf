// The npm package as users install it: packed by npm (so `files` and
// `exports` are what ships), unpacked into a fresh project's node_modules,
// then loaded through both entries, CommonJS and ESM, with and without
// /react, and used against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startServer, stopAllServers } from '../integration/support/server.mjs';

const run = promisify(execFile);
let project;
let packed;

before(async () => {
  project = await mkdtemp(path.join(tmpdir(), 'brolostack-consumer-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: path.join(repoRoot, 'js') });
  [packed] = JSON.parse(stdout);
  const modules = path.join(project, 'node_modules');
  await mkdir(path.join(modules, 'brolostack'), { recursive: true });
  await run('tar', ['xzf', path.join(project, packed.filename), '-C', path.join(modules, 'brolostack'), '--strip-components=1']);
  // The peers a user installs beside it.
  for (const peer of ['ws', 'react', 'react-dom']) await symlink(path.join(repoRoot, 'node_modules', peer), path.join(modules, peer));
});

after(async () => {
  await stopAllServers();
  if (project) await rm(project, { recursive: true, force: true });
});

async function runInProject(file, source, url) {
  await writeFile(path.join(project, file), source);
  const { stdout } = await run(process.execPath, [file, url], { cwd: project, timeout: 20000 });
  return JSON.parse(stdout);
}

test('the tarball holds the sources, the wasm core, both entries and their types, and nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const expected of ['package.json', 'src/index.mjs', 'src/client.mjs', 'src/index.d.mts', 'dist/brolostack_core.cjs',
    'dist/brolostack_core.js', 'dist/index.mjs', 'dist/index.d.mts', 'dist/hook.mjs', 'dist/index.cjs', 'dist/index.d.cts',
    'dist/react.mjs', 'dist/react.cjs', 'dist/react.d.mts', 'dist/react.d.cts']) {
    assert.ok(files.includes(expected), `${expected} is shipped`);
  }
  assert.deepEqual(files.filter((f) => !/^(package\.json|src\/|dist\/)/.test(f)), []);
});

test('require("brolostack") and require("brolostack/react") work in CommonJS and chat through the server', async () => {
  const server = await startServer();
  const result = await runInProject('consumer.cjs', `
    const WebSocket = require('ws');
    const { BrolostackWSClientside, ARGSProtocolHandler } = require('brolostack');
    const { useBrolostackWebSocket } = require('brolostack/react');
    (async () => {
      const client = new BrolostackWSClientside({ url: process.argv[2], WebSocket, storage: null });
      await client.joinRoom('cjs');
      const reply = await client.sendToRoom('cjs', 'hello', { from: 'require' });
      const message = new ARGSProtocolHandler().createMessage('TASK_START', 's1', {});
      await client.destroy();
      const oneHook = require('brolostack').useBrolostackWebSocket === useBrolostackWebSocket;
      console.log(JSON.stringify({ offset: reply.offset, hook: typeof useBrolostackWebSocket, oneHook, type: message.type }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `, server.wsUrl);
  assert.deepEqual(result, { offset: 1, hook: 'function', oneHook: true, type: 'TASK_START' });
});

test('import from "brolostack" and "brolostack/react" works in ESM, server rendering included', async () => {
  const server = await startServer();
  const result = await runInProject('consumer.mjs', `
    import WebSocket from 'ws';
    import { BrolostackWSClientside, useBrolostackWebSocket as fromMain } from 'brolostack';
    import { useBrolostackWebSocket } from 'brolostack/react';
    import { createElement } from 'react';
    import { renderToString } from 'react-dom/server';
    const client = new BrolostackWSClientside({ url: process.argv[2], WebSocket, storage: null });
    await client.joinRoom('esm');
    const reply = await client.sendToRoom('esm', 'hello', { from: 'import' });
    await client.destroy();
    function Status() { const { connected } = useBrolostackWebSocket({ url: process.argv[2] }); return createElement('p', null, String(connected)); }
    console.log(JSON.stringify({ offset: reply.offset, html: renderToString(createElement(Status)), oneHook: fromMain === useBrolostackWebSocket }));
  `, server.wsUrl);
  // The seed imports the hook from 'brolostack' itself; both names are the same hook.
  assert.deepEqual(result, { offset: 1, html: '<p>false</p>', oneHook: true });
});
