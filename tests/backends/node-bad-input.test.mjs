// Bad input at a Node backend (an Express app, Express from npm as the
// example app installs it): webhook calls without the right signature are
// refused before any handler runs; a handler that throws answers
// `internal` (its message in development only); one slower than
// WEBHOOK_TIMEOUT_MS answers `unavailable`; a deliberate BrolostackError
// passes its code on; the routes need a key where authentication is on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import WebSocket from 'ws';
import { BrolostackError, BrolostackWSClientside } from '../../js/src/index.mjs';
import { BrolostackNodeJSIntegration, mintToken, webhookSignature } from '../../js/src/server/index.mjs';
import { backends, ensureTarball, freshDataDir, install, postJson, serverBin, sleep, until } from './support/apps.mjs';

const SECRET = 'test-webhook-secret';
const WEBHOOK = '/brolostack/events';
let express;
const integrations = [];
const clients = [];

after(async () => {
  await Promise.allSettled(clients.map((c) => c.destroy()));
  await Promise.allSettled(integrations.map((i) => i.shutdown()));
});

/** Collects what the package logs, instead of the test's output. */
function recordingLogger() {
  const lines = [];
  const log = (...args) => lines.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  return { lines, error: log, warn: log, info: log };
}

async function expressApp(options, handlers) {
  const app = express();
  const logger = recordingLogger();
  const integration = await BrolostackNodeJSIntegration.withExpress(app, {
    serverBin, dataDir: freshDataDir(), webhookSecret: SECRET, logLevel: 'warn', logger, onServerLog: () => {}, ...options,
  });
  app.use(express.json());
  for (const [event, handler] of Object.entries(handlers)) integration.on(event, handler);
  integrations.push(integration);
  await integration.listen(0, '127.0.0.1');
  return { integration, logger, url: `http://127.0.0.1:${integration.port}` };
}

async function connect(url, extra = {}) {
  const c = new BrolostackWSClientside({ url, WebSocket, storage: null, environment: 'development', ...extra });
  clients.push(c);
  await c.connect();
  return c;
}

const rejection = (promise) => promise.then((v) => assert.fail(`resolved with ${JSON.stringify(v)}`), (e) => e);

let dev;
const calls = { count: 0, slowAborted: null, slowFinished: false };

before(async () => {
  await ensureTarball();
  await install('node-express');
  express = createRequire(path.join(backends, 'node-express', 'package.json'))('express');
  dev = await expressApp({ environment: 'development', webhookTimeout: 400 }, {
    count: () => ++calls.count,
    boom: () => { throw new Error('the database is on fire'); },
    deny: () => { throw new BrolostackError('forbidden', 'not your document'); },
    slow: async (_data, { signal }) => {
      await sleep(1200);
      calls.slowAborted = signal.aborted;
      calls.slowFinished = true;
      return 'too late';
    },
  });
});

test('a webhook call without a signature, or with a wrong one, gets 401 and reaches no handler', async () => {
  const body = JSON.stringify({ event: 'count', data: null, sid: 'c-1', user: null });
  const post = (headers) => fetch(`${dev.url}${WEBHOOK}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const refused = [
    await post({}),
    await post({ 'X-Brolostack-Signature': webhookSignature('another-secret', body) }),
    await post({ 'X-Brolostack-Signature': webhookSignature(SECRET, `${body} `) }),
    await post({ 'X-Brolostack-Signature': 'sha256=00' }),
    await post({ 'X-Brolostack-Signature': webhookSignature(SECRET, body).toUpperCase() }),
  ];
  for (const res of refused) {
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'unauthorized');
  }
  assert.equal(calls.count, 0, 'no handler ran');
  // The same body, rightly signed, is answered: the check is what refused them.
  const signed = await post({ 'X-Brolostack-Signature': webhookSignature(SECRET, body) });
  assert.equal(signed.status, 200);
  assert.equal(await signed.json(), 1);
  assert.equal(calls.count, 1);
});

test('through the server: a throwing handler answers internal with its message in development, and is logged', async () => {
  const c = await connect(dev.url);
  const err = await rejection(c.send('boom', {}));
  assert.equal(err.code, 'internal');
  assert.match(err.message, /the database is on fire/);
  assert.ok(dev.logger.lines.some((l) => /the handler of 'boom' threw/.test(l) && /database is on fire/.test(l)), dev.logger.lines.join('\n'));
  // A deliberate error passes its code and message on; an event nobody handles is not_found.
  const denied = await rejection(c.send('deny', {}));
  assert.equal(denied.code, 'forbidden');
  assert.equal(denied.message, 'not your document');
  assert.equal((await rejection(c.send('nobody-handles-this', {}))).code, 'not_found');
  // The app keeps serving.
  assert.equal(await c.send('count', {}), 2);
});

test('through the server: a handler slower than WEBHOOK_TIMEOUT_MS answers unavailable, and its signal aborts', async () => {
  const c = await connect(dev.url);
  const started = Date.now();
  const err = await rejection(c.send('slow', {}));
  assert.equal(err.code, 'unavailable');
  assert.ok(Date.now() - started < 1200, 'answered at the timeout, not when the handler finished');
  await until(() => calls.slowFinished, 5000, 'the slow handler to finish');
  assert.equal(calls.slowAborted, true);
});

test('in production a throwing handler says only internal, and the routes need an API key', async () => {
  const prod = await expressApp({ environment: 'production', security: { apiKeys: { web: 'key-for-web' } } }, {
    boom: () => { throw new Error('secret table name'); },
  });
  const body = JSON.stringify({ event: 'boom', data: {}, sid: 'c-1', user: null });
  const direct = await postJson(`${prod.url}${WEBHOOK}`, JSON.parse(body), { 'X-Brolostack-Signature': webhookSignature(SECRET, body) });
  assert.equal(direct.status, 500);
  assert.deepEqual(direct.body, { error: { code: 'internal', message: 'internal error' } });

  const c = await connect(prod.url, { auth: { apiKey: 'key-for-web' }, environment: 'production' });
  const err = await rejection(c.send('boom', {}));
  assert.equal(err.code, 'internal');
  assert.doesNotMatch(err.message, /secret table/);

  assert.equal((await fetch(`${prod.url}/brolostack/ws/stats`)).status, 401);
  assert.equal((await fetch(`${prod.url}/brolostack/ws/stats`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
  const stats = await fetch(`${prod.url}/brolostack/ws/stats`, { headers: { Authorization: 'Bearer key-for-web' } });
  assert.equal(stats.status, 200);
  assert.equal((await stats.json()).environment, 'production');
  // Without credentials the production server refuses the client.
  const anonymous = new BrolostackWSClientside({ url: prod.url, WebSocket, storage: null, environment: 'production', reconnection: false });
  clients.push(anonymous);
  assert.equal((await rejection(anonymous.connect())).code, 'unauthorized');
});

test('createToken: the server takes the app\'s tokens (the user reaches handlers), and refuses forged or expired ones', async () => {
  const prod = await expressApp({ environment: 'production' }, { whoami: (_data, { user }) => ({ user }) });
  const token = prod.integration.createToken('user-7', { name: 'Ada', expiresIn: 600 });
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  assert.equal(claims.exp - claims.iat, 600);
  const c = await connect(prod.url, { auth: { token }, environment: 'production' });
  assert.deepEqual(await c.send('whoami', {}), { user: 'user-7' });
  for (const bad of [mintToken('user-7', 'another-secret'), mintToken('user-7', 'x', { expiresIn: 1, now: Date.now() - 3600000 })]) {
    const refused = new BrolostackWSClientside({ url: prod.url, WebSocket, storage: null, environment: 'production', reconnection: false, auth: { token: bad } });
    clients.push(refused);
    assert.equal((await rejection(refused.connect())).code, 'unauthorized');
  }
});

test('a body parser mounted before the integration is reported, not mistaken for a bad signature', async () => {
  const app = express();
  app.use(express.json());
  const integration = await BrolostackNodeJSIntegration.withExpress(app, { serverBin, dataDir: freshDataDir(), webhookSecret: SECRET, logLevel: 'warn', onServerLog: () => {} });
  integrations.push(integration);
  await integration.listen(0, '127.0.0.1');
  const body = JSON.stringify({ event: 'x', data: null, sid: 'c-1', user: null });
  const res = await postJson(`http://127.0.0.1:${integration.port}${WEBHOOK}`, JSON.parse(body), { 'X-Brolostack-Signature': webhookSignature(SECRET, body) });
  assert.equal(res.status, 500);
  assert.match(res.body.error.message, /before body parsers/);
});
