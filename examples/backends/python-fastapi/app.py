"""FastAPI backend for Brolostack WebSocket, beside a brolostack-server
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

import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from brolostack_python import (
    SIGNATURE_HEADER, WEBHOOK_PATH, BrolostackClient, BrolostackError, Settings, WebhookHandlers,
    json_route, mint_token, string_field,
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


# The interactive API docs only in development.
app = FastAPI(title='Brolostack backend', openapi_url='/openapi.json' if settings.detailed_errors else None)


def json_response(answer):
    return Response(answer.text, status_code=answer.status, media_type='application/json')


async def run_route(route, request):
    # The HTTP API calls block: a worker thread keeps the event loop free.
    raw = await request.body()
    return json_response(await run_in_threadpool(json_route, route, raw, detailed_errors=settings.detailed_errors))


@app.post(WEBHOOK_PATH)
async def brolostack_events(request: Request):
    # The raw body, not a parsed model: the signature covers its exact bytes.
    raw = await request.body()
    return json_response(await handlers.handle_async(raw, request.headers.get(SIGNATURE_HEADER)))


@app.post('/brolostack/token')
async def token_route(request: Request):
    return await run_route(issue_token, request)


@app.post('/announce')
async def announce_route(request: Request):
    return await run_route(announce, request)


@app.post('/reports')
async def reports_route(request: Request):
    return await run_route(start_report, request)


@app.get('/health')
async def health():
    return {'ok': True}


class Server(uvicorn.Server):
    """uvicorn's server, saying when it accepts connections."""

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if not self.should_exit:
            print(f'listening on http://localhost:{settings.port}', flush=True)


def main():
    # uvicorn stops gracefully on SIGTERM and Ctrl-C.
    Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                          log_level='info' if settings.detailed_errors else 'warning')).run()


if __name__ == '__main__':
    main()
