import json
import socket
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _path  # noqa: F401

from brolostack_python import BrolostackClient, BrolostackError


class FakeServer:
    """An HTTP server that records requests and answers what `answers` holds
    for (method, path): (status, body bytes), or a callable doing that."""

    def __init__(self):
        self.requests = []
        self.answers = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                fake.requests.append({'method': self.command, 'path': self.path, 'headers': dict(self.headers),
                                      'body': json.loads(body) if body else None})
                answer = fake.answers.get((self.command, self.path.split('?')[0]), (404, b'{"error":{"code":"not_found","message":"no route"}}'))
                if callable(answer):
                    answer = answer()
                status, text = answer
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            do_GET = do_POST = do_DELETE = answer

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ok(value, status=200):
    return status, json.dumps(value).encode()


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeServer()
        self.addCleanup(self.fake.close)
        self.client = BrolostackClient(self.fake.url + '/', 'test-key', timeout=2)

    def last(self):
        return self.fake.requests[-1]

    def test_publish_and_broadcast(self):
        self.fake.answers[('POST', '/api/v1/publish')] = ok({'offset': 1, 'epoch': 'e1'})
        self.assertEqual(self.client.publish('news', 'announcement', {'text': 'hi'}), {'offset': 1, 'epoch': 'e1'})
        request = self.last()
        self.assertEqual(request['body'], {'room': 'news', 'event': 'announcement', 'data': {'text': 'hi'}})
        self.assertEqual(request['headers']['Authorization'], 'Bearer test-key')
        self.assertEqual(request['headers']['Content-Type'], 'application/json')
        self.client.publish('news', 'ping')
        self.assertIsNone(self.last()['body']['data'])

        self.fake.answers[('POST', '/api/v1/broadcast')] = ok({'results': []})
        self.client.broadcast(('a', 'b'), 'e', 1)
        self.assertEqual(self.last()['body'], {'rooms': ['a', 'b'], 'event': 'e', 'data': 1})
        with self.assertRaisesRegex(TypeError, 'list of room ids'):
            self.client.broadcast('news', 'e')
        with self.assertRaisesRegex(TypeError, 'publish\\(room\\)'):
            self.client.publish('', 'e')

    def test_path_segments_are_encoded(self):
        self.fake.answers[('GET', '/api/v1/rooms/%24session%3Aabc%2Fx/members')] = ok({'members': []})
        self.assertEqual(self.client.members('$session:abc/x'), {'members': []})
        self.fake.answers[('GET', '/api/v1/rooms/news/history')] = ok({'messages': []})
        self.client.history('news')
        self.assertEqual(self.last()['path'], '/api/v1/rooms/news/history')
        self.client.history('news', since_offset=4, epoch='e1', limit=10)
        self.assertEqual(self.last()['path'], '/api/v1/rooms/news/history?sinceOffset=4&limit=10&epoch=e1')
        with self.assertRaisesRegex(ValueError, 'epoch'):
            self.client.history('news', since_offset=4)

    def test_sessions_and_tasks(self):
        self.fake.answers[('GET', '/api/v1/sessions')] = ok({'count': 1, 'sessions': ['reports']})
        self.fake.answers[('GET', '/api/v1/sessions/reports')] = ok({'sessionId': 'reports'})
        self.fake.answers[('POST', '/api/v1/sessions/reports/tasks')] = ok({'taskId': 't-1', 'state': 'queued'}, 202)
        self.fake.answers[('DELETE', '/api/v1/sessions/reports/tasks/t%201')] = ok({'taskId': 't 1', 'state': 'canceled'})
        self.assertEqual(self.client.sessions(), {'count': 1, 'sessions': ['reports']})
        self.assertEqual(self.client.session('reports'), {'sessionId': 'reports'})
        definition = {'type': 'report', 'requirements': {'agentTypes': ['summarizer']}, 'payload': {'text': 'x'}}
        self.assertEqual(self.client.start_task('reports', definition), {'taskId': 't-1', 'state': 'queued'})
        self.assertEqual(self.last()['body'], definition)
        self.assertEqual(self.client.cancel_task('reports', 't 1')['state'], 'canceled')
        self.assertEqual(self.last()['method'], 'DELETE')
        with self.assertRaisesRegex(TypeError, 'definition must be a dict'):
            self.client.start_task('reports', '{}')

    def test_disconnect_and_stats(self):
        self.fake.answers[('POST', '/api/v1/disconnect')] = ok({'disconnected': 2})
        self.assertEqual(self.client.disconnect(user='ada'), {'disconnected': 2})
        self.assertEqual(self.last()['body'], {'user': 'ada'})
        self.client.disconnect(sid='c-1')
        self.assertEqual(self.last()['body'], {'sid': 'c-1'})
        for bad in ({}, {'user': 'a', 'sid': 'b'}):
            with self.assertRaisesRegex(ValueError, 'exactly one'):
                self.client.disconnect(**bad)
        self.fake.answers[('GET', '/api/v1/stats')] = ok({'environment': 'test'})
        self.assertEqual(self.client.stats(), {'environment': 'test'})

    def test_error_answers_raise_the_servers_error(self):
        self.fake.answers[('POST', '/api/v1/publish')] = ok({'error': {'code': 'limit_exceeded', 'message': 'too many rooms'}}, 429)
        with self.assertRaises(BrolostackError) as caught:
            self.client.publish('news', 'e')
        self.assertEqual((caught.exception.code, caught.exception.message, caught.exception.status),
                         ('limit_exceeded', 'too many rooms', 429))
        # Without the error shape: the code follows the status.
        self.fake.answers[('GET', '/api/v1/stats')] = (401, b'')
        with self.assertRaises(BrolostackError) as caught:
            self.client.stats()
        self.assertEqual((caught.exception.code, caught.exception.status), ('unauthorized', 401))
        self.assertIn('HTTP 401 for GET /api/v1/stats', caught.exception.message)
        self.fake.answers[('GET', '/api/v1/sessions')] = (405, b'<html>')
        with self.assertRaises(BrolostackError) as caught:
            self.client.sessions()
        self.assertEqual((caught.exception.code, caught.exception.status), ('internal', 405))

    def test_a_2xx_that_is_not_json(self):
        self.fake.answers[('GET', '/api/v1/stats')] = (200, b'<html>hello</html>')
        with self.assertRaisesRegex(BrolostackError, 'not JSON') as caught:
            self.client.stats()
        self.assertEqual(caught.exception.code, 'unavailable')

    def test_without_a_key_no_authorization(self):
        self.fake.answers[('GET', '/api/v1/stats')] = ok({})
        BrolostackClient(self.fake.url).stats()
        self.assertNotIn('Authorization', self.last()['headers'])


class UnreachableTest(unittest.TestCase):
    def test_refused(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        with self.assertRaises(BrolostackError) as caught:
            BrolostackClient(f'http://127.0.0.1:{port}').stats()
        self.assertEqual(caught.exception.code, 'unavailable')
        self.assertIn('did not answer GET /api/v1/stats', caught.exception.message)

    def test_timeout(self):
        with socket.socket() as listener:
            listener.bind(('127.0.0.1', 0))
            listener.listen()
            with self.assertRaises(BrolostackError) as caught:
                BrolostackClient(f'http://127.0.0.1:{listener.getsockname()[1]}', timeout=0.2).stats()
        self.assertEqual(caught.exception.code, 'unavailable')
        self.assertIn('no answer within 0.2 s', caught.exception.message)

    def test_validation(self):
        for url in ('127.0.0.1:3001', 'ws://x', None):
            with self.assertRaisesRegex(ValueError, 'http:// or https://'):
                BrolostackClient(url)
        with self.assertRaisesRegex(TypeError, 'api_key'):
            BrolostackClient('http://x', '')
        for timeout in (0, -1, True, '10'):
            with self.assertRaisesRegex(ValueError, 'timeout'):
                BrolostackClient('http://x', timeout=timeout)


if __name__ == '__main__':
    unittest.main()
