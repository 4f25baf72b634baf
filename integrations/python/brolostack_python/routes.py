"""An app's own JSON routes, framework aside: ``json_route`` runs one with
the raw request body and turns what it returns or raises into an answer,
with the same error shape as the server's and the webhook's."""
import json
import logging

from .answers import Answer, error_answer
from .errors import BrolostackError


def string_field(body, name):
    """``body[name]`` when it is a non-empty string, else a bad_request."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BrolostackError('bad_request', f'"{name}" must be a non-empty string')
    return value


def json_route(route, raw_body, *, detailed_errors=False, logger=None):
    """Runs ``route(body)`` on the request's JSON object (an empty body is
    ``{}``); it returns ``(status, value)``.

    A BrolostackError it raises (one of its own, or the HTTP API's, e.g.
    unavailable when the server is down) answers with its code and status;
    anything else is logged and answers ``internal``, its message only with
    ``detailed_errors``.
    """
    try:
        text = bytes(raw_body).decode('utf-8') if isinstance(raw_body, (bytes, bytearray, memoryview)) else raw_body
        body = json.loads(text) if text and text.strip() else {}
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        body = None
    if not isinstance(body, dict):
        return error_answer('bad_request', 'the body must be a JSON object')
    try:
        status, value = route(body)
        return Answer(status, json.dumps(value, ensure_ascii=False, allow_nan=False))
    except BrolostackError as err:
        return error_answer(err.code, err.message, err.status)
    except Exception as err:  # noqa: BLE001 - every failure becomes an answer
        (logger or logging.getLogger('brolostack_python')).error(
            "the route %s raised: %s", getattr(route, '__name__', route), err, exc_info=err)
        return error_answer('internal', (str(err) or type(err).__name__) if detailed_errors else 'internal error')
