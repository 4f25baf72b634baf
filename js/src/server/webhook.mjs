// The backend webhook (PROTOCOL.md section 9): the child POSTs each `send`
// event that is not an ARGS shortcut, as {event, data, sid, user, mid},
// signed with `X-Brolostack-Signature: sha256=<hex HMAC-SHA256 of the body>`.
// The signature is checked (in constant time) before anything else: a
// request without a valid one gets 401 and reaches no handler. The
// handler's return value (or what its promise resolves to) is the reply's
// data; what it throws decides the error:
// - a BrolostackError with one of the protocol's codes passes on as is
//   (a deliberate answer, e.g. forbidden);
// - anything else is `internal`, its message only in development (the
//   error itself is logged here in every profile).
// A handler slower than WEBHOOK_TIMEOUT_MS: the child has already answered
// the client `unavailable`; the handler's `signal` is aborted then, so it
// can stop working for nobody.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BrolostackError } from '../index.mjs';

export const WEBHOOK_PATH = '/brolostack/events';
export const SIGNATURE_HEADER = 'x-brolostack-signature';
/** Bodies larger than this are refused unread: the child sends at most one frame's data (MAX_MESSAGE_BYTES) and a little more. */
export const MAX_WEBHOOK_BYTES = 8 * 1024 * 1024;

// The protocol's error codes and their HTTP statuses (common/src/protocol/codes.cpp).
export const ERROR_STATUS = {
  bad_request: 400, unknown_op: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409,
  rate_limited: 429, too_large: 413, limit_exceeded: 429, expired: 400, timeout: 504, unavailable: 503, internal: 500,
};

/** The header value the child sends for `body` (a Buffer or string). */
export function signature(secret, body) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is the signature of `body`, compared in constant time. */
export function verifySignature(secret, body, header) {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signature(secret, body));
  const given = Buffer.from(header);
  // Lengths are public (sha256= and 64 hex digits); only equal lengths are compared.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const errorAnswer = (code, message) => ({ status: ERROR_STATUS[code], body: { error: { code, message } } });

function isDeliberate(err) {
  return (err instanceof BrolostackError || err?.name === 'BrolostackError')
    && Object.hasOwn(ERROR_STATUS, err.code) && err.code !== 'internal';
}

export class WebhookHandlers {
  constructor({ secret, detailedErrors, timeoutMs = 5000, logger = console }) {
    Object.assign(this, { secret, detailedErrors, timeoutMs, logger });
    this.handlers = new Map();
  }

  has(event) { return this.handlers.has(event); }

  /** One handler per event: its answer is the reply, so two would contradict each other. */
  on(event, handler) {
    if (typeof event !== 'string' || event === '') throw new TypeError('on(event, handler): event must be a non-empty string');
    if (typeof handler !== 'function') throw new TypeError(`on('${event}', handler): handler must be a function (data, context) => answer`);
    if (this.handlers.has(event)) throw new Error(`'${event}' already has a handler: its answer is the reply to the client's send, so there can be only one (off() it first)`);
    this.handlers.set(event, handler);
    return () => this.off(event, handler);
  }

  off(event, handler) {
    if (this.handlers.get(event) === handler || handler === undefined) this.handlers.delete(event);
  }

  /** The answer to one webhook call: {status, text} (text: JSON). */
  async handle(rawBody, signatureHeader) {
    const { status, body } = await this.answer(rawBody, signatureHeader);
    try {
      return { status, text: JSON.stringify(body) };
    } catch (err) {  // a BigInt, a cycle: not JSON
      this.logger.error('[brolostack] a webhook handler answered with something that is not JSON:', err);
      const internal = errorAnswer('internal', this.detailedErrors ? `the answer is not JSON: ${err.message}` : 'internal error');
      return { status: internal.status, text: JSON.stringify(internal.body) };
    }
  }

  async answer(rawBody, signatureHeader) {
    if (!verifySignature(this.secret, rawBody, signatureHeader)) {
      return errorAnswer('unauthorized', `missing or wrong ${SIGNATURE_HEADER}`);
    }
    let call;
    try { call = JSON.parse(rawBody.toString('utf8')); } catch { call = null; }
    if (call === null || typeof call !== 'object' || typeof call.event !== 'string') {
      return errorAnswer('bad_request', 'the body must be a JSON object with a string event');
    }
    const handler = this.handlers.get(call.event);
    if (!handler) return errorAnswer('not_found', `no handler for event '${call.event}'`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new BrolostackError('timeout', `the handler of '${call.event}' took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
    timer.unref();
    const context = { event: call.event, sid: call.sid ?? null, user: call.user ?? null, mid: call.mid, signal: controller.signal };
    try {
      const value = await handler(call.data ?? null, context);
      return { status: 200, body: value === undefined ? null : value };
    } catch (err) {
      if (isDeliberate(err)) return errorAnswer(err.code, String(err.message));
      this.logger.error(`[brolostack] the handler of '${call.event}' threw:`, err);
      return errorAnswer('internal', this.detailedErrors ? String(err?.message ?? err) : 'internal error');
    } finally {
      clearTimeout(timer);
    }
  }
}
