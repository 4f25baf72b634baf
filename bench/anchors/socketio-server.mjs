// The Socket.IO anchor for bench/perf.mjs: the room fan-out written the
// way a Socket.IO user writes it (WebSocket transport only, rooms, an
// acknowledged publish that reaches every other member). Prints
// "listening on PORT" once ready.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    ack?.();
  });
  socket.on('publish', (room, event, data, ack) => {
    socket.to(room).emit('message', { room, event, data });
    ack?.();
  });
});
http.listen(0, '127.0.0.1', () => console.log(`listening on ${http.address().port}`));
