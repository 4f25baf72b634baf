// The child's settings: the app's process environment (so every server
// variable of docs/operations.md still works, e.g. HEARTBEAT_MS), then the
// seed's options mapped onto their variables, then what this package must
// decide itself. What it decides, and why:
// - HOST=127.0.0.1, PORT=0, WS_PATH=/ws: the child is private; clients
//   reach it through the app's own port (upgrade_proxy.mjs);
// - ENABLE_ENCRYPTION=false: TLS is the app's server's job (an
//   https.Server works as is); the hop to the child never leaves the host;
// - CONNECTION_RATE_PER_IP=0: every connection reaches the child from
//   127.0.0.1, so the proxy applies the per-IP limit (connection_rate.mjs);
// - STATIC_DIR unset: the app serves its own pages;
// - an API key of its own appended to API_KEYS, for its HTTP API calls and
//   its own client when authentication is required;
// - BACKEND_URL, WEBHOOK_SECRET, JWT_SECRET as multiagent.mjs chose them.
// STORE and DATA_DIR pass on like the rest: the server's sqlite store is
// ./data under the app's working directory unless `dataDir` (or DATA_DIR)
// says otherwise, and two apps cannot share one.
import path from 'node:path';

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'];
const AUTH_BY_DEFAULT = new Set(['staging', 'production']);
const RATE_PER_IP_BY_DEFAULT = { development: 0, test: 0, staging: 600, production: 600 };
export const INTERNAL_KEY_NAME = 'brolostack-node';

/** The profile: the `environment` option, else BROLOSTACK_ENV, else NODE_ENV, else development (as the server reads it). */
export function resolveEnvironment(options = {}, env = process.env) {
  return options.environment || env.BROLOSTACK_ENV || env.NODE_ENV || 'development';
}

function wholeNumber(value, name) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number (milliseconds or a count); got ${JSON.stringify(value)}`);
  return String(value);
}

function flag(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false; got ${JSON.stringify(value)}`);
  return String(value);
}

/** `['a', 'b']`, `{ web: 'secret' }` or `'a,b'` as the server's comma-separated list. */
function list(value, name) {
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',')
    : Array.isArray(value) ? value
      : typeof value === 'object' ? Object.entries(value).map(([k, v]) => `${k}=${v}`) : null;
  if (!items || items.some((item) => typeof item !== 'string' || item.includes(','))) {
    throw new TypeError(`${name} must be a list of strings without commas (or an object of name: secret); got ${JSON.stringify(value)}`);
  }
  return items.map((item) => item.trim()).filter(Boolean).join(',');
}

/** Whether connections and /api need credentials: the option, else API_KEY_REQUIRED, else the profile. */
export function authRequired(options, env, environment) {
  const security = options.security ?? {};
  const given = security.apiKeyRequired ?? options.middleware?.enableAuth;
  if (typeof given === 'boolean') return given;
  if (env.API_KEY_REQUIRED !== undefined) return env.API_KEY_REQUIRED === 'true' || env.API_KEY_REQUIRED === '1';
  return AUTH_BY_DEFAULT.has(environment);
}

/** The API keys the app configured (not this package's own), as `name=secret` or bare secrets. */
export function appApiKeys(options, env) {
  const keys = list(options.security?.apiKeys, 'security.apiKeys') ?? env.API_KEYS ?? '';
  return keys.split(',').map((k) => k.trim()).filter(Boolean);
}

/** New connections per minute per IP the proxy allows (0: no limit). */
export function connectionRatePerIp(options, env, environment) {
  const given = options.security?.connectionRatePerIp;
  if (given !== undefined) return Number(wholeNumber(given, 'security.connectionRatePerIp'));
  if (env.CONNECTION_RATE_PER_IP !== undefined && /^\d+$/.test(env.CONNECTION_RATE_PER_IP)) return Number(env.CONNECTION_RATE_PER_IP);
  return RATE_PER_IP_BY_DEFAULT[environment] ?? 0;
}

/**
 * The child's environment. `secrets` holds what multiagent.mjs chose:
 * `internalKey`, `jwtSecret` (null when the app uses JWT_PUBLIC_KEY),
 * `webhookSecret`, `backendUrl`.
 */
export function childEnvironment(options, env, environment, secrets) {
  const agents = options.agents ?? {};
  const security = options.security ?? {};
  const vars = { ...env };
  const set = (name, value) => { if (value !== undefined) vars[name] = value; };

  set('MAX_AGENTS_PER_SESSION', wholeNumber(agents.maxAgentsPerSession, 'agents.maxAgentsPerSession'));
  set('TASK_TIMEOUT_MS', wholeNumber(agents.taskTimeout, 'agents.taskTimeout'));
  set('COLLABORATION_TIMEOUT_MS', wholeNumber(agents.collaborationTimeout, 'agents.collaborationTimeout'));
  set('ASSIGN_TIMEOUT_MS', wholeNumber(agents.assignTimeout, 'agents.assignTimeout'));
  set('SESSION_IDLE_TIMEOUT_MS', wholeNumber(agents.sessionIdleTimeout, 'agents.sessionIdleTimeout'));
  set('API_KEY_REQUIRED', flag(security.apiKeyRequired ?? options.middleware?.enableAuth, 'security.apiKeyRequired'));
  set('ALLOWED_ORIGINS', list(security.allowedOrigins, 'security.allowedOrigins'));
  set('RATE_LIMIT_RPM', wholeNumber(security.rateLimitRpm, 'security.rateLimitRpm'));
  set('MAX_CONNECTIONS', wholeNumber(security.maxConnections, 'security.maxConnections'));
  set('DETAILED_ERRORS', flag(options.detailedErrors, 'detailedErrors'));
  set('WEBHOOK_TIMEOUT_MS', wholeNumber(options.webhookTimeout, 'webhookTimeout'));
  set('LOG_LEVEL', options.logLevel);
  if (options.store !== undefined && options.store !== 'sqlite' && options.store !== 'memory') {
    throw new TypeError(`store must be 'sqlite' or 'memory'; got ${JSON.stringify(options.store)}`);
  }
  set('STORE', options.store);
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir === '')) {
    throw new TypeError(`dataDir must name a folder; got ${JSON.stringify(options.dataDir)}`);
  }
  // Absolute, so the store stays where the app meant whatever its cwd becomes.
  set('DATA_DIR', options.dataDir === undefined ? undefined : path.resolve(options.dataDir));
  for (const [name, value] of Object.entries(options.serverEnv ?? {})) {
    if (value === undefined || value === null) delete vars[name];
    else vars[name] = String(value);
  }

  vars.BROLOSTACK_ENV = environment;
  vars.HOST = '127.0.0.1';
  vars.PORT = '0';
  vars.WS_PATH = '/ws';
  vars.ENABLE_ENCRYPTION = 'false';
  vars.CONNECTION_RATE_PER_IP = '0';
  for (const name of ['STATIC_DIR', 'TLS_CERT', 'TLS_KEY']) delete vars[name];
  vars.API_KEYS = [...appApiKeys(options, env), `${INTERNAL_KEY_NAME}=${secrets.internalKey}`].join(',');
  if (secrets.jwtSecret) vars.JWT_SECRET = secrets.jwtSecret;
  vars.WEBHOOK_SECRET = secrets.webhookSecret;
  if (secrets.backendUrl) vars.BACKEND_URL = secrets.backendUrl;
  else delete vars.BACKEND_URL;
  return vars;
}
