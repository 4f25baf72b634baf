// BrolostackWSMultiagent: the seed's server API for Node, over the native
// server run as a supervised child process (supervisor.mjs) and served on
// the app's own HTTP server (upgrade_proxy.mjs). What the app calls maps
// onto the server's own interfaces:
// - createSession, session.registerAgent: a `brolostack` client of our own
//   on the child (internal_client.mjs); its agents are JS agents;
// - publish, broadcast, startTask, cancelTask, getStats, ...: the HTTP API;
// - on(event, handler): the sessions' announcements through that client
//   ('task-progress', ...), and every other name a handler for clients'
//   `send` events, through the webhook (webhook.mjs);
// - createToken: HS256 with the JWT_SECRET the child was given.
import { ARGS_TYPES, BrolostackError } from '../index.mjs';
import { findServerBinary } from './binary.mjs';
import { ConnectionRate } from './connection_rate.mjs';
import { childEnvironment, connectionRatePerIp, resolveEnvironment } from './environment.mjs';
import { HttpApi, segment } from './http_api.mjs';
import { openInternalClient } from './internal_client.mjs';
import { Listeners } from './listeners.mjs';
import { ServerSession, SESSION_ID } from './session.mjs';
import { ServerProcess } from './supervisor.mjs';
import { mintToken, randomSecret } from './token.mjs';
import { attachUpgradeProxy } from './upgrade_proxy.mjs';
import { WebhookHandlers } from './webhook.mjs';
import { startWebhookServer } from './webhook_server.mjs';

const kebab = (type) => type.toLowerCase().replace(/_/g, '-');
const ARGS_EVENTS = ARGS_TYPES.map(kebab);
/** Names `on` keeps for announcements and the supervisor; any other name is a `send` event for the webhook. */
export const LOCAL_EVENTS = new Set([...ARGS_EVENTS, 'assignment', 'session-created', 'session-closed',
  'server-ready', 'server-exit', 'server-failed', 'error']);

export class BrolostackWSMultiagent {
  constructor(httpServer = null, options = {}) {
    if (httpServer !== null && typeof httpServer?.on !== 'function') {
      throw new TypeError('new BrolostackWSMultiagent(httpServer, options): httpServer must be an http.Server or https.Server (or null)');
    }
    const env = { ...process.env, ...options.serverEnv };
    this.httpServer = httpServer;
    this.options = options;
    this.environment = resolveEnvironment(options);
    this.logger = options.logger ?? console;
    this.path = options.path ?? '/ws';
    this.backendUrl = options.backendUrl ?? null;
    this.secrets = {
      internalKey: randomSecret(16),
      // With JWT_PUBLIC_KEY the app signs its tokens itself: no secret is made up.
      jwtSecret: options.security?.jwtSecret ?? env.JWT_SECRET ?? (env.JWT_PUBLIC_KEY ? null : randomSecret()),
      webhookSecret: options.webhookSecret ?? env.WEBHOOK_SECRET ?? randomSecret(),
    };
    this.listeners = new Listeners(this.logger);
    this.webhooks = new WebhookHandlers({
      secret: this.secrets.webhookSecret,
      detailedErrors: options.detailedErrors ?? this.environment === 'development',
      timeoutMs: options.webhookTimeout ?? (Number(env.WEBHOOK_TIMEOUT_MS) || 5000),
      logger: this.logger,
    });
    this.sessions = new Map();
    this.api = new HttpApi({ running: (deadRun) => this.running(deadRun), apiKey: this.secrets.internalKey });
    this.process = null;
    this.lastPort = 0;
    // Calls made before initialize() (an integration's, before listen())
    // wait for the server; they fail if it never comes up.
    this.initialized = new Promise((resolve, reject) => { this.markInitialized = resolve; this.markFailed = reject; });
    this.initialized.catch(() => {});
  }

  /** Serves on `httpServer` (and sends the webhook to `backendUrl`); for integrations, before initialize(). */
  attach(httpServer, { backendUrl } = {}) {
    if (this.started) throw new Error('attach() comes before initialize()');
    this.httpServer = httpServer;
    if (backendUrl) this.backendUrl = backendUrl;
  }

  /** Starts the server and waits until it is ready; rejects with the server's own message when it refuses its configuration. */
  initialize() {
    this.started ??= this.start();
    return this.started;
  }

  async start() {
    if (this.closing) throw new Error('this BrolostackWSMultiagent was closed');
    const restart = this.options.restart ?? {};
    try {
      const bin = findServerBinary(this.options.serverBin);
      if (!this.backendUrl) this.ownWebhook = await startWebhookServer(this.webhooks);
      const env = childEnvironment(this.options, process.env, this.environment,
        { ...this.secrets, backendUrl: this.backendUrl ?? this.ownWebhook.url });
      this.rate = new ConnectionRate(connectionRatePerIp(this.options, process.env, this.environment));
      this.process = new ServerProcess({
        bin, env, logger: this.logger, onLog: this.options.onServerLog,
        startTimeoutMs: this.options.startTimeout, stopTimeoutMs: this.options.stopTimeout,
        restartDelayMs: restart.initialDelay, maxRestartDelayMs: restart.maxDelay,
      });
      this.process.on('ready', (info) => { this.lastPort = info.port; this.listeners.emit('server-ready', info); });
      this.process.on('exit', (info) => this.listeners.emit('server-exit', info));
      this.process.on('failed', (info) => this.listeners.emit('server-failed', info));
      if (this.httpServer) {
        this.proxy = attachUpgradeProxy(this.httpServer, {
          path: this.path,
          target: () => {
            const run = this.process.state === 'running' ? this.process.current : null;
            return run && { host: '127.0.0.1', port: run.port, path: run.wsPath };
          },
          admit: (ip) => this.rate.admit(ip),
          logger: this.logger,
        });
      }
      await this.process.start();
    } catch (err) {
      this.markFailed(err);
      await this.close();
      throw err;
    }
    this.markInitialized();
    return this;
  }

  running(deadRun = null) {
    return this.initialized.then(() => this.process.whenRunning(undefined, deadRun));
  }

  /** The server API's own client on the child, opened on first use. */
  client() {
    this.clientPromise ??= this.running().then(() => openInternalClient({
      childUrl: () => `ws://127.0.0.1:${this.process.current?.port ?? this.lastPort}/ws`,
      apiKey: this.secrets.internalKey,
      environment: ['development', 'test', 'staging', 'production'].includes(this.environment) ? this.environment : 'development',
    })).then((client) => {
      for (const event of ARGS_EVENTS) client.on(event, (payload, message) => this.announce(event, payload, message));
      return client;
    });
    return this.clientPromise;
  }

  announce(event, payload, message) {
    this.listeners.emit(event, payload, message);
    this.sessions.get(message?.sessionId)?.listeners.emit(event, payload, message);
    if (event === 'sync-response' && payload?.state === 'closed') {
      this.listeners.emit('session-closed', { sessionId: message.sessionId, reason: payload.reason });
    }
  }

  joinSession(id) {
    return this.client().then((client) => client.send('join-session', { sessionId: id }));
  }

  /** A failure nobody awaits is an 'error' event (logged when nobody listens), not an unhandled rejection. */
  quiet(promise) {
    promise.catch((err) => this.listeners.emit('error', err));
    return promise;
  }

  // ---- the seed's server API ------------------------------------------------
  /** The session `id` (created on the server if new); the same object for the same id. */
  createSession(id = 'default') {
    if (typeof id !== 'string' || !SESSION_ID.test(id)) {
      throw new TypeError(`createSession(id): id must be 1-119 characters of A-Z a-z 0-9 _ . : @ -; got ${JSON.stringify(id)}`);
    }
    let session = this.sessions.get(id);
    if (!session) {
      session = new ServerSession(this, id);
      this.sessions.set(id, session);
      this.listeners.emit('session-created', session);
    }
    return session;
  }

  getSession(id) { return this.sessions.get(id); }

  startTask(sessionId, definition) { return this.quiet(this.api.post(`/api/v1/sessions/${segment(sessionId)}/tasks`, definition)); }
  cancelTask(sessionId, taskId) { return this.quiet(this.api.delete(`/api/v1/sessions/${segment(sessionId)}/tasks/${segment(taskId)}`)); }
  /** `{count, sessions: [ids]}` */
  listSessions() { return this.quiet(this.api.get('/api/v1/sessions')); }
  getSessionSnapshot(id) { return this.quiet(this.api.get(`/api/v1/sessions/${segment(id)}`)); }

  /** Publishes to a room's members: {offset, epoch}. */
  publish(room, event, data) { return this.quiet(this.api.post('/api/v1/publish', { room, event, data: data ?? null })); }

  /** Publishes to several rooms: {results: [{room, offset, epoch}]}. */
  broadcast(rooms, event, data) {
    if (!Array.isArray(rooms)) return this.quiet(Promise.reject(new TypeError('broadcast(rooms, event, data): rooms must be an array of room ids')));
    return this.quiet(this.api.post('/api/v1/broadcast', { rooms, event, data: data ?? null }));
  }

  members(room) { return this.quiet(this.api.get(`/api/v1/rooms/${segment(room)}/members`)); }

  history(room, { limit, sinceOffset, epoch } = {}) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries({ limit, sinceOffset, epoch })) if (v !== undefined) query.set(k, String(v));
    const search = query.toString();
    return this.quiet(this.api.get(`/api/v1/rooms/${segment(room)}/history${search ? `?${search}` : ''}`));
  }

  /** Closes the connections of `{user}` or `{sid}` with 4003: {disconnected}. */
  disconnect(target) { return this.quiet(this.api.post('/api/v1/disconnect', target)); }

  /** The server's stats (the seed's fields and the counters of docs/api.md), read from the child now. */
  getStats() { return this.quiet(this.api.get('/api/v1/stats')); }

  /** An HS256 JWT for user `sub` that the server accepts (see token.mjs for the claims). */
  createToken(sub, options) {
    if (!this.secrets.jwtSecret) throw new Error('createToken signs with JWT_SECRET (HS256); this server uses JWT_PUBLIC_KEY, so tokens come from whoever holds its private key');
    return mintToken(sub, this.secrets.jwtSecret, options);
  }

  /**
   * `on('task-progress', (payload, message) => ...)` and the other ARGS
   * announcements of the sessions opened here, 'assignment', 'session-*',
   * 'server-*' and 'error'; any other name is the handler of clients'
   * `send(name, data)`, whose answer is the reply. Returns the disposer.
   */
  on(event, handler) {
    if (LOCAL_EVENTS.has(event)) return this.listeners.on(event, handler);
    return this.webhooks.on(event, handler);
  }

  off(event, handler) {
    if (LOCAL_EVENTS.has(event)) this.listeners.off(event, handler);
    else this.webhooks.off(event, handler);
  }

  /** Answers one webhook call (for a route of the app's own): {status, text}. */
  handleWebhook(rawBody, signatureHeader) { return this.webhooks.handle(rawBody, signatureHeader); }

  /** The child as it is now: {state, pid, port, restarts, connections}. */
  status() {
    const run = this.process?.current;
    return {
      state: this.process?.state ?? 'idle',
      pid: run?.pid ?? null,
      port: run?.port ?? null,
      restarts: this.process?.restarts ?? 0,
      connections: this.proxy?.size ?? 0,
    };
  }

  /** Stops everything: no new upgrades, the own client closed, the child drained (SIGTERM, then SIGKILL), tunnels cut. */
  close() {
    this.closing ??= (async () => {
      this.markFailed(new BrolostackError('unavailable', 'the server was closed'));
      this.proxy?.stopAccepting();
      const client = this.clientPromise ? await this.clientPromise.catch(() => null) : null;
      await client?.destroy().catch(() => {});
      await this.process?.stop();
      this.proxy?.close();
      this.rate?.stop();
      await this.ownWebhook?.close();
    })();
    return this.closing;
  }
}
