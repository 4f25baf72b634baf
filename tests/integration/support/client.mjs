// A small promise-based WebSocket test client for the Brolostack protocol,
// plus helpers for refused upgrades, raw sockets and the HTTP API.
// Every wait has a timeout, so a missing frame fails a test instead of hanging it.
import net from 'node:net';
import crypto from 'node:crypto';
import WebSocket from 'ws';

export const SUBPROTOCOL = 'brolostack.v1';
export const WAIT_MS = 5000;

const openClients = new Set();
const rawSockets = new Set();

function timeoutError(ms, what) {
  return new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export class TestClient {
  constructor(ws) {
    this.ws = ws;
    this.pending = [];   // frames received and not consumed by next()
    this.all = [];       // every frame received, in order
    this.waiters = [];
    this.nextRef = 100;
    this.pings = 0;
    this.hello = null;   // hello reply data, once said
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        openClients.delete(this);
        resolve(this.closeInfo);
        for (const w of this.waiters.splice(0)) w.onClose(this.closeInfo);
      });
    });
    ws.on('ping', () => { this.pings += 1; });
    ws.on('error', () => { /* surfaced through close */ });
    ws.on('message', (data, isBinary) => {
      let frame;
      if (isBinary) frame = { binary: true, data };
      else {
        try { frame = JSON.parse(data.toString()); } catch { frame = { unparsable: data.toString() }; }
      }
      this.all.push(frame);
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w.resolve(frame);
      } else {
        this.pending.push(frame);
      }
    });
    openClients.add(this);
  }

  get sid() { return this.hello?.sid; }
  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  /** Sends a JSON object (or a raw string/Buffer as is). */
  send(frame, opts) {
    const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
    this.ws.send(data, opts);
  }

  /** Resolves with the next frame matching match (consumed), failing after timeoutMs. */
  next(match = () => true, { timeoutMs = WAIT_MS, what = 'a frame' } = {}) {
    if (typeof match === 'string') {
      const op = match;
      match = (f) => f.op === op;
      what = `an '${op}' frame`;
    }
    const i = this.pending.findIndex(match);
    if (i >= 0) return Promise.resolve(this.pending.splice(i, 1)[0]);
    if (this.closeInfo) {
      return Promise.reject(new Error(`connection closed (${this.closeInfo.code}) while waiting for ${what}`));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f) => { clearTimeout(waiter.timer); resolve(f); },
        onClose: (info) => {
          clearTimeout(waiter.timer);
          reject(new Error(`connection closed (${info.code} ${info.reason}) while waiting for ${what}`));
        },
      };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(timeoutError(timeoutMs, what));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a frame with a fresh ref and resolves with its reply frame. */
  async request(frame, opts = {}) {
    const ref = frame.ref ?? this.nextRef++;
    this.send({ ...frame, ref });
    return this.next((f) => f.op === 'reply' && f.ref === ref, { ...opts, what: `the reply to ${frame.op} ref ${ref}` });
  }

  /** As request, but asserts ok and returns the reply's data. */
  async call(frame, opts) {
    const reply = await this.request(frame, opts);
    if (!reply.ok) throw new Error(`${frame.op} failed: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  async sayHello(fields = {}) {
    const reply = await this.request({ op: 'hello', v: 1, ref: 1, ...fields });
    if (reply.ok) this.hello = reply.data;
    return reply;
  }

  join(room, fields = {}) { return this.call({ op: 'join', room, ...fields }); }
  publish(room, data, fields = {}) { return this.call({ op: 'publish', room, event: 'message', data, ...fields }); }

  /** Resolves with {code, reason} once closed, failing after timeoutMs. */
  waitClose({ timeoutMs = WAIT_MS } = {}) {
    let timer;
    return Promise.race([
      this.closed,
      new Promise((_, reject) => { timer = setTimeout(() => reject(timeoutError(timeoutMs, 'the connection to close')), timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Resolves after ms if no frame matching match arrived (those are left pending). */
  async expectNothing(match = () => true, ms = 300) {
    await new Promise((r) => setTimeout(r, ms));
    const got = this.pending.find(match);
    if (got) throw new Error(`unexpected frame: ${JSON.stringify(got)}`);
  }

  async close(code = 1000) {
    if (this.closeInfo) return this.closeInfo;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code);
    try {
      return await this.waitClose({ timeoutMs: 2000 });
    } catch {
      this.ws.terminate();
      return this.waitClose({ timeoutMs: 2000 });
    }
  }
}

/**
 * Opens a WebSocket. Options: protocols (default [brolostack.v1]; null for none),
 * headers, query ({apiKey:...}), hello (true = send hello {v:1}; an object = extra
 * hello fields; false = no hello), perMessageDeflate (as `ws`: offered unless
 * false). Resolves with a TestClient.
 */
export async function connect(wsUrl, { protocols = [SUBPROTOCOL], headers = {}, hello = true, query, timeoutMs = WAIT_MS, ca,
  perMessageDeflate = true } = {}) {
  const url = new URL(wsUrl);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  const ws = new WebSocket(url, protocols ?? undefined,
    { headers, handshakeTimeout: timeoutMs, perMessageDeflate, ...(ca ? { ca } : {}) });
  const client = new TestClient(ws);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.terminate(); reject(timeoutError(timeoutMs, 'the WebSocket to open')); }, timeoutMs);
    ws.once('open', () => { clearTimeout(timer); resolve(); });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
      req.destroy();
    });
    ws.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
  if (hello) {
    const reply = await client.sayHello(hello === true ? {} : hello);
    if (!reply.ok) throw new Error(`hello failed: ${JSON.stringify(reply.error)}`);
  }
  return client;
}

/**
 * Attempts an upgrade that should be refused. Resolves with {status, headers, body}
 * of the HTTP answer, or rejects if the upgrade succeeds or nothing answers.
 */
export function expectRefusedUpgrade(wsUrl, { protocols = [SUBPROTOCOL], headers = {}, query, timeoutMs = WAIT_MS } = {}) {
  const url = new URL(wsUrl);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols ?? undefined, { headers, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => { ws.terminate(); reject(timeoutError(timeoutMs, 'the upgrade answer')); }, timeoutMs);
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode, headers: res.headers, body });
      });
    });
    ws.once('open', () => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error('the upgrade was accepted, expected a refusal'));
    });
    ws.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** HTTP request to the server: resolves with {status, headers, text, json}. */
export async function http(baseUrl, method, path, { body, headers = {}, timeoutMs = WAIT_MS } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * A WebSocket done by hand over a net.Socket: sends the upgrade request and
 * resolves once the 101 answer arrived. The socket then stays silent unless
 * told otherwise (it never answers pings or close frames). Received frames
 * are parsed into raw.frames ({opcode, payload, rsv1}); raw.ended resolves
 * when the server drops the TCP connection; raw.head is the 101 answer's
 * head. `extensions`: a Sec-WebSocket-Extensions offer to send.
 */
export function rawUpgrade(port, path = '/ws', { timeoutMs = WAIT_MS, extensions } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const key = crypto.randomBytes(16).toString('base64');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const raw = {
      socket,
      frames: [],
      listeners: [],
      ended: null,
      onFrame(fn) { this.listeners.push(fn); },
      /** Resolves with the first frame (seen or future) matching match. */
      waitFrame(match, ms = WAIT_MS, what = 'a frame') {
        const seen = this.frames.find(match);
        if (seen) return Promise.resolve(seen);
        return new Promise((res, rej) => {
          const t = setTimeout(() => rej(timeoutError(ms, what)), ms);
          this.onFrame((f) => { if (match(f)) { clearTimeout(t); res(f); } });
        });
      },
      /**
       * Sends a masked text frame (a string, or a Buffer sent as is, even if
       * not UTF-8); `rsv1` marks it compressed (permessage-deflate).
       */
      sendText(text, { rsv1 = false } = {}) {
        socket.write(maskedFrame(0x1, Buffer.isBuffer(text) ? text : Buffer.from(text), rsv1));
      },
      destroy() { socket.destroy(); },
    };
    rawSockets.add(socket);
    raw.ended = new Promise((res) => socket.once('close', () => { rawSockets.delete(socket); res(); }));
    const timer = setTimeout(() => { socket.destroy(); reject(timeoutError(timeoutMs, 'the raw upgrade')); }, timeoutMs);
    socket.once('error', (e) => { clearTimeout(timer); if (!upgraded) reject(e); });
    socket.once('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${SUBPROTOCOL}\r\n` +
        (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') + '\r\n');
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        buffer = buffer.subarray(end + 4);
        clearTimeout(timer);
        if (!/^HTTP\/1\.1 101/.test(head)) {
          socket.destroy();
          reject(new Error(`raw upgrade refused: ${head.split('\r\n')[0]}`));
          return;
        }
        upgraded = true;
        raw.head = head;
        resolve(raw);
      }
      // Parse server frames (unmasked).
      for (let guard = 0; guard < 10000 && buffer.length >= 2; guard++) {
        const opcode = buffer[0] & 0x0f;
        let len = buffer[1] & 0x7f;
        let offset = 2;
        if (len === 126) { if (buffer.length < 4) break; len = buffer.readUInt16BE(2); offset = 4; }
        else if (len === 127) { if (buffer.length < 10) break; len = Number(buffer.readBigUInt64BE(2)); offset = 10; }
        if (buffer.length < offset + len) break;
        const frame = { opcode, rsv1: (buffer[0] & 0x40) !== 0, payload: buffer.subarray(offset, offset + len) };
        if (opcode === 0x8 && len >= 2) frame.closeCode = frame.payload.readUInt16BE(0);
        buffer = buffer.subarray(offset + len);
        raw.frames.push(frame);
        for (const fn of raw.listeners) fn(frame);
      }
    });
  });
}

function maskedFrame(opcode, payload, rsv1 = false) {
  const mask = crypto.randomBytes(4);
  let header;
  if (payload.length < 126) header = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
  else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode; header[1] = 0x80 | 126; header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode; header[1] = 0x80 | 127; header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (rsv1) header[0] |= 0x40;
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i % 4];
  return Buffer.concat([header, mask, masked]);
}

/** Closes (then terminates) every client still open: for after/afterEach hooks. */
export async function closeAllClients() {
  for (const s of rawSockets) s.destroy();
  rawSockets.clear();
  await Promise.all([...openClients].map((c) => c.close().catch(() => c.ws.terminate())));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
