// A real redis-server (Debian's) for cluster tests and benchmarks: on
// 127.0.0.1, a port below the ephemeral range, its data in a fresh folder
// with an append-only file synced at every write, so a restart keeps
// everything Redis acknowledged. stop() and restart() keep the port and
// the data; remove() stops it and deletes the folder.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../backends/support/apps.mjs';

const READY_MS = 10000;
const running = new Set();

function launch(redis) {
  const persistence = redis.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const auth = redis.password ? ['--requirepass', redis.password] : [];
  const proc = spawn('redis-server', [
    '--port', String(redis.port), '--bind', '127.0.0.1', '--dir', redis.dir, '--save', '', ...persistence, ...auth,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready in ${READY_MS} ms: ${output}`)), READY_MS);
    proc.stdout.on('data', () => {
      if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
    exited.then((code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${output}`)); });
  });
  redis.proc = proc;
  redis.exited = exited;
  return ready;
}

/**
 * Starts redis-server; resolves with {url, port, proc, stop(), restart(), remove()}.
 * `durable: false` keeps nothing on disk (benchmarks); `password` makes
 * clients AUTH (its url carries it, %-encoded).
 */
export async function startRedis({ durable = true, password } = {}) {
  const redis = {
    durable,
    password,
    dir: mkdtempSync(path.join(os.tmpdir(), 'brolostack-redis-')),
    port: await freePort(),
    get url() {
      const credentials = this.password ? `:${encodeURIComponent(this.password)}@` : '';
      return `redis://${credentials}127.0.0.1:${this.port}`;
    },
    /** Stops it (SIGTERM; SIGKILL with kill: true), keeping its data. */
    async stop({ kill = false } = {}) {
      if (redis.proc.exitCode === null && redis.proc.signalCode === null) redis.proc.kill(kill ? 'SIGKILL' : 'SIGTERM');
      await redis.exited;
    },
    /** SIGSTOP: connections stay open and nothing is answered, as with a stuck server. */
    pause() { redis.proc.kill('SIGSTOP'); },
    resume() { redis.proc.kill('SIGCONT'); },
    /** Starts it again on the same port with the same data. */
    restart() { return launch(redis); },
    async remove() {
      running.delete(redis);
      redis.resume();
      await redis.stop({ kill: true });
      rmSync(redis.dir, { recursive: true, force: true });
    },
  };
  running.add(redis);
  await launch(redis);
  return redis;
}

/** Stops and removes every redis-server still running: for after hooks. */
export async function stopAllRedis() {
  await Promise.all([...running].map((r) => r.remove()));
}
