// The integration's routes as (req, res, next) middleware on Node's own
// request and response: Express, and Nest on its Express platform.
import { readBody } from './read_body.mjs';

/** Middleware that answers the integration's routes and passes everything else on. */
export function nodeMiddleware(routes) {
  return function brolostack(req, res, next) {
    const kind = routes.match(req.method, new URL(req.originalUrl ?? req.url, 'http://app').pathname);
    if (!kind) return next();
    routes.answer(kind, { headers: req.headers, readBody: () => readBody(req, req.rawBody) }).then((answer) => {
      res.writeHead(answer.status, answer.headers);
      res.end(req.method === 'HEAD' ? undefined : answer.text);
    }, next);
  };
}
