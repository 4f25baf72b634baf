// Listening and closing for the frameworks that hand over a plain
// http.Server (Express, Koa).
const CLOSE_GRACE_MS = 3000;

/** Listens on `port` (and `host`, else every interface as Node does); resolves to the server. */
export function listenOn(server, port, host) {
  return new Promise((resolve, reject) => {
    const failed = (err) => { server.off('listening', listening); reject(err); };
    const listening = () => { server.off('error', failed); resolve(server); };
    server.once('error', failed);
    server.once('listening', listening);
    if (host) server.listen(port, host);
    else server.listen(port);
  });
}

/** Stops listening; idle keep-alive connections close now, busy ones after a grace period. */
export function closeServer(server) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections?.(), CLOSE_GRACE_MS);
    timer.unref();
    server.close(() => { clearTimeout(timer); resolve(); });
    server.closeIdleConnections?.();
  });
}

/** The app's address as the child reaches it: loopback when it listens on every interface. */
export function loopbackOrigin(server) {
  const { address, port } = server.address();
  if (address === '::' || address === '0.0.0.0') return `http://127.0.0.1:${port}`;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}
