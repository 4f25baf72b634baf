// The raw bytes of a request body, which the webhook signature covers. A
// body parser that ran first (express.json, koa-bodyparser) has consumed
// the stream: its copy of the raw bytes is used when it kept one
// (koa-bodyparser's `rawBody`, Nest's `rawBody: true`); otherwise the
// signature cannot be checked and the answer says where to mount the
// integration.
import { MAX_WEBHOOK_BYTES } from './webhook.mjs';

const failure = (status, code, message) =>
  Object.assign(new Error(message), { answer: { status, text: JSON.stringify({ error: { code, message } }) } });

/** Resolves to a Buffer; rejects with an error carrying the HTTP `answer` ({status, text}). */
export function readBody(req, kept) {
  if (Buffer.isBuffer(kept)) return Promise.resolve(kept);
  if (typeof kept === 'string') return Promise.resolve(Buffer.from(kept));
  if (req.readableEnded || req._body === true) {  // _body: body-parser's mark
    return Promise.reject(failure(500, 'internal',
      'the request body was read by a body parser before brolostack: set up the integration before body parsers (or keep the raw body)'));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BYTES) {
        reject(failure(413, 'too_large', `a webhook body is at most ${MAX_WEBHOOK_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (err) => reject(failure(400, 'bad_request', `the request body could not be read: ${err.message}`)));
  });
}
