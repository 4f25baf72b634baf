"""HS256 JSON Web Tokens for the server's JWT authentication (JWT_SECRET).

A token is two base64url JSON parts and an HMAC: the standard library is
enough, as in js/src/server/token.mjs, whose semantics these are.
"""
import base64
import hashlib
import hmac
import json
import time

_HEADER = {'alg': 'HS256', 'typ': 'JWT'}


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii')


def _json_part(value):
    return _b64url(json.dumps(value, separators=(',', ':'), ensure_ascii=False).encode('utf-8'))


def mint_token(sub, secret, expires_in=3600, *, now=None, **claims):
    """A signed token for user ``sub``.

    It carries ``iat`` and ``exp`` (``expires_in`` seconds from now; ``None``
    for no expiry) and any other claims given, e.g. those the server reads:
    ``name``, ``rooms``, ``sessions``, ``roles``, ``aud``, ``iss``. ``now``
    (seconds since the epoch) replaces the clock. An ``exp`` claim is kept
    only with ``expires_in=None`` (an absolute expiry); ``iat`` is always now.
    """
    if not isinstance(sub, str) or not sub:
        raise TypeError(f'mint_token(sub, secret): sub must be a non-empty string (the user id); got {sub!r}')
    if not isinstance(secret, str) or not secret:
        raise TypeError('mint_token(sub, secret): secret must be a non-empty string (the HS256 secret, JWT_SECRET)')
    if expires_in is not None:
        # bool is an int in Python; True seconds is a mistake, not a lifetime.
        if not isinstance(expires_in, int) or isinstance(expires_in, bool):
            raise TypeError(f'mint_token: expires_in must be a whole number of seconds, or None; got {expires_in!r}')
        if expires_in <= 0:
            raise ValueError(f'mint_token: expires_in must be positive (seconds), or None; got {expires_in}')
    iat = int(time.time() if now is None else now)
    payload = {**claims, 'sub': sub, 'iat': iat}
    if expires_in is not None:
        payload['exp'] = iat + expires_in
    signed = f'{_json_part(_HEADER)}.{_json_part(payload)}'
    mac = hmac.new(secret.encode('utf-8'), signed.encode('ascii'), hashlib.sha256).digest()
    return f'{signed}.{_b64url(mac)}'
