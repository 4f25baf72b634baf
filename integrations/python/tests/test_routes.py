import json
import unittest

import _path  # noqa: F401

from brolostack_python import BrolostackError, json_route, string_field


def announce(body):
    return 200, {'room': string_field(body, 'room')}


class JsonRouteTest(unittest.TestCase):
    def answer(self, route, raw, detailed_errors=True):
        status, text = json_route(route, raw, detailed_errors=detailed_errors)
        return status, json.loads(text)

    def test_value_and_status(self):
        self.assertEqual(self.answer(announce, b'{"room":"news"}'), (200, {'room': 'news'}))
        self.assertEqual(self.answer(lambda body: (202, {'taskId': 't'}), b''), (202, {'taskId': 't'}))
        self.assertEqual(self.answer(lambda body: (200, body), '{"a":1}'), (200, {'a': 1}))

    def test_bad_bodies(self):
        for raw in (b'[1]', b'nope', b'"x"', b'\xff'):
            self.assertEqual(self.answer(announce, raw)[0], 400, raw)
        status, body = self.answer(announce, b'{"room":5}')
        self.assertEqual((status, body['error']['code']), (400, 'bad_request'))
        self.assertIn('"room" must be a non-empty string', body['error']['message'])

    def test_errors(self):
        def unavailable(body):
            raise BrolostackError('unavailable', 'brolostack-server did not answer', status=503)

        def api_refused(body):
            raise BrolostackError('unauthorized', 'wrong key', status=401)

        def boom(body):
            raise KeyError('x')
        self.assertEqual(self.answer(unavailable, b'{}'), (503, {'error': {'code': 'unavailable', 'message': 'brolostack-server did not answer'}}))
        self.assertEqual(self.answer(api_refused, b'{}')[0], 401)
        with self.assertLogs('brolostack_python', 'ERROR'):
            self.assertEqual(self.answer(boom, b'{}'), (500, {'error': {'code': 'internal', 'message': "'x'"}}))
            self.assertEqual(self.answer(boom, b'{}', detailed_errors=False),
                             (500, {'error': {'code': 'internal', 'message': 'internal error'}}))


if __name__ == '__main__':
    unittest.main()
