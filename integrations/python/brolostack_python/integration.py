"""BrolostackPythonIntegration: a runnable backend app for a Python web
framework, as the source of one file.

Each generated app reads its settings from the environment (the config's
values are the defaults), answers the server's webhook through
:class:`WebhookHandlers`, issues tokens with :func:`mint_token` and calls
the server's HTTP API with :class:`BrolostackClient`; the framework only
routes. The sources are kept in ``templates/``: a header, the part all
frameworks share, and one file per framework.
"""
import os
from importlib import resources
from string import Template

from .settings import DEFAULT_SERVER_URL, ConfigurationError, check_environment, check_port, check_server_url

FRAMEWORKS = {
    'fastapi': 'FastAPI',
    'flask': 'Flask',
    'django': 'Django',
    'tornado': 'Tornado',
}

# config key -> (type, what it is)
CONFIG_KEYS = {
    'framework': (str, f'the framework generate() uses: {", ".join(FRAMEWORKS)}'),
    'host': (str, 'the address the app listens on by default (HOST overrides it)'),
    'port': (int, 'the port the app listens on by default (PORT overrides it)'),
    'environment': (str, 'the default profile (BROLOSTACK_ENV overrides it)'),
    'server_url': (str, "brolostack-server's HTTP API by default (BROLOSTACK_URL overrides it)"),
    'token_expires_in': (int, 'seconds the tokens of /brolostack/token are valid'),
}


def _template(name):
    return Template(resources.files(__package__).joinpath('templates', name).read_text(encoding='utf-8'))


class BrolostackPythonIntegration:
    """``config``: a dict with any of ``framework``, ``host``, ``port``,
    ``environment``, ``server_url``, ``token_expires_in``, e.g.
    ``{'framework': 'fastapi', 'host': '0.0.0.0', 'port': 8000}``.
    ``server_url`` defaults to ``BROLOSTACK_URL`` from the environment, else
    brolostack-server's own default address."""

    def __init__(self, config=None):
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise TypeError(f'BrolostackPythonIntegration(config): config must be a dict; got {type(config).__name__}')
        unknown = sorted(set(config) - set(CONFIG_KEYS), key=str)
        if unknown:
            raise ConfigurationError(f'BrolostackPythonIntegration(config): unknown key(s) {", ".join(map(repr, unknown))}; '
                                     f'the keys are {", ".join(CONFIG_KEYS)}')
        for key, value in config.items():
            kind, what = CONFIG_KEYS[key]
            if isinstance(value, bool) or not isinstance(value, kind):
                raise TypeError(f'config[{key!r}] must be {"a string" if kind is str else "an int"} '
                                f'({what}); got {value!r}')
        framework = config.get('framework')
        if framework is not None and framework not in FRAMEWORKS:
            raise ConfigurationError(f"config['framework'] must be one of {', '.join(FRAMEWORKS)}; got {framework!r}")
        host = config.get('host', '0.0.0.0')
        if not host:
            raise ConfigurationError("config['host'] must be a non-empty address, e.g. '0.0.0.0' or '127.0.0.1'")
        token_expires_in = config.get('token_expires_in', 3600)
        if token_expires_in <= 0:
            raise ConfigurationError(f"config['token_expires_in'] must be a positive number of seconds; got {token_expires_in}")
        self.framework = framework
        self.host = host
        self.port = check_port(config.get('port', 8000), "config['port']")
        self.environment = check_environment(config.get('environment', 'development'), "config['environment']")
        self.server_url = check_server_url(
            config.get('server_url', os.environ.get('BROLOSTACK_URL') or DEFAULT_SERVER_URL), "config['server_url']")
        self.token_expires_in = token_expires_in

    def generate(self, framework=None):
        """The app for ``framework``, else for the config's."""
        framework = framework or self.framework
        if framework is None:
            raise ConfigurationError(f"generate(): no framework: give one ({', '.join(FRAMEWORKS)}) "
                                     "or set config['framework']")
        if framework not in FRAMEWORKS:
            raise ConfigurationError(f"generate(framework): one of {', '.join(FRAMEWORKS)}; got {framework!r}")
        common = _template('common.py.tmpl').substitute(
            host=repr(self.host), port=repr(self.port), environment=repr(self.environment),
            server_url=repr(self.server_url), token_expires_in=repr(self.token_expires_in),
        )
        header = _template('header.py.tmpl').substitute(title=FRAMEWORKS[framework])
        return _template(f'{framework}.py.tmpl').substitute(header=header.rstrip('\n'), common=common.rstrip('\n'))

    def generateFastAPIIntegration(self):  # noqa: N802 - the product's documented names
        """A FastAPI app served by uvicorn."""
        return self.generate('fastapi')

    def generateFlaskIntegration(self):  # noqa: N802
        """A Flask app served by Werkzeug's threaded server."""
        return self.generate('flask')

    def generateDjangoIntegration(self):  # noqa: N802
        """A single-module Django app served by a threaded WSGI server."""
        return self.generate('django')

    def generateTornadoIntegration(self):  # noqa: N802
        """A Tornado app on its IOLoop."""
        return self.generate('tornado')

    generate_fastapi_integration = generateFastAPIIntegration
    generate_flask_integration = generateFlaskIntegration
    generate_django_integration = generateDjangoIntegration
    generate_tornado_integration = generateTornadoIntegration
