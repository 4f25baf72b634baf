"""What an endpoint answers, framework aside: an HTTP status and JSON text."""
import json
from typing import NamedTuple

from .errors import ERROR_STATUS


class Answer(NamedTuple):
    status: int
    text: str


def error_answer(code, message, status=None):
    """``{"error": {"code", "message"}}`` with the code's status (or ``status``)."""
    body = json.dumps({'error': {'code': code, 'message': message}}, ensure_ascii=False)
    return Answer(status or ERROR_STATUS.get(code, 500), body)
