// Where the child's webhook goes when the app has no route for it (a bare
// `BrolostackWSMultiagent` on a plain http.Server, or an https app: the
// child would not trust its certificate): a server of our own on
// 127.0.0.1, serving only POST /brolostack/events.
import { createServer } from 'node:http';
import { readBody } from './read_body.mjs';
import { WEBHOOK_PATH, SIGNATURE_HEADER } from './webhook.mjs';

/** Serves `handlers` (a WebhookHandlers); resolves to {url, close()}. */
export async function startWebhookServer(handlers) {
  const server = createServer(async (req, res) => {
    let answer;
    if (req.method !== 'POST' || new URL(req.url, 'http://x').pathname !== WEBHOOK_PATH) {
      answer = { status: 404, text: JSON.stringify({ error: { code: 'not_found', message: 'not found' } }) };
    } else {
      const body = await readBody(req).catch((err) => err);
      answer = body instanceof Error ? body.answer : await handlers.handle(body, req.headers[SIGNATURE_HEADER]);
    }
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(answer.text);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
