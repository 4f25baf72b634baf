"""Brolostack WebSocket for Python backends.

The server stays the native brolostack-server; a Python app beside it
answers its webhook (clients' ``send``), issues the tokens clients connect
with, and calls its HTTP API:

- :func:`mint_token`: HS256 JWTs for the server's ``JWT_SECRET``;
- :func:`signature`, :func:`verify_signature`, :class:`WebhookHandlers`:
  the webhook, framework aside;
- :class:`BrolostackClient`: the HTTP API (publish, tasks, members...);
- :class:`Settings`: an app's settings from the environment;
- :class:`BrolostackPythonIntegration`: a runnable app for FastAPI, Flask,
  Django or Tornado, as source.
"""
from .answers import Answer, error_answer
from .api import BrolostackClient
from .errors import ERROR_STATUS, BrolostackError
from .integration import FRAMEWORKS, BrolostackPythonIntegration
from .routes import json_route, string_field
from .settings import ENVIRONMENTS, ConfigurationError, Settings, first_api_key
from .token import mint_token
from .webhook import (
    MAX_WEBHOOK_BYTES, SIGNATURE_HEADER, WEBHOOK_PATH, WebhookContext, WebhookHandlers, signature,
    verify_signature,
)

__version__ = '0.1.0'

__all__ = [
    'Answer', 'BrolostackClient', 'BrolostackError', 'BrolostackPythonIntegration', 'ConfigurationError',
    'ENVIRONMENTS', 'ERROR_STATUS', 'FRAMEWORKS', 'MAX_WEBHOOK_BYTES', 'SIGNATURE_HEADER', 'Settings',
    'WEBHOOK_PATH', 'WebhookContext', 'WebhookHandlers', 'error_answer', 'first_api_key', 'json_route',
    'mint_token', 'signature', 'string_field', 'verify_signature',
]
