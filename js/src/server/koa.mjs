// Koa: the routes as Koa middleware; the app served by an http.Server of
// ours on app.callback() (or `options.server`).
import http from 'node:http';
import { closeServer, listenOn } from './listen.mjs';
import { readBody } from './read_body.mjs';

export const koa = {
  name: 'Koa',
  expected: 'a Koa application (const app = new Koa())',
  check: (app) => typeof app?.callback === 'function' && typeof app.use === 'function' && Array.isArray(app.middleware),
  mount(app, routes) {
    app.use(async function brolostack(ctx, next) {
      const kind = routes.match(ctx.method, ctx.path);
      if (!kind) return next();
      // koa-bodyparser, when it ran first, keeps the raw body as ctx.request.rawBody.
      const answer = await routes.answer(kind, { headers: ctx.headers, readBody: () => readBody(ctx.req, ctx.request.rawBody) });
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.text;
    });
  },
  listen: (app, { port, host, server }) => listenOn(server ?? http.createServer(app.callback()), port, host),
  close: (_app, server) => closeServer(server),
};
