// The backend example apps (examples/backends/node-*) as users run them:
// installed from their lockfiles with the package as npm packs it, started
// with `node`, talked to through their own port.
//
// The package reaches the apps as examples/README.md describes for the
// browser apps: each lists `"brolostack": "file:../brolostack.tgz"`, and
// this module packs js/ to examples/backends/brolostack.tgz (once per run:
// again only when js/ changed since), `npm ci`s an app when its lockfile
// changed, and puts the current tarball in its node_modules.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, serverBin } from '../../integration/support/server.mjs';

const run = promisify(execFile);
export { repoRoot, serverBin };
export const backends = path.join(repoRoot, 'examples', 'backends');
export const tarball = path.join(backends, 'brolostack.tgz');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error'];

/** The newest modification time under `dir` (files only). */
async function newest(dir) {
  let latest = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) latest = Math.max(latest, (await stat(path.join(entry.parentPath ?? entry.path, entry.name))).mtimeMs);
  }
  return latest;
}

/** Packs js/ to examples/backends/brolostack.tgz unless the tarball is newer than everything in js/. */
export async function ensureTarball() {
  const packed = await stat(tarball).then((s) => s.mtimeMs, () => 0);
  if (packed > await newest(path.join(repoRoot, 'js'))) return;
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', backends], { cwd: path.join(repoRoot, 'js'), maxBuffer: 16 << 20 });
  const [{ filename }] = JSON.parse(stdout);
  await rename(path.join(backends, filename), tarball);
}

/** `npm ci` when the lockfile changed since the last one, then the current tarball (when it changed). */
export async function install(app) {
  const dir = path.join(backends, app);
  const lockfile = await readFile(path.join(dir, 'package-lock.json'));
  // A pinned integrity would make `npm ci` fail, or install a stale tarball from npm's cache (examples/README.md).
  assert.equal(JSON.parse(lockfile).packages['node_modules/brolostack']?.integrity, undefined,
    `${app}/package-lock.json pins brolostack's integrity: delete that line`);
  const lockStamp = path.join(dir, 'node_modules', '.brolostack-lock-stamp');
  if (!lockfile.equals(await readFile(lockStamp).catch(() => Buffer.alloc(0)))) {
    await run('npm', ['ci', ...NPM_FLAGS], { cwd: dir, timeout: 300000 });
    await writeFile(lockStamp, lockfile);
  }
  const tarballHash = createHash('sha256').update(await readFile(tarball)).digest('hex');
  const tarballStamp = path.join(dir, 'node_modules', '.brolostack-tgz-stamp');
  if (tarballHash !== await readFile(tarballStamp, 'utf8').catch(() => '')) {
    await run('npm', ['install', '--no-save', '--prefer-offline', ...NPM_FLAGS, '../brolostack.tgz'], { cwd: dir, timeout: 120000 });
    await writeFile(tarballStamp, tarballHash);
  }
  const installed = JSON.parse(await readFile(path.join(dir, 'node_modules/brolostack/package.json'), 'utf8'));
  assert.equal(installed.name, 'brolostack');
  return dir;
}

const dataDirs = [];
process.once('exit', () => { for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true }); });

/** A fresh folder for one in-process app's store (`dataDir`), removed when the test process exits. */
export function freshDataDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'brolostack-app-data-'));
  dataDirs.push(dir);
  return dir;
}

/**
 * A port for an app a test starts a little later. It is taken from below
 * the kernel's ephemeral range: a port from that range, free when checked,
 * can be handed to the next process that binds port 0 (the brolostack-server
 * a test starts in between) before the app binds it.
 */
export async function freePort() {
  const ephemeralLow = ephemeralPortsFrom();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 10000 + Math.floor(Math.random() * (ephemeralLow - 10000));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between 10000 and ${ephemeralLow}`);
}

function ephemeralPortsFrom() {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;  // not Linux: the usual start of the range
  }
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// Settings an outer shell or the Makefile may hold that would change the apps.
const INHERITED = ['DATA_DIR', 'STORE', 'NODE_ENV', 'BROLOSTACK_ENV', 'PORT', 'HOST', 'WS_URL', 'NODE_PATH', 'BACKEND_URL', 'WEBHOOK_SECRET',
  'JWT_SECRET', 'API_KEYS', 'API_KEY_REQUIRED', 'ALLOWED_ORIGINS', 'STATIC_DIR'];

/**
 * Starts `node <file>` in an example app with PORT set; resolves once it
 * prints its "listening on" line. `stop()` sends SIGTERM (the app's own
 * shutdown) and waits for it to exit.
 */
export async function startApp(app, file, { env = {}, timeoutMs = 30000 } = {}) {
  const dir = path.join(backends, app);
  const port = await freePort();
  const childEnv = { ...process.env, BROLOSTACK_SERVER_BIN: serverBin, LOG_LEVEL: 'warn', PORT: String(port) };
  for (const name of INHERITED) if (name !== 'PORT') delete childEnv[name];
  childEnv.DATA_DIR = freshDataDir();  // a store of its own per start: no run sees rooms an earlier one left
  Object.assign(childEnv, env);
  const proc = spawn(process.execPath, [file], { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { app, proc, port, output: '', url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { handle.output += d; });
  proc.stderr.on('data', (d) => { handle.output += d; });
  handle.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  handle.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(resolve, 15000, null); });
    const result = await Promise.race([handle.exited, late]);
    clearTimeout(timer);
    if (!result) {
      proc.kill('SIGKILL');
      throw new Error(`${app} did not exit within 15 s of SIGTERM:\n${handle.output}`);
    }
    return result;
  };
  await Promise.race([
    until(() => /listening on http:\/\/localhost:\d+/.test(handle.output), timeoutMs, `"listening on" from ${app}`),
    handle.exited.then(({ code, signal }) => { throw new Error(`${app} exited (${code ?? signal}) before listening:\n${handle.output}`); }),
  ]);
  return handle;
}

/** Pids of the brolostack-server processes whose parent is `pid` (read from /proc: no procps needed). */
export async function serverChildren(pid) {
  const found = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so fields are counted after the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === pid && state !== 'Z' && comm.startsWith('brolostack-serv')) found.push(Number(entry));
  }
  return found.sort((a, b) => a - b);
}

/** Whether `pid` runs: a zombie (exited, not yet reaped by whoever inherited it) does not. */
async function alive(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat !== null) return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Waits until none of `pids` is a running process (no orphan server left). */
export async function assertGone(pids, timeoutMs = 10000) {
  await until(async () => (await Promise.all(pids.map(alive))).every((running) => !running), timeoutMs, `exit of brolostack-server ${pids.join(', ')}`);
}

/** POSTs JSON to the app; resolves to {status, body}. */
export async function postJson(url, value, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(value) });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body };
}

/** The first `event` the client emits whose payload passes `match`. */
export function next(c, event, match = () => true) {
  return new Promise((resolve) => {
    const dispose = c.on(event, (payload, extra) => {
      if (!match(payload, extra)) return;
      dispose();
      resolve(payload);
    });
  });
}
