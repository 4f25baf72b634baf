"""A backend app's settings, read from the environment.

The variables are the server's own where they mean the same thing
(docs/operations.md), so one environment file can serve both:

- ``BROLOSTACK_ENV`` (else ``NODE_ENV``): development, test, staging or
  production; only development shows unexpected errors' messages to clients;
- ``HOST``, ``PORT``: where the app listens;
- ``BROLOSTACK_URL``: where brolostack-server's HTTP API is;
- ``WEBHOOK_SECRET``: the server's, to check its webhook calls (required);
- ``JWT_SECRET``: the server's, to issue tokens its clients connect with;
- ``API_KEYS``: the server's list; the first key is the app's own for the HTTP API.
"""
import os
from dataclasses import dataclass
from typing import Optional

ENVIRONMENTS = ('development', 'test', 'staging', 'production')
DEFAULT_SERVER_URL = 'http://127.0.0.1:3001'  # brolostack-server's default HOST and PORT


class ConfigurationError(ValueError):
    """A setting is missing or not valid; the message says which and how to fix it."""


def first_api_key(text):
    """The secret of the first key in an ``API_KEYS`` list (``name=secret`` or
    bare ``secret``, comma-separated, as the server reads it), or None."""
    for item in (text or '').split(','):
        item = item.strip(' \t')
        if not item:
            continue
        name, eq, secret = item.partition('=')
        # A leading '=' is no name: the server takes the whole item as the secret.
        return secret if eq and name else item
    return None


def check_port(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigurationError(f'{what} must be a port number, 1 to 65535; got {value!r}')
    return value


def check_environment(value, what):
    if value not in ENVIRONMENTS:
        raise ConfigurationError(f'{what} must be one of {", ".join(ENVIRONMENTS)}; got {value!r}')
    return value


def check_server_url(value, what):
    if not isinstance(value, str) or not value.startswith(('http://', 'https://')) or len(value) <= len('https://'):
        raise ConfigurationError(f'{what} must be the http:// or https:// URL of brolostack-server; got {value!r}')
    return value.rstrip('/')


@dataclass(frozen=True)
class Settings:
    environment: str
    host: str
    port: int
    server_url: str
    webhook_secret: str
    jwt_secret: Optional[str]
    api_key: Optional[str]

    @property
    def detailed_errors(self):
        """Unexpected errors' messages reach clients in development only."""
        return self.environment == 'development'

    @classmethod
    def from_env(cls, environ=None, *, host='0.0.0.0', port=8000, environment='development',
                 server_url=DEFAULT_SERVER_URL):
        """The settings in ``environ`` (``os.environ`` by default); the
        keyword arguments are the defaults for variables that are unset."""
        env = os.environ if environ is None else environ

        def value(name):
            return env.get(name) or None  # set but empty counts as unset, as for the server

        environment = check_environment(value('BROLOSTACK_ENV') or value('NODE_ENV') or environment,
                                        'BROLOSTACK_ENV (or NODE_ENV)')
        port_text = value('PORT')
        if port_text is not None:
            port_text = port_text.strip()
            if not port_text.isdigit():
                raise ConfigurationError(f'PORT must be a port number, 1 to 65535; got {port_text!r}')
            port = int(port_text)
        webhook_secret = value('WEBHOOK_SECRET')
        if webhook_secret is None:
            raise ConfigurationError('WEBHOOK_SECRET is not set: give the app the WEBHOOK_SECRET of its brolostack-server, '
                                     'which signs every webhook call with it')
        return cls(
            environment=environment,
            host=value('HOST') or host,
            port=check_port(port, 'PORT'),
            server_url=check_server_url(value('BROLOSTACK_URL') or server_url, 'BROLOSTACK_URL'),
            webhook_secret=webhook_secret,
            jwt_secret=value('JWT_SECRET'),
            api_key=first_api_key(env.get('API_KEYS')),
        )
