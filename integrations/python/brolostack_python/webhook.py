"""The backend webhook: the server's calls for clients' ``send`` events.

With ``BACKEND_URL`` set, brolostack-server POSTs each ``send`` event that
is not an ARGS shortcut to ``BACKEND_URL/brolostack/events`` as
``{event, data, sid, user, mid}``, signed with
``X-Brolostack-Signature: sha256=<hex HMAC-SHA256 of the body>`` keyed with
``WEBHOOK_SECRET``. The answer's JSON is the reply the client gets; an
error answer ``{"error": {"code", "message"}}`` with a protocol code is the
error it gets.

:class:`WebhookHandlers` is that endpoint without a web framework: the app
hands it the raw body and the signature header, and sends back the status
and JSON text it answers. The signature is checked (in constant time)
before anything else, so a request without a valid one gets 401 and
reaches no handler.

The server waits ``WEBHOOK_TIMEOUT_MS`` (5000 by default) for the answer;
past that it has already told the client ``unavailable``, and what a slower
handler returns goes nowhere. Handlers that may take longer should hand the
work on (start a task, publish the result to a room) and answer at once.
"""
import asyncio
import functools
import hashlib
import hmac
import inspect
import json
import logging
from dataclasses import dataclass
from typing import Any, Optional

from .answers import Answer, error_answer
from .errors import ERROR_STATUS, BrolostackError

WEBHOOK_PATH = '/brolostack/events'
SIGNATURE_HEADER = 'X-Brolostack-Signature'
# The server sends at most one frame's data (MAX_MESSAGE_BYTES, at most
# 64 MiB) and a little more; the default MAX_MESSAGE_BYTES is 1 MiB.
MAX_WEBHOOK_BYTES = 8 * 1024 * 1024


def signature(secret, body):
    """The header value the server sends for ``body`` (bytes, or str as UTF-8)."""
    if not isinstance(secret, str) or not secret:
        raise TypeError('signature(secret, body): secret must be a non-empty string (WEBHOOK_SECRET)')
    if isinstance(body, str):
        body = body.encode('utf-8')
    return 'sha256=' + hmac.new(secret.encode('utf-8'), body, hashlib.sha256).hexdigest()


def verify_signature(secret, body, header):
    """Whether ``header`` is the signature of ``body``, compared in constant time."""
    if not isinstance(header, str):
        return False
    try:
        given = header.encode('ascii')
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given, signature(secret, body).encode('ascii'))


@dataclass(frozen=True)
class WebhookContext:
    """Who sent the event: the connection's ``sid``, its ``user`` (None when
    anonymous) and the message id ``mid`` the client gave the send."""
    event: str
    sid: Optional[str]
    user: Optional[str]
    mid: Any


def _is_deliberate(err):
    # internal is what unexpected errors become; raised on purpose it would
    # still show its message in production, so it is treated as unexpected.
    return isinstance(err, BrolostackError) and err.code in ERROR_STATUS and err.code != 'internal'


class WebhookHandlers:
    """One handler per event name; ``handle`` answers one webhook call.

    ``detailed_errors``: whether an unexpected exception's message reaches
    the client (development only; in every profile it is logged).
    """

    def __init__(self, secret, *, detailed_errors=False, logger=None):
        if not isinstance(secret, str) or not secret:
            raise TypeError('WebhookHandlers(secret): secret must be a non-empty string, the server\'s WEBHOOK_SECRET')
        self.secret = secret
        self.detailed_errors = bool(detailed_errors)
        self.logger = logger or logging.getLogger('brolostack_python')
        self._handlers = {}

    def on(self, event, handler=None):
        """Registers ``handler(data, context)`` for ``event``; without a
        handler, returns a decorator. Its return value is the reply's data.

        One handler per event: its answer is the reply to the client's send,
        so two would contradict each other.
        """
        if not isinstance(event, str) or not event:
            raise TypeError(f'on(event, handler): event must be a non-empty string; got {event!r}')
        if handler is None:
            return functools.partial(self.on, event)
        if not callable(handler):
            raise TypeError(f'on({event!r}, handler): handler must be callable as handler(data, context)')
        if event in self._handlers:
            raise ValueError(f'{event!r} already has a handler: its answer is the reply to the client\'s send, '
                             'so there can be only one (off() it first)')
        self._handlers[event] = handler
        return handler

    def off(self, event):
        self._handlers.pop(event, None)

    def has(self, event):
        return event in self._handlers

    def handle(self, raw_body, signature_header):
        """The answer to one call, the handler run in this thread.

        A coroutine handler is run to completion here when this thread has
        no event loop running (threaded WSGI servers); under asyncio use
        :meth:`handle_async`.
        """
        call = self._accept(raw_body, signature_header)
        if isinstance(call, Answer):
            return call
        handler, data, context = call
        try:
            value = handler(data, context)
            if inspect.isawaitable(value):
                value = _run_awaitable(value)
        except Exception as err:  # noqa: BLE001 - every failure becomes an answer
            return self._failure(context.event, err)
        return self._success(context.event, value)

    async def handle_async(self, raw_body, signature_header):
        """The answer to one call, for asyncio frameworks: coroutine handlers
        are awaited, plain ones run in the loop's executor so that a blocking
        one (a database, the HTTP API) does not stall the loop."""
        call = self._accept(raw_body, signature_header)
        if isinstance(call, Answer):
            return call
        handler, data, context = call
        try:
            if inspect.iscoroutinefunction(handler):
                value = await handler(data, context)
            else:
                loop = asyncio.get_running_loop()
                value = await loop.run_in_executor(None, handler, data, context)
                if inspect.isawaitable(value):
                    value = await value
        except Exception as err:  # noqa: BLE001 - every failure becomes an answer
            return self._failure(context.event, err)
        return self._success(context.event, value)

    def _accept(self, raw_body, signature_header):
        """(handler, data, context) for a valid call, else the refusal."""
        if isinstance(raw_body, str):
            raw_body = raw_body.encode('utf-8')
        if not isinstance(raw_body, (bytes, bytearray, memoryview)):
            raise TypeError('handle(raw_body, signature_header): raw_body must be the request body as bytes, '
                            'read before any JSON parsing (the signature covers the exact bytes)')
        raw_body = bytes(raw_body)
        if len(raw_body) > MAX_WEBHOOK_BYTES:
            return error_answer('too_large', f'the body is larger than {MAX_WEBHOOK_BYTES} bytes')
        if not verify_signature(self.secret, raw_body, signature_header):
            return error_answer('unauthorized', f'missing or wrong {SIGNATURE_HEADER}')
        try:
            call = json.loads(raw_body.decode('utf-8'))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
            call = None
        if not isinstance(call, dict) or not isinstance(call.get('event'), str):
            return error_answer('bad_request', 'the body must be a JSON object with a string event')
        event = call['event']
        handler = self._handlers.get(event)
        if handler is None:
            return error_answer('not_found', f"no handler for event '{event}'")
        context = WebhookContext(event=event, sid=call.get('sid'), user=call.get('user'), mid=call.get('mid'))
        return handler, call.get('data'), context

    def _success(self, event, value):
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as err:  # a set, an object, NaN: not JSON
            self.logger.error("the handler of '%s' answered with something that is not JSON: %s", event, err)
            return error_answer('internal', f'the answer is not JSON: {err}' if self.detailed_errors else 'internal error')
        return Answer(200, text)

    def _failure(self, event, err):
        if _is_deliberate(err):
            return error_answer(err.code, err.message)
        self.logger.error("the handler of '%s' raised: %s", event, err, exc_info=err)
        return error_answer('internal', (str(err) or type(err).__name__) if self.detailed_errors else 'internal error')


def _run_awaitable(awaitable):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # not awaited here: close it so Python does not warn about it
        raise RuntimeError('a coroutine handler under a running event loop: call handle_async, not handle')

    async def wait():
        return await awaitable

    return asyncio.run(wait())
