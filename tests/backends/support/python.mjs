// The Python backend apps (examples/backends/python-*) as users run them:
// `/usr/bin/python3 app.py` with integrations/python on PYTHONPATH, beside
// a real brolostack-server whose BACKEND_URL is the app. The server starts
// first (on a free port it reports), the app then learns its URL from
// BROLOSTACK_URL; the app's port is chosen before both, for BACKEND_URL.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer } from '../../integration/support/server.mjs';
import { backends, freePort, repoRoot, until } from './apps.mjs';

export { backends, repoRoot };
/** Debian's python3, where the Makefile installs the frameworks (a pyenv python may come first on PATH). */
export const PYTHON = '/usr/bin/python3';
export const PYTHONPATH = path.join(repoRoot, 'integrations', 'python');
/** Runs an example app with extra webhook handlers the tests need (boom, deny, slow, count). */
export const TEST_HANDLERS = path.join(PYTHONPATH, 'tests', 'support', 'with_test_handlers.py');
export const SECRETS = { WEBHOOK_SECRET: 'test-webhook-secret', JWT_SECRET: 'test-jwt-secret', API_KEYS: 'backend=test-api-key' };

/** Why `module` cannot be imported by PYTHON, or null when it can. */
export function missingModule(module) {
  const result = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
  if (result.error) return `${PYTHON} cannot run: ${result.error.message}`;
  return result.status === 0 ? null : `${PYTHON} has no ${module} module (make deps installs python3-${module})`;
}

const running = new Set();

// A test process that dies abruptly (a closed pipe, an uncaught error)
// leaves no app behind; server.mjs does the same for the servers.
process.on('exit', () => {
  for (const proc of running) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// Settings an outer shell may hold that would change the apps.
const INHERITED = ['BROLOSTACK_ENV', 'NODE_ENV', 'HOST', 'PORT', 'BROLOSTACK_URL', 'WEBHOOK_SECRET', 'JWT_SECRET',
  'API_KEYS', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONWARNINGS', 'DJANGO_SETTINGS_MODULE'];

/**
 * Starts `PYTHON <args>` in examples/backends/<app> on `port`; resolves once
 * it prints "listening on http://localhost:<port>". `stop()` sends SIGTERM,
 * then SIGKILL after 10 s, and resolves to {code, signal, killed}.
 */
export async function startPythonApp(app, args, { port, env = {}, timeoutMs = 20000 }) {
  const childEnv = { ...process.env };
  for (const name of INHERITED) delete childEnv[name];
  // No __pycache__ left in the example folders (the test wrapper imports app.py as a module).
  Object.assign(childEnv, { PYTHONPATH, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PORT: String(port), HOST: '127.0.0.1' }, env);
  const proc = spawn(PYTHON, args, { cwd: path.join(backends, app), env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { app, proc, port, output: '', url: `http://127.0.0.1:${port}` };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { handle.output += d; });
  proc.stderr.on('data', (d) => { handle.output += d; });
  running.add(proc);
  handle.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => { running.delete(proc); resolve({ code, signal }); });
    proc.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  handle.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(resolve, 10000, null); });
    const result = await Promise.race([handle.exited, late]);
    clearTimeout(timer);
    if (result) return { ...result, killed: false };
    proc.kill('SIGKILL');
    return { ...(await handle.exited), killed: true };
  };
  try {
    await Promise.race([
      until(() => handle.output.includes(`listening on http://localhost:${port}`), timeoutMs, `"listening on" from ${app}`),
      handle.exited.then(({ code, signal, error }) => {
        throw new Error(`${app} exited (${error?.message ?? code ?? signal}) before listening:\n${handle.output}`);
      }),
    ]);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/**
 * A brolostack-server and a Python app that is its backend. `script`:
 * 'app.py', or TEST_HANDLERS (which runs app.py with the tests' handlers).
 * `stop()` stops both and resolves to the app's exit.
 */
export async function startStack(app, { script = 'app.py', serverEnv = {}, appEnv = {} } = {}) {
  const port = await freePort();
  const server = await startServer({
    BROLOSTACK_ENV: 'development', BACKEND_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', ...SECRETS,
    // Nothing here needs to outlive the server: no store on disk for servers to share.
    STORE: 'memory',
    ...serverEnv,
  });
  let python;
  try {
    const args = script === 'app.py' ? ['app.py'] : [script, 'app.py'];
    python = await startPythonApp(app, args, {
      port, env: { BROLOSTACK_ENV: 'development', BROLOSTACK_URL: server.httpUrl, ...SECRETS, ...appEnv },
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    server,
    python,
    url: python.url,
    wsUrl: server.wsUrl,
    async stop() {
      const [exit] = await Promise.all([python.stop(), server.stop()]);
      return exit;
    },
  };
}
