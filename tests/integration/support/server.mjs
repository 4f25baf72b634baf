// Start and stop a real brolostack-server for integration tests.
//
// The binary comes from BROLOSTACK_SERVER_BIN, else <repo>/build/bin/brolostack-server
// (what `make test` builds). Every server listens on 127.0.0.1 with port 0 and
// reports its port on stdout. Settings are given as environment variables on
// top of a clean environment (no inherited BROLOSTACK_ENV, NODE_ENV, API_KEYS...).
// Each server gets its own fresh sqlite store (DATA_DIR in a temporary
// folder, removed once it exited) unless the test names a DATA_DIR or STORE.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const serverBin =
  process.env.BROLOSTACK_SERVER_BIN || path.join(repoRoot, 'build', 'bin', 'brolostack-server');

export const DEFAULT_TIMEOUT_MS = 5000;

// Every variable the server reads (common/src/config/settings.cpp): never
// inherited from the shell that runs the tests.
const SERVER_VARS = [
  'BROLOSTACK_ENV', 'NODE_ENV', 'HOST', 'PORT', 'WS_PATH', 'STATIC_DIR', 'ENABLE_COMPRESSION', 'HEARTBEAT_MS',
  'MAX_CONNECTIONS', 'RATE_LIMIT_RPM', 'API_KEY_REQUIRED', 'API_KEYS', 'JWT_SECRET', 'ENABLE_ENCRYPTION',
  'TLS_CERT', 'TLS_KEY', 'ALLOWED_ORIGINS', 'LOG_LEVEL', 'DETAILED_ERRORS', 'MAX_AGENTS_PER_SESSION',
  'TASK_TIMEOUT_MS', 'JWT_ALGORITHM', 'JWT_PUBLIC_KEY', 'JWT_AUDIENCE', 'JWT_ISSUER', 'MAX_MESSAGE_BYTES',
  'MAX_JSON_DEPTH', 'MAX_ROOMS_PER_CONNECTION', 'HISTORY_SIZE', 'HISTORY_TTL_MS', 'MAX_HISTORY_LIMIT',
  'MID_TTL_MS', 'MAX_REMEMBERED_MIDS', 'HELLO_TIMEOUT_MS', 'PROTOCOL_ERROR_LIMIT', 'MAX_BUFFERED_BYTES',
  'DRAIN_TIMEOUT_MS', 'CONNECTION_RATE_PER_IP', 'BACKEND_URL', 'WEBHOOK_SECRET', 'WEBHOOK_TIMEOUT_MS',
  'ASSIGN_TIMEOUT_MS', 'COLLABORATION_TIMEOUT_MS', 'HISTORY_MAX_BYTES', 'MEMORY_LIMIT_BYTES', 'MAX_ROOMS', 'MAX_SESSIONS', 'TRUSTED_PROXIES',
  'STORE', 'DATA_DIR', 'BROKER', 'EMPTY_ROOM_TTL_MS', 'INBOUND_BYTES_PER_SECOND', 'LOG_FORMAT',
  'MAX_TASKS_PER_SESSION', 'TASK_RETENTION_MS', 'DEAD_LETTER_RETENTION_MS', 'SHARDS',
  'NOTIFY_SOCKET', // systemd's: a test server must not notify the service that runs the tests
];

const running = new Set();

function cleanEnv(overrides) {
  const env = { ...process.env };
  for (const name of SERVER_VARS) delete env[name];
  env.BROLOSTACK_ENV = 'test';
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

function assertBinary() {
  if (!existsSync(serverBin)) {
    throw new Error(`brolostack-server not found at ${serverBin}: build it or set BROLOSTACK_SERVER_BIN`);
  }
}

/** A fresh folder for one server's store; the caller removes it. */
export function tempDataDir() {
  return mkdtempSync(path.join(os.tmpdir(), 'brolostack-data-'));
}

// `launcher`: a command that execs the server with the arguments after it
// (e.g. ['prlimit', '--nofile=256:4096']), so the process is still the server.
function spawnServer(env, port = 0, launcher = []) {
  assertBinary();
  const ownDataDir = env.DATA_DIR === undefined && env.STORE === undefined ? tempDataDir() : null;
  const argv = [...launcher, serverBin, '--host', '127.0.0.1', '--port', String(port)];
  const proc = spawn(argv[0], argv.slice(1), {
    env: cleanEnv(ownDataDir ? { ...env, DATA_DIR: ownDataDir } : env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { out.stdout += d; });
  proc.stderr.on('data', (d) => { out.stderr += d; });
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', (error) => resolve({ code: null, signal: null, error }));
  }).then((result) => {
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    return result;
  });
  return { proc, out, exited };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts a server with the given settings (environment variables) and waits
 * for its "listening on" line. Returns a handle with port, urls and stop().
 */
export async function startServer(env = {}, { timeoutMs = DEFAULT_TIMEOUT_MS, port = 0, launcher = [] } = {}) {
  const { proc, out, exited } = spawnServer(env, port, launcher);
  const server = {
    proc,
    exited,
    port: 0,
    get stdout() { return out.stdout; },
    get stderr() { return out.stderr; },
    stop: (opts) => stopServer(server, opts),
  };
  running.add(server);
  const listening = new Promise((resolve, reject) => {
    const onData = () => {
      const m = /listening on (https?):\/\/127\.0\.0\.1:(\d+) \(WebSocket at (\S+)\)/.exec(out.stdout);
      if (m) {
        proc.stdout.off('data', onData);
        resolve({ tls: m[1] === 'https', port: Number(m[2]), wsPath: m[3] });
      }
    };
    proc.stdout.on('data', onData);
    exited.then(({ code, signal, error }) =>
      reject(new Error(`server exited before listening (code ${code}, signal ${signal}${error ? `, ${error.message}` : ''}): ${out.stderr}`)));
  });
  try {
    const { tls, port, wsPath } = await withTimeout(listening, timeoutMs, 'the server to listen');
    server.port = port;
    server.httpUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    server.wsUrl = `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}${wsPath}`;
    return server;
  } catch (error) {
    await stopServer(server);
    throw error;
  }
}

/**
 * Stops a server: SIGTERM (drain), then SIGKILL if it has not exited within
 * timeoutMs. Resolves with {code, signal, killed}.
 */
/**
 * Waits for a server that was told to stop (a signal already sent) to exit,
 * without signalling again: a second SIGTERM could land while the process
 * tears down, after its handlers are gone. SIGKILL after timeoutMs.
 */
export async function waitForExit(server, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  running.delete(server);
  try {
    return { ...(await withTimeout(server.exited, timeoutMs, 'the server to exit')), killed: false };
  } catch {
    server.proc.kill('SIGKILL');
    return { ...(await withTimeout(server.exited, timeoutMs, 'the killed server to exit')), killed: true };
  }
}

export async function stopServer(server, { signal = 'SIGTERM', timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  running.delete(server);
  const { proc, exited } = server;
  if (proc.exitCode !== null || proc.signalCode !== null) return { ...(await exited), killed: false };
  proc.kill(signal);
  try {
    return { ...(await withTimeout(exited, timeoutMs, 'the server to exit')), killed: false };
  } catch {
    proc.kill('SIGKILL');
    return { ...(await withTimeout(exited, timeoutMs, 'the killed server to exit')), killed: true };
  }
}

/** Stops every server still running: for after/afterEach hooks. */
export async function stopAllServers() {
  await Promise.all([...running].map((s) => stopServer(s)));
}

/**
 * Runs the server expecting it to exit by itself (bad configuration).
 * If it starts listening instead, it is killed and code is null.
 */
export async function runUntilExit(env = {}, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  const { proc, out, exited } = spawnServer(env);
  try {
    const result = await withTimeout(exited, timeoutMs, 'the server to exit');
    return { ...result, stdout: out.stdout, stderr: out.stderr };
  } catch {
    proc.kill('SIGKILL');
    await withTimeout(exited, timeoutMs, 'the killed server to exit');
    return { code: null, signal: 'SIGKILL', stdout: out.stdout, stderr: out.stderr, timedOut: true };
  }
}

process.on('exit', () => {
  for (const s of running) {
    try { s.proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
