// TLS in the server itself (ENABLE_ENCRYPTION with TLS_CERT and TLS_KEY):
// HTTPS and WSS on the same port, nothing in clear text, and a start that
// stops with a clear message when the certificate or key is unusable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, stopAllServers, runUntilExit } from './support/server.mjs';
import { connect, closeAllClients } from './support/client.mjs';
import { until } from '../js/support/events.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'brolostack-tls-'));
const certFile = path.join(dir, 'cert.pem');
const keyFile = path.join(dir, 'key.pem');
let ca;

before(() => {
  // A self-signed certificate for 127.0.0.1, made by the openssl CLI.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  ca = readFileSync(certFile);
});

after(async () => {
  await closeAllClients();
  await stopAllServers();
  rmSync(dir, { recursive: true, force: true });
});

const PRODUCTION = () => ({
  BROLOSTACK_ENV: 'production', API_KEYS: 'web=k', ALLOWED_ORIGINS: 'https://app.example.com',
  TLS_CERT: certFile, TLS_KEY: keyFile,
});

function httpsGet(url) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

test('production with a certificate serves HTTPS and WSS on one port', async () => {
  const server = await startServer(PRODUCTION());
  assert.match(server.httpUrl, /^https:/);
  assert.match(server.stdout, /listening on https:\/\//);
  const health = await httpsGet(`${server.httpUrl}/healthz`);
  assert.equal(health.status, 200);

  const client = await connect(server.wsUrl, { ca, hello: { apiKey: 'k' } });
  assert.equal(client.hello.environment, 'production');
  const joined = await client.request({ op: 'join', room: 'secure' });
  assert.equal(joined.ok, true);
  const published = await client.request({ op: 'publish', room: 'secure', event: 'e', data: 1, mid: 'm-tls-1' });
  assert.equal(published.data.offset, 1);
});

test('nothing is served in clear text, and a client that does not trust the certificate is refused', async () => {
  const server = await startServer(PRODUCTION());
  const plainUrl = server.wsUrl.replace('wss:', 'ws:');
  await assert.rejects(connect(plainUrl, { hello: false, timeoutMs: 2000 }));
  await assert.rejects(fetch(server.httpUrl.replace('https:', 'http:') + '/healthz', { signal: AbortSignal.timeout(2000) }));
  const untrusting = new WebSocket(server.wsUrl, 'brolostack.v1');
  const error = await new Promise((resolve) => untrusting.once('error', resolve));
  assert.match(error.message, /self[- ]signed|certificate/i);
});

test('an unusable certificate or key stops the start with exit 78 naming it', async () => {
  const missing = await runUntilExit({ ...PRODUCTION(), TLS_CERT: path.join(dir, 'nope.pem') });
  assert.equal(missing.code, 78);
  assert.match(missing.stderr, /TLS_CERT '.*nope\.pem'/);

  const otherKey = path.join(dir, 'other-key.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', otherKey], { stdio: 'ignore' });
  const mismatched = await runUntilExit({ ...PRODUCTION(), TLS_KEY: otherKey });
  assert.equal(mismatched.code, 78);
  assert.match(mismatched.stderr, /TLS_KEY/);

  const garbage = path.join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate\n');
  const unreadable = await runUntilExit({ ...PRODUCTION(), TLS_CERT: garbage });
  assert.equal(unreadable.code, 78);
  assert.match(unreadable.stderr, /TLS_CERT/);
});

/** The CN of the certificate a new TLS connection to the server is shown. */
function certificateCn(port) {
  return new Promise((resolve, reject) => {
    const req = https.get(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false, agent: false }, (res) => {
      resolve(res.socket.getPeerCertificate().subject.CN);
      res.resume();
    });
    req.on('error', reject);
  });
}

test('SIGHUP reloads the certificate for new connections; open ones stay; unusable files keep the current one', async () => {
  const rotating = mkdtempSync(path.join(tmpdir(), 'brolostack-tls-rotate-'));
  const cert = path.join(rotating, 'cert.pem');
  const key = path.join(rotating, 'key.pem');
  const makeCert = (cn) => execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1'],
  { stdio: 'ignore' });
  try {
    makeCert('first');
    const server = await startServer({ ...PRODUCTION(), TLS_CERT: cert, TLS_KEY: key, LOG_LEVEL: 'info' });
    assert.equal(await certificateCn(server.port), 'first');
    const open = await connect(server.wsUrl, { query: { apiKey: 'k' }, headers: { Origin: 'https://app.example.com' },
      ca: readFileSync(cert) });

    makeCert('second');
    server.proc.kill('SIGHUP');
    await until(() => /TLS certificate and key reloaded/.test(server.stderr), 'the reload line');
    assert.equal(await certificateCn(server.port), 'second', 'a new connection sees the new certificate');
    open.send({ op: 'ping', ts: 5 });
    assert.equal((await open.next((f) => f.op === 'pong')).ts, 5, 'the open connection stays and answers');

    writeFileSync(cert, 'not a certificate');
    server.proc.kill('SIGHUP');
    await until(() => /TLS files not reloaded/.test(server.stderr), 'the refusal line');
    assert.equal(await certificateCn(server.port), 'second', 'unusable files leave the current certificate in place');
    assert.equal(server.proc.exitCode, null, 'the server still runs');
  } finally {
    rmSync(rotating, { recursive: true, force: true });
  }
});

