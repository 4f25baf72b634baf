// Express (4 and 5): the routes as middleware, the app served by an
// http.Server of ours (or `options.server`, e.g. an https.Server whose
// handler is the app).
import http from 'node:http';
import { closeServer, listenOn } from './listen.mjs';
import { nodeMiddleware } from './node_routes.mjs';

export const express = {
  name: 'Express',
  expected: 'an Express application (const app = express())',
  check: (app) => typeof app === 'function' && typeof app.use === 'function' && typeof app.handle === 'function',
  mount: (app, routes) => { app.use(nodeMiddleware(routes)); },
  listen: (app, { port, host, server }) => listenOn(server ?? http.createServer(app), port, host),
  close: (_app, server) => closeServer(server),
};
