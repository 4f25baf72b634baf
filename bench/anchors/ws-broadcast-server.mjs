// The `ws` anchor for bench/perf.mjs: the broadcast server as a user of the
// `ws` package writes it (one room: everyone connected). Each text message
// a client sends is forwarded to every other open client. No compression,
// as in the other servers measured. Prints "listening on PORT" once ready.
//
//   node bench/anchors/ws-broadcast-server.mjs [port]
import { WebSocketServer, WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client !== socket && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
  socket.on('error', () => {});
});
wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
