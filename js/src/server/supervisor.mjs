// Runs brolostack-server as a child process and keeps it running.
//
// - Start: on 127.0.0.1 with PORT=0 (environment.mjs); the port is read
//   from the line the server prints on stdout, `listening on
//   http://127.0.0.1:<port> (WebSocket at /ws)`, and the child counts as up
//   once GET /readyz answers 200. Its other output is passed to `onLog`.
// - Death: logged with its exit code or signal, then it is started again
//   after a capped exponential backoff (restartDelayMs doubling up to
//   maxRestartDelayMs; back to the first delay once a child has stayed up
//   for stableAfterMs). Meanwhile the proxy answers upgrades with 503 and
//   clients retry with their own backoff.
// - Exit status 78 is the server refusing its configuration: it would only
//   refuse again, so it is never restarted (the first start rejects with
//   the server's message; later, the supervisor goes to `failed`).
// - Stop: SIGTERM (the server drains: clients get close 1001), then SIGKILL
//   after stopTimeoutMs.
// - No orphans: the child runs in its own process group (a Ctrl-C at the
//   terminal reaches Node alone, which then stops the child once:
//   exit_hooks.mjs), and on Linux under `setpriv --pdeathsig TERM`, so the
//   kernel stops it even when Node is killed with SIGKILL.
import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { track } from './exit_hooks.mjs';
import { request } from './http_api.mjs';

const LISTENING = /^listening on https?:\/\/\S+:(\d+) \(WebSocket at (\S+)\)\s*$/;
export const CONFIG_ERROR_STATUS = 78;
const STDERR_LINES_KEPT = 20;
// The server logs on stderr (JSON lines, or text in development) and writes
// why it could not start there too. What is said on its death is the latter
// and its log lines of level error and above, not its routine lines.
const ROUTINE_LEVELS = new Set(['trace', 'debug', 'info', 'warning']);
const TEXT_LOG_LINE = /^\[[^\]]+\] \[(trace|debug|info|warning)\] /;
function isLastWords(line) {
  if (TEXT_LOG_LINE.test(line)) return false;
  if (!line.startsWith('{')) return true;
  try {
    return !ROUTINE_LEVELS.has(JSON.parse(line).level);
  } catch {
    return true;
  }
}
const READY_POLL_MS = 50;

let pdeathsig;
/** `setpriv --pdeathsig` where it exists and works (util-linux, Linux only); checked once. */
function parentDeathWrapper() {
  if (pdeathsig !== undefined) return pdeathsig;
  pdeathsig = null;
  if (process.platform === 'linux') {
    const probe = spawnSync('setpriv', ['--pdeathsig', 'TERM', '--', 'true'], { stdio: 'ignore', timeout: 5000 });
    if (probe.status === 0) pdeathsig = ['setpriv', ['--pdeathsig', 'TERM', '--']];
  }
  return pdeathsig;
}

/** Calls `onLine` for each line of a stream. */
function eachLine(stream, onLine) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => { if (rest) onLine(rest); });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error of a child that ended before it was up. */
export class ServerStartError extends Error {
  constructor(message, { exitCode = null, signal = null } = {}) {
    super(message);
    this.name = 'ServerStartError';
    this.code = exitCode === CONFIG_ERROR_STATUS ? 'config' : 'unavailable';
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

export class ServerProcess extends EventEmitter {
  constructor({
    bin, env, logger = console, onLog = (line) => process.stdout.write(`${line}\n`),
    startTimeoutMs = 15000, stopTimeoutMs = 8000, restartDelayMs = 250, maxRestartDelayMs = 10000, stableAfterMs = 60000,
  }) {
    super();
    Object.assign(this, { bin, env, logger, onLog, startTimeoutMs, stopTimeoutMs, restartDelayMs, maxRestartDelayMs, stableAfterMs });
    // idle -> starting -> running -> (waiting -> starting -> running)* -> stopping -> stopped; failed on exit 78
    this.state = 'idle';
    this.current = null;   // the run that is up: {child, pid, port, startedAt, ...}
    this.live = null;      // the run whose process has not exited (starting or up)
    this.restarts = 0;
    this.failures = 0;     // deaths in a row, for the backoff
    this.restartTimer = null;
    this.waiters = new Set();
    this.untrack = null;
    this.stopping = null;
  }

  /** Starts the first child; resolves once it is up, rejects (without restarting) if it is not. */
  start() {
    this.untrack = track(this);
    return new Promise((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.spawnChild();
    });
  }

  spawnChild() {
    this.state = 'starting';
    const wrapper = parentDeathWrapper();
    const [command, args] = wrapper ? [wrapper[0], [...wrapper[1], this.bin]] : [this.bin, []];
    const child = spawn(command, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const run = { child, pid: child.pid, port: null, wsPath: null, startedAt: Date.now(), stderr: [], up: false, ended: false };
    run.closed = new Promise((resolve) => {
      let done = false;
      const end = (code, signal, error) => {
        if (done) return;
        done = true;
        run.ended = true;
        resolve();
        this.ended(run, code, signal, error);
      };
      // 'close' comes after the output is read, so the server's last words are in.
      child.once('close', (code, signal) => end(code, signal));
      child.once('error', (error) => end(null, null, error));
    });
    this.live = run;
    eachLine(child.stdout, (line) => {
      const m = run.port === null && LISTENING.exec(line);
      if (!m) return this.onLog(line, 'stdout');
      run.port = Number(m[1]);
      run.wsPath = m[2];
      this.waitReady(run);
    });
    eachLine(child.stderr, (line) => {
      if (isLastWords(line)) {
        run.stderr.push(line);
        if (run.stderr.length > STDERR_LINES_KEPT) run.stderr.shift();
      }
      this.onLog(line, 'stderr');
    });
    run.startTimer = setTimeout(() => {
      if (run.up || run.ended) return;
      run.timedOut = true;
      this.logger.error(`[brolostack] brolostack-server (pid ${run.pid}) was not ready within ${this.startTimeoutMs} ms: killed`);
      child.kill('SIGKILL');
    }, this.startTimeoutMs);
  }

  async waitReady(run) {
    while (!run.ended && this.live === run) {
      const res = await request(run.port, 'GET', '/readyz', { timeoutMs: 2000 }).catch(() => null);
      if (res?.status === 200) break;
      await sleep(READY_POLL_MS);
    }
    clearTimeout(run.startTimer);
    if (run.ended || this.live !== run || this.state !== 'starting') return;
    run.up = true;
    this.current = run;
    this.state = 'running';
    const info = { pid: run.pid, port: run.port, restarts: this.restarts };
    if (this.firstStart) {
      this.firstStart.resolve(info);
      this.firstStart = null;
    } else {
      this.logger.info?.(`[brolostack] brolostack-server is back (pid ${run.pid}, restart ${this.restarts})`);
    }
    for (const waiter of [...this.waiters]) waiter.resolve(run);
    this.emit('ready', info);
  }

  ended(run, code, signal, error) {
    clearTimeout(run.startTimer);
    if (this.current === run) this.current = null;
    if (this.live === run) this.live = null;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const how = error ? `could not be started (${error.message})`
      : signal ? `was killed by ${signal}` : `exited with status ${code}`;
    const said = run.stderr.filter(Boolean).join('\n');
    const info = { pid: run.pid, code, signal, message: said, uptimeMs: Date.now() - run.startedAt };
    if (this.firstStart) {
      const { reject } = this.firstStart;
      this.firstStart = null;
      this.finish('failed');
      const why = code === CONFIG_ERROR_STATUS ? 'refused its configuration (exit status 78)' : how;
      reject(new ServerStartError(`brolostack-server ${why}${said ? `: ${said}` : ''}`, { exitCode: code, signal }));
      return;
    }
    if (code === CONFIG_ERROR_STATUS) {
      this.logger.error(`[brolostack] brolostack-server (pid ${run.pid}) refused its configuration (exit status 78); not restarted: ${said}`);
      this.finish('failed');
      this.emit('exit', { ...info, restarting: false });
      this.emit('failed', info);
      return;
    }
    if (run.up && info.uptimeMs >= this.stableAfterMs) this.failures = 0;
    const delay = Math.min(this.maxRestartDelayMs, this.restartDelayMs * 2 ** this.failures);
    this.failures += 1;
    this.logger.error(`[brolostack] brolostack-server (pid ${run.pid}) ${how}${said ? `: ${said}` : ''}; restarting in ${delay} ms`);
    this.state = 'waiting';
    this.emit('exit', { ...info, restarting: true, delayMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state !== 'waiting') return;
      this.restarts += 1;
      this.spawnChild();
    }, delay);
  }

  /**
   * The run that is up: at once, or once a restart has brought one up
   * (rejects after timeoutMs, or when stopped or failed). `notRun`: a run
   * the caller found dead, whose exit may not have been seen yet.
   */
  whenRunning(timeoutMs = this.startTimeoutMs, notRun = null) {
    if (this.current && this.state === 'running' && this.current !== notRun) return Promise.resolve(this.current);
    if (['idle', 'stopping', 'stopped', 'failed'].includes(this.state)) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (run) => { clearTimeout(timer); this.waiters.delete(waiter); resolve(run); },
        reject: (err) => { clearTimeout(timer); this.waiters.delete(waiter); reject(err); },
      };
      const timer = setTimeout(() => waiter.reject(this.unavailable(`not back within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  unavailable(why = this.state === 'failed' ? 'it refused its configuration and was not restarted' : `it is ${this.state}`) {
    return Object.assign(new Error(`brolostack-server is not running: ${why}`), { code: 'unavailable' });
  }

  finish(state) {
    this.state = state;
    clearTimeout(this.restartTimer);
    this.untrack?.();
    for (const waiter of [...this.waiters]) waiter.reject(this.unavailable());
  }

  /** Sends `name` to the child now, if there is one (for process exit). */
  signal(name) {
    const run = this.live;
    if (run && !run.ended) {
      try { run.child.kill(name); } catch { /* already gone */ }
    }
  }

  /** Stops for good: SIGTERM, then SIGKILL after stopTimeoutMs. Resolves once the child has exited. */
  stop() {
    if (this.stopping) return this.stopping;
    const run = this.live;
    this.finish('stopping');
    if (this.firstStart) {
      this.firstStart.reject(this.unavailable('it was stopped while starting'));
      this.firstStart = null;
    }
    this.stopping = (async () => {
      if (run && !run.ended) {
        run.child.kill('SIGTERM');
        let timer;
        const late = new Promise((resolve) => { timer = setTimeout(resolve, this.stopTimeoutMs, 'late'); });
        if (await Promise.race([run.closed, late]) === 'late') {
          this.logger.warn(`[brolostack] brolostack-server (pid ${run.pid}) did not stop within ${this.stopTimeoutMs} ms: killed`);
          run.child.kill('SIGKILL');
          await run.closed;
        }
        clearTimeout(timer);
      }
      this.state = 'stopped';
      this.current = null;
    })();
    return this.stopping;
  }
}
