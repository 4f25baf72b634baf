import base64
import hashlib
import hmac
import json
import time
import unittest

import _path  # noqa: F401

from brolostack_python import mint_token


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + '=' * (-len(part) % 4))


def verify(token, secret):
    """The claims of an HS256 token whose signature checks out, else AssertionError."""
    header, payload, mac = token.split('.')
    expected = hmac.new(secret.encode(), f'{header}.{payload}'.encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(b64url_decode(mac), expected), 'bad signature'
    assert json.loads(b64url_decode(header)) == {'alg': 'HS256', 'typ': 'JWT'}
    return json.loads(b64url_decode(payload))


class MintTokenTest(unittest.TestCase):
    def test_round_trip(self):
        before = int(time.time())
        token = mint_token('user-7', 'jwt-secret')
        claims = verify(token, 'jwt-secret')
        self.assertEqual(claims['sub'], 'user-7')
        self.assertGreaterEqual(claims['iat'], before)
        self.assertLessEqual(claims['iat'], int(time.time()))
        self.assertEqual(claims['exp'] - claims['iat'], 3600)
        self.assertNotIn('=', token, 'base64url without padding')
        with self.assertRaises(AssertionError):
            verify(token, 'another-secret')

    def test_claims_the_server_reads_are_merged(self):
        claims = verify(mint_token('u', 's', expires_in=60, name='Ada', rooms=['news'], sessions=['reports'],
                                   roles=['admin'], aud='app', iss='backend'), 's')
        self.assertEqual(claims, {'name': 'Ada', 'rooms': ['news'], 'sessions': ['reports'], 'roles': ['admin'],
                                  'aud': 'app', 'iss': 'backend', 'sub': 'u', 'iat': claims['iat'],
                                  'exp': claims['iat'] + 60})

    def test_no_expiry(self):
        claims = verify(mint_token('u', 's', expires_in=None), 's')
        self.assertNotIn('exp', claims)
        # An absolute exp claim stays when there is no expires_in (as in the npm package).
        self.assertEqual(verify(mint_token('u', 's', expires_in=None, exp=123), 's')['exp'], 123)

    def test_same_bytes_as_the_npm_package(self):
        # mintToken('user-7', 'jwt-secret', {expiresIn: 600, now: 1700000000000, name: 'Ada', rooms: ['news']})
        # from js/src/server/token.mjs:
        expected = ('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiQWRhIiwicm9vbXMiOlsibmV3cyJdLCJzdWIiOiJ1c2VyLTciLCJp'
                    'YXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDYwMH0.aiVy-z49p3HiTqfEKWE3G0Jnu6aicfpjnqZFN150PlA')
        self.assertEqual(mint_token('user-7', 'jwt-secret', expires_in=600, now=1700000000, name='Ada', rooms=['news']),
                         expected)

    def test_validation(self):
        for sub in ('', None, 7, b'user'):
            with self.assertRaisesRegex(TypeError, 'sub must be a non-empty string'):
                mint_token(sub, 's')
        for secret in ('', None, b'secret'):
            with self.assertRaisesRegex(TypeError, 'secret must be a non-empty string'):
                mint_token('u', secret)
        for expires_in in (1.5, '60', True):
            with self.assertRaisesRegex(TypeError, 'expires_in must be a whole number of seconds'):
                mint_token('u', 's', expires_in=expires_in)
        for expires_in in (0, -5):
            with self.assertRaisesRegex(ValueError, 'expires_in must be positive'):
                mint_token('u', 's', expires_in=expires_in)


if __name__ == '__main__':
    unittest.main()
