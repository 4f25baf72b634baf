"""Runs a generated example app with webhook handlers for the bad-input
tests (tests/backends/python-frameworks.test.mjs), leaving its code as
generated: the app module is imported, handlers are added on its
``handlers``, and its ``main()`` serves.

    python3 with_test_handlers.py app.py

- ``count``: how many times it ran (so a test can tell a refused call never reached it);
- ``boom``: raises an unexpected error (internal; its message in development only);
- ``deny``: raises a deliberate BrolostackError('forbidden', ...);
- ``slow``: sleeps ``data.seconds`` (1.2 by default), past a short WEBHOOK_TIMEOUT_MS.
"""
import importlib.util
import pathlib
import sys
import threading
import time

from brolostack_python import BrolostackError


def load(path):
    path = pathlib.Path(path).resolve()
    spec = importlib.util.spec_from_file_location('brolostack_example_app', path)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: Django's ROOT_URLCONF names the module and imports it by that name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def add_test_handlers(handlers):
    lock = threading.Lock()
    calls = {'count': 0}

    @handlers.on('count')
    def count(data, context):
        with lock:
            calls['count'] += 1
            return calls['count']

    @handlers.on('boom')
    def boom(data, context):
        raise RuntimeError('the database is on fire')

    @handlers.on('deny')
    def deny(data, context):
        raise BrolostackError('forbidden', 'not your document')

    @handlers.on('slow')
    def slow(data, context):
        seconds = data.get('seconds', 1.2) if isinstance(data, dict) else 1.2
        time.sleep(seconds)
        return 'too late'


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: with_test_handlers.py <app.py>')
    app = load(sys.argv[1])
    add_test_handlers(app.handlers)
    app.main()
