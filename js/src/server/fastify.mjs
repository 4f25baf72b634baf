// Fastify: the routes in a plugin of their own, whose content-type parser
// keeps bodies as raw bytes (the webhook signature covers them) without
// changing how the app's other routes parse theirs (Fastify scopes parsers
// to the plugin). Fastify serves the app on its own http.Server
// (app.server).
import { SESSIONS_PATH, STATS_PATH, WEBHOOK_PATH } from './routes.mjs';
import { MAX_WEBHOOK_BYTES } from './webhook.mjs';

export const fastify = {
  name: 'Fastify',
  expected: 'a Fastify instance (const app = Fastify()), before app.listen() or app.ready()',
  check: (app) => typeof app?.register === 'function' && typeof app.addContentTypeParser === 'function' && typeof app.inject === 'function',
  async mount(app, routes) {
    await app.register(async function brolostack(scope) {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_req, body, done) => done(null, body));
      const route = (kind) => async (request, reply) => {
        const answer = await routes.answer(kind, { headers: request.headers, readBody: async () => request.body ?? Buffer.alloc(0) });
        return reply.code(answer.status).headers(answer.headers).send(answer.text);
      };
      scope.post(WEBHOOK_PATH, route('webhook'));
      for (const [path, kind] of [[STATS_PATH, 'stats'], [SESSIONS_PATH, 'sessions']]) {
        scope.get(path, route(kind));
        scope.options(path, route('preflight'));
      }
    });
  },
  // Fastify alone listens on localhost by default; the others (and Node) on
  // every interface, which this keeps the same for all four.
  async listen(app, { port, host }) {
    await app.listen({ port, host: host ?? '0.0.0.0' });
    return app.server;
  },
  close: (app) => app.close(),
};
