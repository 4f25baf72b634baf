// The routes an integration adds to the app, framework-free: each adapter
// (express.mjs, fastify.mjs, koa.mjs, nest.mjs) matches them and writes the
// answer in its framework's own way.
//   POST /brolostack/events       the child's webhook (signature checked first)
//   GET  /brolostack/ws/stats     the server's stats
//   GET  /brolostack/ws/sessions  {count, sessions}
// The two GET routes need an API key of the app's (Authorization: Bearer,
// or X-API-Key) when authentication is on (`middleware.enableAuth`, else
// the profile: staging and production); with `middleware.enableCors` they
// answer browsers of the allowed origins.
import { timingSafeEqual } from 'node:crypto';
import { SIGNATURE_HEADER, WEBHOOK_PATH } from './webhook.mjs';

export const STATS_PATH = '/brolostack/ws/stats';
export const SESSIONS_PATH = '/brolostack/ws/sessions';
export { WEBHOOK_PATH };

const json = (status, value, headers = {}) => ({ status, headers: { 'Content-Type': 'application/json', ...headers }, text: JSON.stringify(value) });
const error = (status, code, message, headers) => json(status, { error: { code, message } }, headers);

function sameSecret(given, expected) {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class IntegrationRoutes {
  /** `integration` gives `multiagent`, `authRequired`, `apiKeys` (secrets), `cors` (null, '*' or a list of origins). */
  constructor(integration) {
    this.integration = integration;
  }

  /** Which route `method` `pathname` is, or null for the app's own. */
  match(method, pathname) {
    if (pathname === WEBHOOK_PATH) return method === 'POST' ? 'webhook' : 'wrong-method';
    if (pathname === STATS_PATH || pathname === SESSIONS_PATH) {
      if (method === 'OPTIONS') return 'preflight';
      return method === 'GET' || method === 'HEAD' ? (pathname === STATS_PATH ? 'stats' : 'sessions') : 'wrong-method';
    }
    return null;
  }

  /**
   * The answer {status, headers, text} to route `kind`. `headers` are the
   * request's (lower-case names); `readBody()` resolves to its raw bytes.
   */
  async answer(kind, { headers, readBody }) {
    if (kind === 'wrong-method') return error(405, 'bad_request', 'method not allowed');
    if (kind === 'webhook') {
      let body;
      try { body = await readBody(); } catch (err) {
        if (!err.answer) throw err;
        return { status: err.answer.status, headers: { 'Content-Type': 'application/json' }, text: err.answer.text };
      }
      const { status, text } = await this.integration.multiagent.handleWebhook(body, headers[SIGNATURE_HEADER]);
      return { status, headers: { 'Content-Type': 'application/json' }, text };
    }
    const cors = this.corsHeaders(headers.origin);
    if (kind === 'preflight') {
      return { status: 204, headers: { ...cors, 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Authorization, X-API-Key' }, text: '' };
    }
    if (!this.authorized(headers)) {
      return error(401, 'unauthorized', 'an API key is required (Authorization: Bearer <key> or X-API-Key)', { ...cors, 'WWW-Authenticate': 'Bearer' });
    }
    const { multiagent } = this.integration;
    try {
      const value = kind === 'stats' ? await multiagent.getStats() : await multiagent.listSessions();
      return json(200, value, cors);
    } catch (err) {
      return error(503, 'unavailable', err.message, cors);
    }
  }

  authorized(headers) {
    if (!this.integration.authRequired) return true;
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    const given = bearer ?? headers['x-api-key'];
    if (!given) return false;
    // Every key is compared, so the time taken does not say which one matched.
    let ok = false;
    for (const key of this.integration.apiKeys) ok = sameSecret(given, key) || ok;
    return ok;
  }

  corsHeaders(origin) {
    const { cors } = this.integration;
    if (!cors || !origin) return {};
    if (cors === '*') return { 'Access-Control-Allow-Origin': '*' };
    return cors.includes(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' };
  }
}
