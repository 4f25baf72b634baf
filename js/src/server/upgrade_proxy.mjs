// Serves the WebSocket endpoint on the app's own server: each upgrade
// request for `path` is handed to the child as it came, and from then on
// bytes flow both ways untouched.
//
// No proxy library: a WebSocket upgrade is one HTTP request head followed
// by raw bytes in both directions, so Node's `upgrade` event (request,
// socket, head) and a `net` connection are all it takes. The head is
// replayed with its headers as sent (Origin included, so the child's
// ALLOWED_ORIGINS check still sees the browser's origin), plus the client's
// address in X-Forwarded-For and the scheme in X-Forwarded-Proto; `head`
// (bytes read past the request) follows it.
import { STATUS_CODES } from 'node:http';
import net from 'node:net';

const DROPPED_HEADERS = new Set(['x-forwarded-for', 'x-forwarded-proto']);

/** An HTTP refusal on a socket that has not been upgraded, with the server's JSON error body. */
function refuse(socket, status, code, message, retryAfterSeconds = 0) {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (retryAfterSeconds > 0) lines.push(`Retry-After: ${retryAfterSeconds}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** The request head for the child: its own path, the client's headers, the forwarding headers. */
function requestHead(req, targetPath, search) {
  const lines = [`${req.method} ${targetPath}${search} HTTP/${req.httpVersion}`];
  let forwardedFor = null;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
    if (!DROPPED_HEADERS.has(lower)) lines.push(`${name}: ${value}`);
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  lines.push(`X-Forwarded-For: ${forwardedFor ? `${forwardedFor}, ${client}` : client}`);
  lines.push(`X-Forwarded-Proto: ${req.socket.encrypted ? 'https' : 'http'}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Forwards upgrades for `path` on `server` to `target()` ({host, port,
 * path}, or null while the child is down: 503). `admit(ip)` returns 0 or
 * the seconds to wait (429). Upgrades for other paths are left to the
 * app's other `upgrade` listeners, or refused with 404 when there are none.
 */
export function attachUpgradeProxy(server, { path, target, admit = () => 0, logger = console }) {
  const tunnels = new Set();
  let accepting = true;

  function onUpgrade(req, socket, head) {
    const url = new URL(req.url, 'http://app');
    if (url.pathname !== path) {
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'not_found', 'no WebSocket endpoint here');
      return;
    }
    socket.on('error', () => socket.destroy());
    if (!accepting) return refuse(socket, 503, 'unavailable', 'server is shutting down', 5);
    const wait = admit(socket.remoteAddress ?? '');
    if (wait > 0) return refuse(socket, 429, 'rate_limited', 'too many new connections from this address', wait);
    const to = target();
    if (!to) return refuse(socket, 503, 'unavailable', 'the WebSocket server is restarting', 1);

    const upstream = net.connect(to.port, to.host);
    const tunnel = { socket, upstream };
    tunnels.add(tunnel);
    // Until the child answers, a failure is still ours to answer (503: the
    // child died in between); after, the child's bytes go through as they are.
    let answered = false;
    upstream.once('data', (first) => {
      answered = true;
      socket.write(first);
      upstream.pipe(socket);
    });
    upstream.on('error', (err) => {
      if (err.code !== 'ECONNREFUSED' && err.code !== 'ECONNRESET') logger.warn?.(`[brolostack] WebSocket tunnel: ${err.message}`);
    });
    let ended = false;  // the child closed its side cleanly: pipe() ends ours once the bytes are out
    upstream.once('end', () => { ended = true; });
    upstream.on('close', () => {
      tunnels.delete(tunnel);
      if (!answered) refuse(socket, 503, 'unavailable', 'the WebSocket server is restarting', 1);
      else if (!ended) socket.destroy();
    });
    socket.on('close', () => {
      tunnels.delete(tunnel);
      upstream.destroy();
    });
    socket.setNoDelay(true);
    upstream.setNoDelay(true);
    // Written before the connection is up: net queues it.
    upstream.write(requestHead(req, to.path, url.search));
    if (head?.length) upstream.write(head);
    socket.pipe(upstream);
  }

  server.on('upgrade', onUpgrade);
  return {
    /** Open tunnels (connected clients). */
    get size() { return tunnels.size; },
    /** New upgrades are refused with 503 from now on; open tunnels stay. */
    stopAccepting() { accepting = false; },
    /** Detaches from the server and cuts every tunnel. */
    close() {
      accepting = false;
      server.off('upgrade', onUpgrade);
      for (const { socket, upstream } of tunnels) { socket.destroy(); upstream.destroy(); }
      tunnels.clear();
    },
  };
}
