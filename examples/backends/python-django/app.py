"""Django backend for Brolostack WebSocket, beside a brolostack-server
whose BACKEND_URL points at this app. Run: python3 app.py

Settings (environment; the defaults are in Settings.from_env below):
    BROLOSTACK_ENV   development, test, staging or production; only
                     development shows handlers' error messages to clients
    HOST, PORT       where this app listens
    BROLOSTACK_URL   where brolostack-server's HTTP API is
    WEBHOOK_SECRET   the server's: every webhook call is signed with it (required)
    JWT_SECRET       the server's: /brolostack/token signs with it
    API_KEYS         the server's list: the first key calls its HTTP API

Routes:
    POST /brolostack/events  the server's webhook: clients' send(event, data),
                             answered by the handlers registered on `handlers`
    POST /brolostack/token   {user, name?} -> {token, expiresIn}
    POST /announce           {room, text} -> publishes `announcement` -> {offset, epoch}
    POST /reports            {text} -> a task in session `reports` -> 202 {taskId, state}
    GET  /health             {"ok": true}

The server answers the client `unavailable` when a handler takes longer than
its WEBHOOK_TIMEOUT_MS (5000 ms by default): hand long work to a task.
/announce and /reports are samples without authentication: guard them as
the app's other routes.
"""

import os
import secrets
import signal
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server

import django
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from brolostack_python import (
    MAX_WEBHOOK_BYTES, SIGNATURE_HEADER, WEBHOOK_PATH, BrolostackClient, BrolostackError, Settings,
    WebhookHandlers, json_route, mint_token, string_field,
)

settings = Settings.from_env(
    host='0.0.0.0', port=8000, environment='development', server_url='http://127.0.0.1:3001',
)
# The server's HTTP API, with the app's key (the first of API_KEYS).
brolostack = BrolostackClient(settings.server_url, settings.api_key)
# The answers to clients' send(event, data): one handler per event. Tests
# and larger apps import this module and register more on `handlers`.
handlers = WebhookHandlers(settings.webhook_secret, detailed_errors=settings.detailed_errors)
TOKEN_LIFETIME = 3600  # seconds


@handlers.on('greet')
def greet(data, context):
    """The reply to client.send('greet', {name}); context.user is the
    connection's user (the token's sub), None when anonymous."""
    name = data.get('name') if isinstance(data, dict) else None
    return {'greeting': f"Hello, {name or 'stranger'}!", 'user': context.user}


def issue_token(body):
    """POST /brolostack/token {user, name?}: a JWT the client connects with
    (auth: {token}); the server takes its sub as the connection's user.

    The sample takes the user id from the request body, so anyone may claim
    to be anyone: that is why it only works in development and test. A real
    app takes the user from its own session or authentication instead.
    """
    if settings.environment not in ('development', 'test'):
        raise BrolostackError('forbidden', 'the sample token route trusts the caller for the user id: '
                              'issue tokens from your own authentication in staging and production')
    if settings.jwt_secret is None:
        raise BrolostackError('unavailable', 'JWT_SECRET is not set: this app cannot issue tokens')
    user = string_field(body, 'user')
    claims = {'name': body['name']} if isinstance(body.get('name'), str) else {}
    token = mint_token(user, settings.jwt_secret, expires_in=TOKEN_LIFETIME, **claims)
    return 200, {'token': token, 'expiresIn': TOKEN_LIFETIME}


def announce(body):
    """POST /announce {room, text}: publishes `announcement` to the room's
    members; answers the server's {offset, epoch}."""
    room, text = string_field(body, 'room'), string_field(body, 'text')
    return 200, brolostack.publish(room, 'announcement', {'text': text})


def start_report(body):
    """POST /reports {text}: starts a task in session `reports` for an agent
    of type `summarizer` (any client's); answers 202 {taskId, state}."""
    return 202, brolostack.start_task('reports', {
        'type': 'report',
        'requirements': {'agentTypes': ['summarizer']},
        'payload': {'text': string_field(body, 'text')},
    })


# Django in one module: its settings here, its URLs below.
django_settings.configure(
    DEBUG=settings.detailed_errors,
    ROOT_URLCONF=__name__,
    # Nothing here builds URLs from the Host header; put the app's own host
    # names here when it grows views that do.
    ALLOWED_HOSTS=['*'],
    # No middleware, so no CSRF check: the webhook is authenticated by its
    # signature, and the sample routes are called by programs, not forms.
    MIDDLEWARE=[],
    # Django wants a key even where nothing is signed (no sessions, no CSRF
    # here): its error reports read it. A per-process one unless given.
    SECRET_KEY=os.environ.get('DJANGO_SECRET_KEY') or secrets.token_hex(32),
    DATA_UPLOAD_MAX_MEMORY_SIZE=MAX_WEBHOOK_BYTES,
)
django.setup()


def json_response(answer):
    return HttpResponse(answer.text, status=answer.status, content_type='application/json')


def json_view(route):
    @require_POST
    def view(request):
        return json_response(json_route(route, request.body, detailed_errors=settings.detailed_errors))
    return view


@require_POST
def brolostack_events(request):
    # request.body is the raw body: the signature covers its exact bytes.
    return json_response(handlers.handle(request.body, request.headers.get(SIGNATURE_HEADER)))


@require_GET
def health(request):
    return JsonResponse({'ok': True})


urlpatterns = [
    path(WEBHOOK_PATH.lstrip('/'), brolostack_events),
    path('brolostack/token', json_view(issue_token)),
    path('announce', json_view(announce)),
    path('reports', json_view(start_report)),
    path('health', health),
]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per request, so a
    slow handler holds up no other call."""
    daemon_threads = True


def main():
    server = make_server(settings.host, settings.port, get_wsgi_application(), server_class=ThreadingWSGIServer)
    # SIGTERM (service managers, containers) stops it like Ctrl-C;
    # shutdown() waits for serve_forever, so it runs in another thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f'listening on http://localhost:{settings.port}', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == '__main__':
    main()
