import unittest

import _path  # noqa: F401

from brolostack_python import ConfigurationError, Settings, first_api_key

BASE = {'WEBHOOK_SECRET': 'w'}


class SettingsTest(unittest.TestCase):
    def test_defaults(self):
        s = Settings.from_env(BASE)
        self.assertEqual((s.environment, s.host, s.port, s.server_url), ('development', '0.0.0.0', 8000, 'http://127.0.0.1:3001'))
        self.assertEqual((s.webhook_secret, s.jwt_secret, s.api_key), ('w', None, None))
        self.assertTrue(s.detailed_errors)
        s = Settings.from_env(BASE, host='127.0.0.1', port=5000, environment='staging', server_url='https://ws.example')
        self.assertEqual((s.environment, s.host, s.port, s.server_url), ('staging', '127.0.0.1', 5000, 'https://ws.example'))
        self.assertFalse(s.detailed_errors)

    def test_environment_wins_over_defaults(self):
        s = Settings.from_env({**BASE, 'BROLOSTACK_ENV': 'production', 'HOST': '127.0.0.1', 'PORT': ' 9000 ',
                               'BROLOSTACK_URL': 'http://ws:3001/', 'JWT_SECRET': 'j', 'API_KEYS': 'web=k1,k2'},
                              environment='development', port=8000)
        self.assertEqual((s.environment, s.host, s.port, s.server_url, s.jwt_secret, s.api_key),
                         ('production', '127.0.0.1', 9000, 'http://ws:3001', 'j', 'k1'))
        self.assertFalse(s.detailed_errors)
        # NODE_ENV counts when BROLOSTACK_ENV is unset, as for the server.
        self.assertEqual(Settings.from_env({**BASE, 'NODE_ENV': 'test'}).environment, 'test')
        self.assertEqual(Settings.from_env({**BASE, 'NODE_ENV': 'test', 'BROLOSTACK_ENV': 'staging'}).environment, 'staging')
        # Set but empty is unset.
        self.assertEqual(Settings.from_env({**BASE, 'PORT': '', 'BROLOSTACK_ENV': ''}).port, 8000)

    def test_errors(self):
        with self.assertRaisesRegex(ConfigurationError, 'WEBHOOK_SECRET is not set'):
            Settings.from_env({})
        with self.assertRaisesRegex(ConfigurationError, 'BROLOSTACK_ENV .* must be one of development, test, staging, production'):
            Settings.from_env({**BASE, 'BROLOSTACK_ENV': 'prod'})
        for port in ('http', '70000', '0', '-1'):
            with self.assertRaisesRegex(ConfigurationError, 'PORT must be a port number'):
                Settings.from_env({**BASE, 'PORT': port})
        with self.assertRaisesRegex(ConfigurationError, 'BROLOSTACK_URL must be the http:// or https:// URL'):
            Settings.from_env({**BASE, 'BROLOSTACK_URL': 'localhost:3001'})

    def test_first_api_key(self):
        # As the server reads API_KEYS: name=secret or bare secret, comma-separated, trimmed.
        self.assertEqual(first_api_key('web=s1,s2'), 's1')
        self.assertEqual(first_api_key(' , bare-secret ,x=y'), 'bare-secret')
        self.assertEqual(first_api_key('=starts-with-equals'), '=starts-with-equals')
        self.assertEqual(first_api_key('name=with=equals'), 'with=equals')
        self.assertIsNone(first_api_key(''))
        self.assertIsNone(first_api_key(None))


if __name__ == '__main__':
    unittest.main()
