"""The protocol's error codes, and the exception that carries one."""

# Each code of the protocol with the HTTP status it travels with
# (common/src/protocol/codes.cpp; js/src/server/webhook.mjs has the same table).
ERROR_STATUS = {
    'bad_request': 400,
    'unknown_op': 400,
    'unauthorized': 401,
    'forbidden': 403,
    'not_found': 404,
    'conflict': 409,
    'rate_limited': 429,
    'too_large': 413,
    'limit_exceeded': 429,
    'expired': 400,
    'timeout': 504,
    'unavailable': 503,
    'internal': 500,
}


class BrolostackError(Exception):
    """An error with one of the protocol's codes.

    Raised by a webhook handler, it is a deliberate answer: its code and
    message reach the client as they are (``forbidden``, ``not_found``...).
    Raised by :class:`BrolostackClient`, it is what the server answered, with
    the HTTP ``status`` of that answer.
    """

    def __init__(self, code, message, status=None):
        if not isinstance(code, str) or not code:
            raise TypeError(f'BrolostackError(code, message): code must be a non-empty string; got {code!r}')
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status if status is not None else ERROR_STATUS.get(code, 500)

    def to_json(self):
        """The error as the server and the webhook write it: ``{"error": {"code", "message"}}``."""
        return {'error': {'code': self.code, 'message': self.message}}

    def __repr__(self):
        return f'BrolostackError({self.code!r}, {self.message!r}, status={self.status})'
