// The child's HTTP API (docs/api.md), with its own API key. Each call
// waits for the child to be up (through a restart, if one is under way).
// Every call opens its own connection (no keep-alive pool): then a child
// that died shows as a refused connection, never as a reset of a pooled
// one, and a refused call, which the child cannot have received, is sent
// again to the next child. Loopback connections cost next to nothing.
import http from 'node:http';
import { BrolostackError } from '../index.mjs';

const RESENDS = 3;

/** One request to 127.0.0.1:port: {status, text}; rejects with the socket error. */
export function request(port, method, path, { headers = {}, body, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

export class HttpApi {
  /** `running(deadRun)` resolves to the child that is up ({port}), other than `deadRun`. */
  constructor({ running, apiKey, timeoutMs = 10000 }) {
    this.running = running;
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
  }

  get(path) { return this.call('GET', path); }
  post(path, body) { return this.call('POST', path, body); }
  delete(path) { return this.call('DELETE', path); }

  async call(method, path, value) {
    const body = value === undefined ? undefined : JSON.stringify(value);
    const headers = { Authorization: `Bearer ${this.apiKey}` };
    if (body !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    let deadRun = null;
    for (let attempt = 0; ; attempt++) {
      const run = await this.running(deadRun).catch((err) => {
        throw new BrolostackError('unavailable', err.message);
      });
      let answer;
      try {
        answer = await request(run.port, method, path, { headers, body, timeoutMs: this.timeoutMs });
      } catch (err) {
        if (err.code === 'ECONNREFUSED' && attempt < RESENDS) {
          deadRun = run;
          continue;
        }
        throw new BrolostackError('unavailable', `brolostack-server did not answer ${method} ${path}: ${err.message}`);
      }
      let parsed = null;
      try { parsed = answer.text ? JSON.parse(answer.text) : null; } catch { /* answered below */ }
      if (answer.status < 200 || answer.status > 299) {
        const error = new BrolostackError(parsed?.error?.code ?? 'internal', parsed?.error?.message ?? `HTTP ${answer.status} for ${method} ${path}`);
        error.status = answer.status;
        throw error;
      }
      return parsed;
    }
  }
}

/** A room or session id as one path segment. */
export const segment = (id) => encodeURIComponent(id);
