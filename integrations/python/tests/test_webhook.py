import asyncio
import hashlib
import hmac
import json
import unittest

import _path  # noqa: F401

from brolostack_python import (
    MAX_WEBHOOK_BYTES, BrolostackError, WebhookContext, WebhookHandlers, signature, verify_signature,
)

SECRET = 'webhook-secret'


def call(event='greet', data=None, **extra):
    return json.dumps({'event': event, 'data': data, 'sid': 'c-1', 'user': 'ada', 'mid': 'm-1', **extra}).encode()


class SignatureTest(unittest.TestCase):
    def test_format(self):
        body = b'{"event":"greet"}'
        expected = 'sha256=' + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(signature(SECRET, body), expected)
        self.assertEqual(signature(SECRET, body.decode()), expected, 'a str body is its UTF-8 bytes')

    def test_same_as_the_server_and_the_npm_package(self):
        # webhookSignature('webhook-secret', body) from js/src/server/webhook.mjs (as webhook_client.cpp writes it):
        body = '{"event":"greet","data":{"name":"Ada"},"sid":"c-1","user":null,"mid":"m-1"}'
        self.assertEqual(signature(SECRET, body), 'sha256=e271e7dbcfd8a778fbbb26aadad8ee29944b44cfcf22f8280df3a688eb0ee7bf')

    def test_verify(self):
        body = call()
        self.assertTrue(verify_signature(SECRET, body, signature(SECRET, body)))
        for header in (None, '', 'sha256=00', signature('other', body), signature(SECRET, body + b' '),
                       signature(SECRET, body).upper(), signature(SECRET, body)[7:], 'sha256=é', 42):
            self.assertFalse(verify_signature(SECRET, body, header), header)


class DispatcherTest(unittest.TestCase):
    def setUp(self):
        self.handlers = WebhookHandlers(SECRET, detailed_errors=True)
        self.calls = []

    def handle(self, body, header=None, handlers=None):
        status, text = (handlers or self.handlers).handle(body, signature(SECRET, body) if header is None else header)
        return status, json.loads(text)

    def test_signature_is_checked_before_any_handler(self):
        self.handlers.on('greet', lambda data, context: self.calls.append(data))
        for header in ('', 'sha256=00', signature('other', call())):
            self.assertEqual(self.handle(call(), header),
                             (401, {'error': {'code': 'unauthorized', 'message': 'missing or wrong X-Brolostack-Signature'}}))
        status, _ = self.handlers.handle(call(), None)
        self.assertEqual(status, 401)
        # Not even the body's shape is looked at without a signature.
        self.assertEqual(self.handle(b'not json', 'sha256=00')[0], 401)
        self.assertEqual(self.calls, [])

    def test_bad_request_and_not_found(self):
        for body in (b'not json', b'[1]', b'"greet"', b'null', b'{"event":5}', b'{"data":1}', b'\xff'):
            status, answer = self.handle(body)
            self.assertEqual(status, 400, body)
            self.assertEqual(answer['error']['code'], 'bad_request')
        self.assertEqual(self.handle(call('nobody')),
                         (404, {'error': {'code': 'not_found', 'message': "no handler for event 'nobody'"}}))

    def test_the_answer_is_the_handlers_value(self):
        self.handlers.on('greet', lambda data, context: {'greeting': f"Hello, {data['name']}!", 'user': context.user})
        self.handlers.on('nothing', lambda data, context: None)
        self.handlers.on('echo', lambda data, context: data)
        self.assertEqual(self.handle(call(data={'name': 'Ada'})), (200, {'greeting': 'Hello, Ada!', 'user': 'ada'}))
        self.assertEqual(self.handlers.handle(call('nothing'), signature(SECRET, call('nothing'))).text, 'null')
        self.assertEqual(self.handle(call('echo', data=[1, 'é'])), (200, [1, 'é']))
        # A call without data gives the handler None.
        self.assertEqual(self.handle(b'{"event":"echo"}'), (200, None))

    def test_context(self):
        seen = []
        self.handlers.on('who', lambda data, context: seen.append(context))
        self.handle(call('who'))
        self.assertEqual(seen, [WebhookContext(event='who', sid='c-1', user='ada', mid='m-1')])
        self.handle(b'{"event":"who"}')
        self.assertEqual(seen[1], WebhookContext(event='who', sid=None, user=None, mid=None))

    def test_deliberate_errors_pass_through(self):
        def deny(data, context):
            raise BrolostackError('forbidden', 'not your document')
        self.handlers.on('deny', deny)
        self.assertEqual(self.handle(call('deny')), (403, {'error': {'code': 'forbidden', 'message': 'not your document'}}))
        for code, status in (('not_found', 404), ('conflict', 409), ('rate_limited', 429), ('unavailable', 503)):
            handlers = WebhookHandlers(SECRET)
            handlers.on('e', lambda data, context, code=code: (_ for _ in ()).throw(BrolostackError(code, 'm')))
            self.assertEqual(self.handle(call('e'), handlers=handlers)[0], status, code)

    def test_other_errors_are_internal_their_message_in_development_only(self):
        def boom(data, context):
            raise RuntimeError('the database is on fire')
        for detailed, message in ((True, 'the database is on fire'), (False, 'internal error')):
            handlers = WebhookHandlers(SECRET, detailed_errors=detailed)
            handlers.on('boom', boom)
            # An internal or unknown code raised on purpose is still treated as unexpected.
            handlers.on('internal', lambda d, c: (_ for _ in ()).throw(BrolostackError('internal', 'secret detail')))
            handlers.on('odd', lambda d, c: (_ for _ in ()).throw(BrolostackError('made_up', 'secret detail')))
            with self.assertLogs('brolostack_python', 'ERROR') as logs:
                self.assertEqual(self.handle(call('boom'), handlers=handlers),
                                 (500, {'error': {'code': 'internal', 'message': message}}))
                self.assertEqual(self.handle(call('internal'), handlers=handlers)[0], 500)
                self.assertEqual(self.handle(call('odd'), handlers=handlers)[0], 500)
            self.assertIn("the handler of 'boom' raised: the database is on fire", logs.output[0])

    def test_an_answer_that_is_not_json_is_internal(self):
        self.handlers.on('set', lambda data, context: {1, 2})
        self.handlers.on('nan', lambda data, context: float('nan'))
        with self.assertLogs('brolostack_python', 'ERROR'):
            for event in ('set', 'nan'):
                status, answer = self.handle(call(event))
                self.assertEqual(status, 500)
                self.assertRegex(answer['error']['message'], 'not JSON')

    def test_too_large(self):
        body = b' ' * (MAX_WEBHOOK_BYTES + 1)
        self.assertEqual(self.handle(body)[0], 413)

    def test_raw_body_must_be_bytes(self):
        with self.assertRaisesRegex(TypeError, 'raw_body must be the request body as bytes'):
            self.handlers.handle({'event': 'greet'}, 'sha256=00')

    def test_registration(self):
        @self.handlers.on('greet')
        def greet(data, context):
            return 'hi'
        self.assertEqual(greet(None, None), 'hi', 'the decorator returns the function')
        self.assertTrue(self.handlers.has('greet'))
        with self.assertRaisesRegex(ValueError, "'greet' already has a handler"):
            self.handlers.on('greet', lambda d, c: None)
        self.handlers.off('greet')
        self.assertFalse(self.handlers.has('greet'))
        with self.assertRaisesRegex(TypeError, 'event must be a non-empty string'):
            self.handlers.on('', lambda d, c: None)
        with self.assertRaisesRegex(TypeError, 'handler must be callable'):
            self.handlers.on('x', 'not a function')
        with self.assertRaisesRegex(TypeError, 'WEBHOOK_SECRET'):
            WebhookHandlers('')

    def test_coroutine_handlers(self):
        async def later(data, context):
            await asyncio.sleep(0)
            return {'later': data}
        self.handlers.on('later', later)
        self.handlers.on('plain', lambda data, context: 'plain')
        # In a thread without an event loop (threaded WSGI servers): run to completion.
        self.assertEqual(self.handle(call('later', data=1)), (200, {'later': 1}))

        async def under_asyncio():
            answers = [await self.handlers.handle_async(call(e, data=2), signature(SECRET, call(e, data=2)))
                       for e in ('later', 'plain')]
            refused = await self.handlers.handle_async(call('later'), 'sha256=00')
            # The blocking entry point under a running loop says what to call instead.
            with self.assertLogs('brolostack_python', 'ERROR'):
                wrong = self.handlers.handle(call('later'), signature(SECRET, call('later')))
            return answers, refused, wrong
        answers, refused, wrong = asyncio.run(under_asyncio())
        self.assertEqual([(a.status, json.loads(a.text)) for a in answers], [(200, {'later': 2}), (200, 'plain')])
        self.assertEqual(refused.status, 401)
        self.assertEqual(wrong.status, 500)
        self.assertIn('handle_async', json.loads(wrong.text)['error']['message'])

    def test_async_errors(self):
        async def boom(data, context):
            raise RuntimeError('async fire')

        def deny(data, context):
            raise BrolostackError('forbidden', 'no')
        self.handlers.on('boom', boom)
        self.handlers.on('deny', deny)

        async def run():
            return [await self.handlers.handle_async(call(e), signature(SECRET, call(e))) for e in ('boom', 'deny')]
        with self.assertLogs('brolostack_python', 'ERROR'):
            boomed, denied = asyncio.run(run())
        self.assertEqual((boomed.status, json.loads(boomed.text)['error']['message']), (500, 'async fire'))
        self.assertEqual((denied.status, json.loads(denied.text)['error']['code']), (403, 'forbidden'))


if __name__ == '__main__':
    unittest.main()
