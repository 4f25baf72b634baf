// A TCP proxy in front of a server, for cutting a browser off for real:
// Chromium's offline emulation leaves open WebSockets alone, a closed port
// does not. `cut()` drops every connection and stops listening (new
// attempts are refused); `restore()` listens on the same port again.
// `swallowReplies()` keeps the connections open but drops everything the
// server sends from then on, so what the client sent is processed and its
// answers lost, as when a connection dies after the server acted.
import net from 'node:net';

export async function startTcpProxy(targetPort, { host = '127.0.0.1' } = {}) {
  const links = new Set();  // {client, upstream} per proxied connection
  let server = null;
  let port = 0;

  const onConnection = (client) => {
    const upstream = net.connect(targetPort, host);
    const link = { client, upstream };
    links.add(link);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      links.delete(link);
    };
    for (const s of [client, upstream]) {
      s.on('error', drop);
      s.on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = () => new Promise((resolve, reject) => {
    server = net.createServer(onConnection);
    server.once('error', reject);
    server.listen(port, host, () => {
      port = server.address().port;
      resolve();
    });
  });

  const stop = () => new Promise((resolve) => {
    if (!server) { resolve(); return; }
    const closing = server;
    server = null;
    for (const { client, upstream } of links) {
      client.destroy();
      upstream.destroy();
    }
    links.clear();
    closing.close(() => resolve());
  });

  await listen();
  return {
    get port() { return port; },
    get wsUrl() { return `ws://${host}:${port}/ws`; },
    get listening() { return server !== null; },
    cut: stop,
    swallowReplies() {
      for (const { client, upstream } of links) {
        upstream.unpipe(client);
        upstream.on('data', () => {});
      }
    },
    restore: listen,
    close: stop,
  };
}
