#!/usr/bin/env node
// `make run`: the server (serving the demo page from STATIC_DIR) and the
// demo agents as a Node worker beside it (web-demo/worker.mjs). Prints the
// URL once the server listens; Ctrl-C (or SIGTERM) stops both and waits for
// them, so nothing is left running. If the server stops, the worker is
// stopped too; if the worker stops, the server keeps serving (pages host
// agents of their own).
//
//   node scripts/run-demo.mjs [--server build/bin/brolostack-server] [--port 3001]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const serverBin = path.resolve(root, arg('server', 'build/bin/brolostack-server'));
const port = arg('port', process.env.PORT || '3001');
const noWorker = process.argv.includes('--no-worker') || process.env.DEMO_WORKER === '0';
const GRACE_MS = 1500;   // after Ctrl-C, the children got the signal too: time to exit by themselves
const STOP_MS = 6000;    // then SIGTERM, and SIGKILL after this

if (!existsSync(serverBin)) {
  console.error(`run-demo: no server binary at ${serverBin} (make build)`);
  process.exit(1);
}

const children = new Map();  // name -> { proc, exited }
let stopping = false;

function start(name, command, args, env) {
  const proc = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  children.set(name, { proc, exited });
  return { proc, exited };
}

const alive = ({ proc }) => proc.exitCode === null && proc.signalCode === null;

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const waitAll = () => Promise.all([...children.values()].map((c) => c.exited));
  const within = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
  await Promise.race([waitAll(), within(GRACE_MS)]);
  for (const child of children.values()) if (alive(child)) child.proc.kill('SIGTERM');
  await Promise.race([waitAll(), within(STOP_MS)]);
  for (const [name, child] of children) {
    if (alive(child)) {
      console.error(`run-demo: ${name} did not stop; killing it`);
      child.proc.kill('SIGKILL');
    }
  }
  await waitAll();
  process.exit(exitCode);
}

// Ctrl-C is how a demo ends: a clean stop exits 0.
process.on('SIGINT', () => { console.log('\nrun-demo: stopping the server and the agents worker…'); stopAll(0); });
process.on('SIGTERM', () => stopAll(143));
process.on('SIGHUP', () => stopAll(129));

const server = start('server', serverBin, ['--port', String(port)], {});
let listening = false;
let buffered = '';
server.proc.stdout.setEncoding('utf8');
server.proc.stdout.on('data', (text) => {
  process.stdout.write(text);
  if (listening) return;
  buffered += text;
  const m = /listening on (https?):\/\/[^:\s]+:(\d+) \(WebSocket at (\S+)\)/.exec(buffered);
  if (!m) return;
  listening = true;
  buffered = '';
  const [, scheme, actualPort, wsPath] = m;
  const url = `${scheme}://localhost:${actualPort}`;
  const wsUrl = `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${actualPort}${wsPath}`;
  console.log(`\n  Brolostack demo: ${url}\n  (open it in two tabs; WebSocket ${wsUrl}; Ctrl-C stops)\n`);
  if (!noWorker) startWorker(wsUrl);
});
server.exited.then(({ code, signal }) => {
  if (stopping) return;
  console.error(`run-demo: the server exited (${signal ?? `code ${code}`})`);
  stopAll(code || 1);
});

function startWorker(wsUrl) {
  const worker = start('agents worker', process.execPath, [path.join(root, 'web-demo', 'worker.mjs')], { WS_URL: wsUrl });
  worker.proc.stdout.setEncoding('utf8');
  worker.proc.stdout.pipe(process.stdout);
  worker.exited.then(({ code, signal }) => {
    if (!stopping) console.error(`run-demo: the agents worker exited (${signal ?? `code ${code}`}); pages still host their own agents`);
  });
}
