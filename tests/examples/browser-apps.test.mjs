// The example apps in examples/ as users build them: the package packed by
// npm, installed from each app's lockfile, the app built for production by
// its own bundler (Vite, webpack, Next.js), served, and opened in Chromium,
// where two pages chat through a real server.
//
// How the apps get the package. Each app lists it as a dependency, the way
// a user sees it:
//
//   "brolostack": "file:../brolostack.tgz"
//
// and this suite packs js/ (`npm pack`) to examples/brolostack.tgz before
// installing. The tarball changes with every build of the package, so:
//
// - The committed lockfiles carry no `integrity` for brolostack. With one,
//   `npm ci` fails with EINTEGRITY on a machine whose npm cache lacks that
//   exact tarball, and, worse, on a machine whose cache has it, installs
//   the cached old tarball without a word (npm's cache is keyed by
//   integrity). Without one, npm reads the file as it is. `npm install` in
//   an example writes the integrity back: the first test below says so.
// - `npm ci` runs when the lockfile changed (a stamp in node_modules, as
//   scripts/install-deps.sh does for the workspace), then
//   `npm install --no-save ../brolostack.tgz` puts the current tarball in
//   node_modules every run (half a second; it leaves package.json and the
//   lockfile alone).
// - A `file:` spec never asks a registry (the npm registry has an unrelated
//   package named brolostack). Tried and dropped: `npm install --no-save
//   <tgz>` after `npm ci` with brolostack absent from package.json works
//   but hides the dependency from whoever copies the app; a `file:` link to
//   js/ itself would bypass `files` and `exports` as packed, and give the
//   package the workspace's React.
//
// The page takes its server from `?ws=`; without it the package connects to
// the page's own origin at /ws. For the static builds (Vite, webpack) that
// default is checked for real: the second page is the same build served by
// brolostack-server itself (STATIC_DIR), opened without `?ws`. `next start`
// has no /ws, so there the check is that a page without `?ws` stays
// `disconnected` without a page error.
//
// Run: node --test --test-concurrency=1 tests/examples/   (make examples)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot, startServer, stopAllServers } from '../integration/support/server.mjs';
import { launchBrowser } from '../e2e/support/browser.mjs';

const examples = path.join(repoRoot, 'examples');
const tarball = path.join(examples, 'brolostack.tgz');
const ROOM_EVENT_WAIT_MS = 15000;

const APPS = [
  {
    name: 'vite-react',
    out: 'dist',
    buildTimeoutMs: 120000,
    serve: (port) => ['node_modules/.bin/vite', ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort']],
  },
  {
    name: 'webpack-react',
    out: 'dist',
    buildTimeoutMs: 180000,
    serve: (port) => [process.execPath, ['serve.mjs'], { PORT: String(port), HOST: '127.0.0.1' }],
  },
  {
    name: 'nextjs-app',
    out: '.next',
    buildTimeoutMs: 300000,
    serve: (port) => ['node_modules/.bin/next', ['start', '-H', '127.0.0.1', '-p', String(port)]],
  },
];

// ---- processes ----------------------------------------------------------
// Every process runs in its own process group, so an npm or next that
// starts children is stopped whole; all of them are stopped in after().
const processes = new Set();

function childEnv(extra = {}) {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', npm_config_update_notifier: 'false', ...extra };
  // What the Makefile or a shell may set that would change the apps' builds.
  for (const name of ['NODE_PATH', 'NODE_ENV', 'BROLOSTACK_ENV', 'WS_URL', 'PORT', 'HOST']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function launch(command, args, { cwd, env = {} } = {}) {
  const proc = spawn(command, args, { cwd, env: childEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { proc, command: `${path.basename(command)} ${args.join(' ')}`, output: '' };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { handle.output += d; });
  proc.stderr.on('data', (d) => { handle.output += d; });
  handle.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  processes.add(handle);
  handle.exited.then(() => processes.delete(handle));
  return handle;
}

function signalGroup(handle, signal) {
  try { process.kill(-handle.proc.pid, signal); } catch { /* already gone */ }
}

async function stop(handle, timeoutMs = 5000) {
  if (handle.proc.exitCode !== null || handle.proc.signalCode !== null) return;
  signalGroup(handle, 'SIGTERM');
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'late'); });
  if (await Promise.race([handle.exited, late]) === 'late') {
    signalGroup(handle, 'SIGKILL');
    await handle.exited;
  }
  clearTimeout(timer);
}

// The end of a tool's output, without its stack frames (the test reporter would take them for the test's).
const tail = (text, lines = 40) => text.trimEnd().split('\n').filter((l) => !/^\s+at /.test(l)).slice(-lines).join('\n');

/** Runs a command to its end; rejects with its output when it fails or outlives timeoutMs. */
async function run(command, args, { cwd, env, timeoutMs }) {
  const handle = launch(command, args, { cwd, env });
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'late'); });
  const result = await Promise.race([handle.exited, late]);
  clearTimeout(timer);
  if (result === 'late') {
    await stop(handle);
    throw new Error(`${handle.command} (in ${cwd}) took more than ${timeoutMs} ms:\n${tail(handle.output)}`);
  }
  if (result.code !== 0) {
    throw new Error(`${handle.command} (in ${cwd}) failed (${result.error?.message ?? `code ${result.code}, signal ${result.signal}`}):\n${tail(handle.output)}`);
  }
  return handle.output;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until url answers, and wants 200: another status (a server
 * rendering error is a 500) fails at once, as does the serving process
 * exiting.
 */
async function waitForHttp(url, handle, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (handle.proc.exitCode !== null || handle.proc.signalCode !== null) {
      throw new Error(`${handle.command} exited before serving ${url}:\n${tail(handle.output)}`);
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (res) {
      await res.arrayBuffer();
      if (res.status === 200) return;
      // Give the server a moment to log what went wrong.
      await new Promise((r) => setTimeout(r, 500));
      throw new Error(`${url} answered ${res.status}; ${handle.command} says:\n${tail(handle.output)}`);
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${tail(handle.output)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(t, what, fn) {
  const start = Date.now();
  const result = await fn();
  t.diagnostic(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

// ---- install and build ----------------------------------------------------

async function install(app) {
  const lockfile = await readFile(path.join(app.dir, 'package-lock.json'));
  const stamp = path.join(app.dir, 'node_modules', '.brolostack-lock-stamp');
  const stamped = await readFile(stamp).catch(() => null);
  const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error'];
  if (!stamped || !stamped.equals(lockfile)) {
    await run('npm', ['ci', ...npmFlags], { cwd: app.dir, timeoutMs: 300000 });
    await writeFile(stamp, lockfile);
  }
  await run('npm', ['install', '--no-save', '--prefer-offline', ...npmFlags, '../brolostack.tgz'], { cwd: app.dir, timeoutMs: 120000 });
  const installed = JSON.parse(await readFile(path.join(app.dir, 'node_modules/brolostack/package.json'), 'utf8'));
  assert.equal(installed.name, 'brolostack');
}

async function build(app) {
  // Every build starts clean: webpack's persistent cache (Next keeps one in
  // .next/cache) takes a package in node_modules as unchanged while its
  // name and version are, so a rebuilt brolostack 1.0.0 would not be seen.
  await rm(path.join(app.dir, app.out), { recursive: true, force: true });
  await run('npm', ['run', 'build'], { cwd: app.dir, timeoutMs: app.buildTimeoutMs });
}

async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

/** Gzipped sizes of the JS and wasm a browser loads from the build, the chunks holding brolostack marked. */
async function reportBundle(t, app) {
  const browserDir = app.name === 'nextjs-app' ? path.join(app.dir, '.next/static') : path.join(app.dir, app.out);
  let total = 0;
  const ours = [];
  for (const file of await filesUnder(browserDir)) {
    if (!/\.(m?js|wasm)$/.test(file)) continue;
    const bytes = await readFile(file);
    const gz = gzipSync(bytes, { level: 9 }).length;
    total += gz;
    const text = bytes.toString('latin1');
    // The wasm module: a file, or inlined in base64 ("\0asm" is AGFzbQ).
    const core = /\.wasm$/.test(file) || text.includes('AGFzbQ');
    const client = text.includes('brolostack.v1');  // the client's subprotocol
    if (core || client) ours.push(`${path.relative(app.dir, file)} ${kB(gz)}${core ? ' (wasm core)' : ''}${client ? ' (client)' : ''}`);
  }
  t.diagnostic(`browser JS+wasm, gzipped: ${kB(total)}; brolostack in: ${ours.join('; ') || 'none found'}`);
}

// ---- pages ----------------------------------------------------------------
let browser;

async function openChat(url, label, { allowConsole = [] } = {}) {
  const page = await browser.newPage();
  const problems = [];
  const sockets = [];  // the URLs of the WebSockets the page opened
  page.on('websocket', (ws) => sockets.push(ws.url()));
  page.on('console', (m) => {
    if (m.type() !== 'error' || allowConsole.some((re) => re.test(m.text()))) return;
    const at = m.location()?.url;
    problems.push(`${label} console error: ${m.text()}${at ? ` (${at})` : ''}`);
  });
  page.on('pageerror', (e) => problems.push(`${label} page error: ${e.stack || e.message}`));
  await page.goto(url, { timeout: 30000 });
  return { page, problems, sockets, label };
}

/** Runs a wait; when it fails, the error says what the page had logged. */
async function expectOn(chat, what, fn) {
  try {
    return await fn();
  } catch (error) {
    const status = await chat.page.getByTestId('status').textContent({ timeout: 1000 }).catch(() => '(no status element)');
    throw new Error(`${chat.label}: ${what}: ${error.message.split('\n')[0]}\n  status: ${status}\n  ${chat.problems.join('\n  ') || 'no console or page errors'}`);
  }
}

async function connectedAndJoined(chat) {
  await expectOn(chat, 'status becomes connected', () =>
    chat.page.getByTestId('status').filter({ hasText: /^connected$/ }).waitFor({ timeout: ROOM_EVENT_WAIT_MS }));
  await expectOn(chat, 'joined appears', () => chat.page.getByTestId('joined').waitFor({ timeout: ROOM_EVENT_WAIT_MS }));
}

async function say(chat, text) {
  await chat.page.getByTestId('input').fill(text);
  await chat.page.getByTestId('send').click();
}

async function hears(chat, text) {
  await expectOn(chat, `"${text}" arrives`, () =>
    chat.page.getByTestId('messages').locator('li', { hasText: text }).waitFor({ timeout: ROOM_EVENT_WAIT_MS }));
}

// ---- the suite ----------------------------------------------------------------

before(async () => {
  // npm pack runs the package's prepack (make -C .. wasm), so this is the package as built now.
  const dest = await mkdtemp(path.join(tmpdir(), 'brolostack-pack-'));
  try {
    await run('npm', ['pack', '--pack-destination', dest, '--loglevel=error'], { cwd: path.join(repoRoot, 'js'), timeoutMs: 600000 });
    const packed = (await readdir(dest)).filter((f) => f.endsWith('.tgz'));
    assert.equal(packed.length, 1, `npm pack made ${packed.join(', ') || 'nothing'}`);
    await copyFile(path.join(dest, packed[0]), tarball);
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}, { timeout: 660000 });

after(async () => {
  await browser?.close().catch(() => {});
  await Promise.all([...processes].map((p) => stop(p)));
  await stopAllServers();
});

test('the examples depend on brolostack as file:../brolostack.tgz, with no integrity pinned in their lockfiles', async () => {
  for (const app of APPS) {
    const dir = path.join(examples, app.name);
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies?.brolostack, 'file:../brolostack.tgz', `${app.name}/package.json`);
    const lock = JSON.parse(await readFile(path.join(dir, 'package-lock.json'), 'utf8'));
    const entry = lock.packages?.['node_modules/brolostack'];
    assert.equal(entry?.resolved, 'file:../brolostack.tgz', `${app.name}/package-lock.json locks brolostack to the packed file`);
    assert.equal(entry.integrity, undefined,
      `${app.name}/package-lock.json pins an integrity for brolostack (npm install writes one): delete that line, ` +
      'or npm ci fails once the package is rebuilt, or installs a stale cached copy');
  }
});

for (const app of APPS) {
  app.dir = path.join(examples, app.name);

  test(`${app.name}: installs, builds for production, and two pages chat in Chromium`, { timeout: 15 * 60000 }, async (t) => {
    await timed(t, 'install', () => install(app));
    await timed(t, 'build', () => build(app));
    await reportBundle(t, app);

    const started = Date.now();
    // The static builds are also served by brolostack-server, from its own origin.
    const staticSite = app.out === 'dist';
    const server = await startServer(staticSite ? { STATIC_DIR: path.join(app.dir, app.out) } : {});
    const port = await freePort();
    const [command, args, env] = app.serve(port);
    const site = launch(path.resolve(app.dir, command), args, { cwd: app.dir, env });
    const siteUrl = `http://127.0.0.1:${port}/`;
    await waitForHttp(siteUrl, site, 60000);
    browser ??= await launchBrowser();

    const withWs = `${siteUrl}?ws=${encodeURIComponent(server.wsUrl)}`;
    const ada = await openChat(withWs, 'page 1 (?ws=)');
    // The second page: without ?ws from the server's own origin where it serves the build.
    const bob = await openChat(staticSite ? `${server.httpUrl}/` : withWs, staticSite ? 'page 2 (own origin)' : 'page 2 (?ws=)');
    await connectedAndJoined(ada);
    await connectedAndJoined(bob);

    const hello = `hello from ${app.name} ${Date.now()}`;
    await say(ada, hello);
    await hears(bob, hello);
    const reply = `and back, ${app.name}`;
    await say(bob, reply);
    await hears(ada, reply);
    // No echo by default: the sender's list has only what the other page said.
    assert.deepEqual(await ada.page.getByTestId('messages').locator('li').allTextContents(), [reply]);
    assert.deepEqual(await bob.page.getByTestId('messages').locator('li').allTextContents(), [hello]);

    if (!staticSite) {
      // next start serves no /ws: a page without ?ws tries its own origin,
      // gets no WebSocket there, and says so quietly.
      const ownOrigin = `ws://127.0.0.1:${port}/ws`;
      const lost = await openChat(siteUrl, 'page 3 (no ?ws, no /ws)', { allowConsole: [/WebSocket connection to .* failed/] });
      await expectOn(lost, `the page tries ${ownOrigin}`, () =>
        lost.page.waitForFunction(() => document.readyState === 'complete', null, { timeout: ROOM_EVENT_WAIT_MS })
          .then(() => until(() => lost.sockets.includes(ownOrigin), ROOM_EVENT_WAIT_MS, `a WebSocket to ${ownOrigin} (saw ${lost.sockets})`)));
      await lost.page.waitForTimeout(1000);
      assert.equal(await lost.page.getByTestId('status').textContent(), 'disconnected');
      assert.equal(await lost.page.getByTestId('joined').count(), 0);
      assert.deepEqual(lost.problems, []);
      await lost.page.close();
    }

    // Page 1 went where ?ws= said; page 2 to its own origin, or ?ws= too.
    assert.deepEqual([...new Set([...ada.sockets, ...bob.sockets])], [server.wsUrl]);
    assert.deepEqual([...ada.problems, ...bob.problems], []);
    await ada.page.close();
    await bob.page.close();
    t.diagnostic(`serve and check in Chromium: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await stop(site);
    await server.stop();
  });
}

