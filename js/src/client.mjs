// BrolostackWSClientside: the idiomatic API over the wasm client core. The
// core decides (state, backoff, queue, recovery, dedupe); this layer owns
// the WebSocket, the timers and storage, and turns effects into events and
// settled promises.
import { defaultWebSocket, NO_WEBSOCKET_HELP } from '#platform';
import { loadCore } from './core.mjs';
import { CoreChannel } from './effects.mjs';
import { PROFILES, defaultEndpoint, detectEnvironment } from './profiles.mjs';
import { QueuePersistence } from './persistence.mjs';
import { Room } from './room.mjs';
import { decodeChunkFrame, encodeChunkFrame, isBinaryChunk } from './stream.mjs';
import { registerAgent } from './agent.mjs';
import { Handlers } from './handlers.mjs';

const PRIORITIES = ['low', 'medium', 'high', 'critical'];
const SNAPSHOT_INTERVAL_MS = 250;
const PERSIST_INTERVAL_MS = 1000;
// Events after which the snapshot is published at once (see refreshSnapshot).
const STRUCTURAL_EVENTS = new Set(['state', 'room-joined', 'room-left', 'queue-restored', 'message-dropped']);

export class BrolostackError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'BrolostackError';
    this.code = code;
  }
}

/**
 * The endpoint to open. A URL without a path (the seed's
 * 'wss://your-server.com') means the server's default endpoint, /ws; an
 * http(s) URL means the same server over ws(s).
 */
export function endpointUrl(url) {
  const ws = url.replace(/^http(s?):\/\//i, 'ws$1://');
  const m = /^(wss?:\/\/[^/?#]+)([?#].*)?$/i.exec(ws);
  return m ? `${m[1]}/ws${m[2] ?? ''}` : ws;
}

export class BrolostackWSClientside {
  constructor(config = {}) {
    const environment = config.environment || detectEnvironment();
    if (!Object.hasOwn(PROFILES, environment)) {
      throw new TypeError(`environment must be one of ${Object.keys(PROFILES).join(', ')}; got '${environment}'`);
    }
    if (config.getToken !== undefined && typeof config.getToken !== 'function') {
      throw new TypeError('getToken must be a function returning a token (or a promise of one)');
    }
    const profile = PROFILES[environment];
    const queue = config.messageQueue || {};
    this.config = {
      url: endpointUrl(config.url || defaultEndpoint()),
      autoConnect: config.autoConnect !== false,
      reconnection: config.reconnection !== false,
      reconnectionAttempts: config.reconnectionAttempts ?? profile.reconnectionAttempts,
      reconnectionDelay: config.reconnectionDelay ?? 1000,
      reconnectionDelayMax: config.reconnectionDelayMax ?? 5000,
      heartbeatInterval: config.heartbeatInterval ?? profile.heartbeatInterval,
      queueEnabled: queue.enabled ?? profile.queue,
      queueMaxSize: queue.maxSize ?? 1000,
      persistOffline: queue.persistOffline ?? profile.persist,
      environment,
      auth: config.auth || {},
    };
    this.getToken = config.getToken ?? null;
    // A token is fetched before a connection opens when there is none yet,
    // and again after the server closed with 4002 (token expired).
    this.tokenStale = !this.config.auth.token;
    this.openAttempt = 0;
    this.session = null;  // the ARGS session binary chunks go to when their data names none
    this.roomObjects = new Map();
    const storage = config.storage === undefined ? globalThis.localStorage : config.storage;
    this.persistence = this.config.persistOffline && storage
      ? new QueuePersistence({ storage, url: this.config.url, locks: config.locks === undefined ? globalThis.navigator?.locks : config.locks })
      : null;
    this.now = config.now || (() => Date.now());
    this.handlers = new Handlers();
    this.requests = new Map();
    this.socket = null;
    this.timer = null;
    this.timerAt = 0;  // when the armed timer fires (0: none)
    this.snapshotTimer = null;
    this.persistTimer = null;
    this.persistedVersion = -1;
    this.destroyed = false;
    this.listeners = new Set();
    this.snapshot = { connected: false, stats: { connected: false, environment } };
    const webSocket = config.WebSocket ? Promise.resolve(config.WebSocket) : defaultWebSocket();
    this.ready = Promise.all([loadCore(config.loadCore), webSocket]).then(([core, WebSocketImpl]) => {
      this.WebSocket = WebSocketImpl;
      if (this.destroyed) return;
      this.client = new core.WasmClient(JSON.stringify({
        reconnection: this.config.reconnection,
        reconnectionAttempts: this.config.reconnectionAttempts,
        reconnectionDelay: this.config.reconnectionDelay,
        reconnectionDelayMax: this.config.reconnectionDelayMax,
        queueEnabled: this.config.queueEnabled,
        queueMaxSize: this.config.queueMaxSize,
        heartbeatInterval: this.config.heartbeatInterval,
        environment,
        token: this.config.auth.token || '',
        apiKey: this.config.auth.apiKey || '',
      }), Math.random());
      this.channel = new CoreChannel(core, this.client);
    });
    if (this.persistence) {
      // Queues left by earlier pages: at start, and again once connected
      // (a reloaded page's lock may outlive the first look).
      this.ready.then(() => this.adoptOrphans());
      this.on('connected', () => this.adoptOrphans());
    }
    if (this.getToken) {
      this.on('token-expiring', () => this.renewToken());
      this.on('disconnected', (info) => { if (info?.code === 4002) this.tokenStale = true; });
    }
    if (this.config.autoConnect) this.connect().catch((err) => this.emit('reconnect-error', err));
    this.installWakeUps();
  }

  // ---- API ---------------------------------------------------------------
  connect() {
    return this.call((c, now) => {
      if (!this.WebSocket) throw new BrolostackError('unavailable', NO_WEBSOCKET_HELP);
      return c.connect(now);
    });
  }
  reconnect() { return this.disconnectSocketOnly().then(() => this.connect()); }
  disconnect() { return this.ready.then(() => this.step((c, now) => c.disconnect(now))); }
  joinRoom(room, name = '', info = {}) {
    return this.call((c, now) => c.joinRoom(room, name, JSON.stringify(info ?? {}), now));
  }
  leaveRoom(room) { return this.call((c, now) => c.leaveRoom(room, now)); }
  /** The room's newest `limit` messages, oldest first: `{room, epoch, offset, messages, complete}`. */
  history(room, { limit = 100 } = {}) {
    if (!Number.isInteger(limit) || limit < 1) {
      return Promise.reject(new BrolostackError('bad_request', 'limit must be a positive integer'));
    }
    return this.call((c, now) => c.history(room, limit, now));
  }
  /** Who is in the room now: `{room, members, memberCount}`. */
  members(room) { return this.call((c, now) => c.members(room, now)); }
  /**
   * The room as an object (joined on first use, one object per joined
   * room): `on`, `publish`, `presence`, `history`, `leave`.
   */
  room(name, { title = '', info = {} } = {}) {
    let room = this.roomObjects.get(name);
    if (!room) {
      room = new Room(this, name, { title, info });
      this.roomObjects.set(name, room);
    }
    return room;
  }
  forgetRoom(room) {
    if (this.roomObjects.get(room.name) === room) this.roomObjects.delete(room.name);
  }
  /**
   * Every message is acknowledged: the promise settles with the server's
   * answer (`requiresAck` is always on). `priority` decides what a full
   * queue gives up first, never the order of delivery.
   */
  send(event, data, { room, priority } = {}) {
    if (room) return this.sendToRoom(room, event, data, { priority });
    if (event === 'stream-chunk' && isBinaryChunk(data?.chunk)) return this.sendBinaryChunk(data);
    const sent = this.withPriority(priority, (level) => this.call((c, now) => c.send(event, JSON.stringify(data ?? null), level, now)));
    if (event === 'join-session' || event === 'register-agent') {
      const session = typeof data === 'string' ? data : data?.sessionId;
      sent.then(() => { this.session = session || this.session || 'default'; }, () => {});
    }
    return sent;
  }
  /**
   * A binary stream chunk goes out as one binary frame (no reply: the
   * server answers only a refused chunk, with an `error` event). It is not
   * queued: a stream is live data, so offline it is refused.
   */
  async sendBinaryChunk({ sessionId, streamId, seq, isLast = false, chunk }) {
    await this.ready;
    if (typeof streamId !== 'string' || !Number.isInteger(seq) || seq < 0) {
      throw new BrolostackError('bad_request', 'a stream chunk needs streamId (a string) and seq (an integer from 0)');
    }
    if (!this.socket || !this.isConnected()) throw new BrolostackError('unavailable', 'binary stream chunks are not queued while offline');
    this.socket.send(encodeChunkFrame({ sessionId: sessionId ?? this.session ?? 'default', streamId, seq, isLast }, chunk));
    return { streamId, seq };
  }
  sendToRoom(room, event, data, { echo = false, priority } = {}) {
    return this.withPriority(priority, (level) =>
      this.call((c, now) => c.publish(room, event, JSON.stringify(data ?? null), echo, level, now)));
  }
  withPriority(priority = 'medium', queue) {
    const level = PRIORITIES.indexOf(priority);
    if (level < 0) return Promise.reject(new BrolostackError('bad_request', `priority must be one of ${PRIORITIES.join(', ')}`));
    return queue(level);
  }
  /** Publishes to every room this client has joined. */
  broadcast(event, data) { return Promise.all(this.getRooms().map((room) => this.sendToRoom(room, event, data))); }
  /** Registers an ARGS agent on this client (agent.mjs): resolves to its handle. */
  registerAgent(spec, handler) { return registerAgent(this, spec, handler); }
  getStats() { return this.client ? JSON.parse(this.client.stats()) : { connected: false, environment: this.config.environment }; }
  getRooms() { return this.getStats().rooms || []; }
  isConnected() { return this.client?.state() === 'connected'; }
  on(event, handler) { return this.handlers.add(event, handler); }
  /** Like `on`, for the next event only. */
  once(event, handler) { return this.handlers.once(event, handler); }
  off(event, handler) { this.handlers.remove(event, handler); }
  /** Handlers registered for `event`, or for every event. */
  listenerCount(event) { return this.handlers.count(event); }
  /**
   * Closes the connection and frees the core (its wasm memory): the client
   * is unusable after, and its calls reject.
   */
  destroy() {
    if (this.destroyed) return this.destroyedPromise;
    this.destroyed = true;
    clearTimeout(this.timer);
    clearTimeout(this.snapshotTimer);
    clearTimeout(this.persistTimer);
    this.persistence?.stop();
    this.removeWakeUps?.();
    for (const room of [...this.roomObjects.values()]) room.dispose();
    this.destroyedPromise = this.ready.then(() => {
      if (!this.client) return;
      this.step((c, now) => c.disconnect(now));
      this.socket = null;
      const client = this.client;
      this.client = null;
      this.channel = null;
      client.delete();
    });
    return this.destroyedPromise;
  }

  // ---- external store (for React's useSyncExternalStore) ----------------
  /** Calls `listener` whenever connection state or stats change; returns its disposer. */
  subscribe(listener) {
    this.listeners.add(listener);
    this.refreshSnapshot(false);  // counters may have moved while nobody listened
    return () => this.listeners.delete(listener);
  }

  /** The same object until something changes. */
  getSnapshot() { return this.snapshot; }

  /**
   * Connection state and room changes reach listeners at once; counters
   * (messages, latency) move with every frame and reach them at most every
   * SNAPSHOT_INTERVAL_MS, so a component showing stats does not re-render
   * for each message.
   */
  refreshSnapshot(structural) {
    if (!this.client) return;
    if (structural) {
      this.publishSnapshot();
    } else if (!this.snapshotTimer && this.listeners.size > 0) {
      this.snapshotTimer = setTimeout(() => this.publishSnapshot(), SNAPSHOT_INTERVAL_MS);
      this.snapshotTimer.unref?.();
    }
  }

  publishSnapshot() {
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    const stats = this.getStats();
    const previous = this.snapshot.stats;
    const changed = Object.keys(stats).some((k) => JSON.stringify(stats[k]) !== JSON.stringify(previous[k]));
    if (!changed) return;
    this.snapshot = { connected: stats.connected, stats };
    for (const listener of [...this.listeners]) listener();
  }

  // ---- effects -----------------------------------------------------------
  call(step) {
    const settled = this.ready.then(() => {
      if (!this.client) throw new BrolostackError('unavailable', 'this client was destroyed');
      const id = step(this.client, this.now());
      const answer = new Promise((resolve, reject) => this.requests.set(id, { resolve, reject }));
      this.apply(this.channel.effects());
      return answer;
    });
    // A call nobody awaits (the seed's `wsClient.send('message', ...)`) must
    // not end the program with an unhandled rejection; its failure is still
    // reported, as an `error` event, and to whoever awaits the promise.
    settled.catch((err) => {
      if (err?.code !== 'superseded') this.emit('error', { code: err?.code ?? 'internal', message: err?.message ?? String(err) });
    });
    return settled;
  }

  /** Runs a core call that makes no request, then carries out its effects. */
  step(call) {
    if (!this.client) return;
    call(this.client, this.now());
    this.apply(this.channel.effects());
  }

  apply(effects) {
    let structural = false;
    for (const e of effects) {
      if (e.kind === 'open') this.openSocket().catch((err) => this.openFailed(err));
      else if (e.kind === 'send') this.socket?.send(e.text);
      else if (e.kind === 'close') this.socket?.close(e.code, e.text);
      else if (e.kind === 'emit') {
        structural ||= STRUCTURAL_EVENTS.has(e.text);
        this.emit(e.text, e.data, e.extra);
      } else if (e.kind === 'resolve' || e.kind === 'reject') this.settle(e);
    }
    this.persist();
    this.schedule();
    this.refreshSnapshot(structural);
  }

  settle(e) {
    const pending = this.requests.get(e.id);
    if (!pending) return;
    this.requests.delete(e.id);
    if (e.kind === 'resolve') pending.resolve(e.data);
    else pending.reject(new BrolostackError(e.text, e.data));
  }

  emit(event, data, extra) { this.handlers.call(event, data, extra); }

  async openSocket() {
    const attempt = ++this.openAttempt;
    if (this.getToken && this.tokenStale && !(await this.fetchToken(attempt))) return;
    const socket = new this.WebSocket(this.config.url, 'brolostack.v1');
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => this.socket === socket && this.step((core, now) => core.opened(now));
    socket.onmessage = (m) => {
      if (this.socket !== socket || !this.client) return;
      if (typeof m.data === 'string') this.apply(this.channel.receive(m.data, this.now()));
      else this.receiveBinary(m.data);
    };
    socket.onclose = (c) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.step((core, now) => core.closed(c.code || 1006, c.reason || '', now));
    };
    socket.onerror = () => {};
  }

  // The WebSocket constructor threw (a malformed URL, a refused scheme):
  // reported, and counted as a failed connection.
  openFailed(err) {
    this.socket = null;
    this.emit('error', { code: 'unavailable', message: `could not open ${this.config.url}: ${err?.message ?? err}` });
    this.step((core, now) => core.closed(1006, 'could not open', now));
  }

  receiveBinary(buffer) {
    const chunk = decodeChunkFrame(buffer);
    if (chunk) this.emit('stream-data', chunk);
    else this.emit('error', { code: 'bad_frame', message: 'the server sent a binary frame that is not a stream chunk' });
  }

  // ---- tokens --------------------------------------------------------------
  /**
   * Asks the app for a token before opening; false when the attempt is
   * over (superseded, destroyed, or the app had no token: that attempt
   * then counts as a failed connection, so backoff paces the retries).
   */
  async fetchToken(attempt) {
    let token;
    try {
      token = await this.getToken();
      if (typeof token !== 'string' || !token) throw new TypeError('getToken must resolve to a non-empty string');
    } catch (err) {
      if (attempt !== this.openAttempt || this.destroyed) return false;
      this.emit('error', { code: 'unauthorized', message: `getToken failed: ${err?.message ?? err}` });
      this.step((core, now) => core.closed(1006, 'no token', now));
      return false;
    }
    if (attempt !== this.openAttempt || this.destroyed) return false;
    this.tokenStale = false;
    this.step((core, now) => core.refreshToken(token, now));
    return true;
  }

  /** On `token-expiring`: a new token from the app, sent on the open connection. */
  async renewToken() {
    try {
      const token = await this.getToken();
      if (typeof token !== 'string' || !token) throw new TypeError('getToken must resolve to a non-empty string');
      await this.call((c, now) => c.refreshToken(token, now));
    } catch (err) {
      // The server closes with 4002 at exp; the next connection asks again.
      this.tokenStale = true;
      if (err?.code !== 'superseded') this.emit('error', { code: err?.code ?? 'unauthorized', message: `token refresh failed: ${err?.message ?? err}` });
    }
  }

  async disconnectSocketOnly() {
    await this.ready;
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.close(1000, 'reconnect');
    this.step((core, now) => core.closed(1006, 'reconnect', now));
  }

  /** Arms the timer for the core's next wake-up; left alone while that moment stays the same (most frames). */
  schedule() {
    const at = this.destroyed || !this.client ? 0 : this.channel.nextWakeAt();
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    if (!at) return;
    this.timer = setTimeout(() => {
      this.timerAt = 0;
      this.step((core, now) => core.tick(now));
    }, Math.max(0, at - this.now()));
    this.timer.unref?.();
  }

  // ---- persistence -------------------------------------------------------
  /**
   * Saves the outbox at once when messages joined or left it (a reload
   * right after must find them), and otherwise, when only room positions
   * moved, at most every PERSIST_INTERVAL_MS: re-serializing a full outbox
   * for every incoming frame would make each one cost as much as the queue.
   */
  persist() {
    if (!this.persistence || !this.client) return;
    const version = this.client.queueVersion();
    if (version !== this.persistedVersion) {
      this.persistedVersion = version;
      this.flushPersisted();
    } else if (!this.persistTimer && this.persistence.holdsSnapshot()) {
      this.persistTimer = setTimeout(() => this.flushPersisted(), PERSIST_INTERVAL_MS);
      this.persistTimer.unref?.();
    }
  }

  flushPersisted() {
    clearTimeout(this.persistTimer);
    this.persistTimer = null;
    if (this.persistence && this.client) this.persistence.save(this.client.queueSnapshot());
  }

  /** Takes over the queues of pages that are gone; resolves to how many. */
  adoptOrphans() {
    return this.persistence.adopt((snapshot) => {
      if (!this.client) return;
      let restored = false;
      this.step((core, now) => { restored = core.restoreQueue(snapshot, now); });
      if (!restored) {
        this.emit('error', { code: 'bad_snapshot', message: 'a stored message queue was unreadable and is discarded' });
      }
    });
  }

  // ---- browser wake-ups --------------------------------------------------
  installWakeUps() {
    const win = globalThis.window;
    if (!win?.addEventListener) return;
    const wake = () => { if (!this.isConnected() && !this.destroyed) this.connect().catch(() => {}); };
    const visible = () => {
      if (globalThis.document?.visibilityState === 'visible') wake();
      else this.flushPersisted();  // hidden: the page may be gone next
    };
    const leaving = () => this.flushPersisted();
    win.addEventListener('online', wake);
    win.addEventListener('pagehide', leaving);
    globalThis.document?.addEventListener('visibilitychange', visible);
    this.removeWakeUps = () => {
      win.removeEventListener('online', wake);
      win.removeEventListener('pagehide', leaving);
      globalThis.document?.removeEventListener('visibilitychange', visible);
    };
  }
}
