// BrolostackNodeJSIntegration: the seed's one-line backends.
//
//   const integration = await BrolostackNodeJSIntegration.withExpress(app, options);
//   integration.on('ask', async (data, { user }) => answer);   // the reply to client.send('ask', data)
//   await integration.listen(3001);
//
// with...(app) adds the routes (routes.mjs) to the app; listen() starts the
// app on its own framework's server, then the native server (a supervised
// child, multiagent.mjs) whose WebSocket endpoint is served on that same
// port at /ws, and whose webhook goes to the app's /brolostack/events.
// shutdown() stops both. Everything else is the BrolostackWSMultiagent's,
// here as `integration.multiagent` and delegated below.
import tls from 'node:tls';
import { findServerBinary } from './binary.mjs';
import { appApiKeys, authRequired, resolveEnvironment } from './environment.mjs';
import { express } from './express.mjs';
import { fastify } from './fastify.mjs';
import { koa } from './koa.mjs';
import { loopbackOrigin } from './listen.mjs';
import { BrolostackWSMultiagent } from './multiagent.mjs';
import { nest } from './nest.mjs';
import { IntegrationRoutes } from './routes.mjs';

const OPEN_ORIGINS = new Set(['development', 'test']);

/** Who may read the routes from a browser with `middleware.enableCors`: the WebSocket's allowed origins. */
function corsOrigins(options, environment) {
  const given = options.security?.allowedOrigins ?? process.env.ALLOWED_ORIGINS;
  const origins = given === undefined ? (OPEN_ORIGINS.has(environment) ? ['*'] : [])
    : (Array.isArray(given) ? given : String(given).split(',')).map((o) => o.trim()).filter(Boolean);
  return origins.includes('*') ? '*' : origins;
}

export class BrolostackNodeJSIntegration {
  static withExpress(app, options) { return BrolostackNodeJSIntegration.create(express, app, options); }
  static withFastify(app, options) { return BrolostackNodeJSIntegration.create(fastify, app, options); }
  static withKoa(app, options) { return BrolostackNodeJSIntegration.create(koa, app, options); }
  static withNestJS(app, options) { return BrolostackNodeJSIntegration.create(nest, app, options); }

  static async create(framework, app, options = {}) {
    if (!framework.check(app)) throw new TypeError(`with${framework.name}(app, options): app must be ${framework.expected}`);
    findServerBinary(options.serverBin);  // a missing binary is said now, not at listen()
    const integration = new BrolostackNodeJSIntegration(framework, app, options);
    await framework.mount(app, integration.routes);
    return integration;
  }

  constructor(framework, app, options) {
    const environment = resolveEnvironment(options);
    this.framework = framework;
    this.app = app;
    this.options = options;
    this.multiagent = new BrolostackWSMultiagent(null, options);
    this.authRequired = authRequired(options, process.env, environment);
    this.apiKeys = appApiKeys(options, process.env).map((key) => key.slice(key.indexOf('=') + 1));
    this.cors = options.middleware?.enableCors ? corsOrigins(options, environment) : null;
    this.routes = new IntegrationRoutes(this);
    this.server = null;
  }

  /** Starts the app on `port` (default: options.port, else 3001), then the server behind it; resolves to the app's http(s).Server. */
  async listen(port = this.options.port ?? 3001, host = this.options.host) {
    if (this.server) throw new Error('listen() was already called');
    const server = await this.framework.listen(this.app, { port, host, server: this.options.server });
    this.server = server;
    // An https app would need the child to trust its certificate: its
    // webhook then goes to a loopback server of the multiagent's own.
    const backendUrl = this.options.backendUrl ?? (server instanceof tls.Server ? undefined : loopbackOrigin(server));
    this.multiagent.attach(server, { backendUrl });
    try {
      await this.multiagent.initialize();
    } catch (err) {
      await this.framework.close(this.app, server).catch(() => {});
      throw err;
    }
    return server;
  }

  /** The port the app listens on. */
  get port() { return this.server?.address()?.port ?? null; }

  /** Stops the server behind the app (clients get close 1001), then the app. */
  async shutdown() {
    await this.multiagent.close();
    if (this.server) await this.framework.close(this.app, this.server);
  }

  on(event, handler) { return this.multiagent.on(event, handler); }
  off(event, handler) { this.multiagent.off(event, handler); }
  createSession(id) { return this.multiagent.createSession(id); }
  startTask(sessionId, definition) { return this.multiagent.startTask(sessionId, definition); }
  cancelTask(sessionId, taskId) { return this.multiagent.cancelTask(sessionId, taskId); }
  publish(room, event, data) { return this.multiagent.publish(room, event, data); }
  broadcast(rooms, event, data) { return this.multiagent.broadcast(rooms, event, data); }
  members(room) { return this.multiagent.members(room); }
  history(room, options) { return this.multiagent.history(room, options); }
  disconnect(target) { return this.multiagent.disconnect(target); }
  listSessions() { return this.multiagent.listSessions(); }
  getStats() { return this.multiagent.getStats(); }
  createToken(sub, options) { return this.multiagent.createToken(sub, options); }
  status() { return this.multiagent.status(); }
}
