// HS256 JSON Web Tokens for the server's JWT authentication (JWT_SECRET),
// with node:crypto: a token is two base64url JSON parts and an HMAC, too
// little to need a library.
import { createHmac, randomBytes } from 'node:crypto';

const b64url = (text) => Buffer.from(text).toString('base64url');

/** A random secret: `bytes` random bytes as hex. */
export function randomSecret(bytes = 32) {
  return randomBytes(bytes).toString('hex');
}

/**
 * A signed token for user `sub` with `iat` and `exp` (`expiresIn` seconds
 * from now, 3600 by default; null for none) and any other claims the
 * server reads (`name`, `rooms`, `sessions`, `roles`, `aud`, `iss`).
 */
export function mintToken(sub, secret, { expiresIn = 3600, now = Date.now(), ...claims } = {}) {
  if (typeof sub !== 'string' || sub === '') throw new TypeError('createToken(sub): sub must be a non-empty string (the user id)');
  if (typeof secret !== 'string' || secret === '') throw new TypeError('createToken: no HS256 secret to sign with');
  if (expiresIn !== null && !(Number.isInteger(expiresIn) && expiresIn > 0)) {
    throw new TypeError(`createToken: expiresIn must be a positive whole number of seconds, or null; got ${expiresIn}`);
  }
  const iat = Math.floor(now / 1000);
  const payload = { ...claims, sub, iat };
  if (expiresIn !== null) payload.exp = iat + expiresIn;
  const signed = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}
