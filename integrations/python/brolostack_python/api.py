"""A client of brolostack-server's HTTP API (docs/api.md), over urllib.

Every method is one blocking request and returns the server's JSON answer
as Python values. An answer outside 2xx raises :class:`BrolostackError`
with the server's ``error.code`` and ``error.message`` and the HTTP
``status``; a server that cannot be reached (refused, timed out, not HTTP)
raises ``BrolostackError('unavailable', ...)``.
"""
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request

from .errors import ERROR_STATUS, BrolostackError

API_PREFIX = '/api/v1'
# The first code of each status, for error answers that carry no code.
_CODE_OF_STATUS = {}
for _code, _status in ERROR_STATUS.items():
    _CODE_OF_STATUS.setdefault(_status, _code)


def _segment(value, what):
    """An id as one URL path segment: '/', '?', '$' and the rest percent-encoded."""
    if not isinstance(value, str) or not value:
        raise TypeError(f'{what} must be a non-empty string; got {value!r}')
    return urllib.parse.quote(value, safe='')


def _require_string(value, what):
    if not isinstance(value, str) or not value:
        raise TypeError(f'{what} must be a non-empty string; got {value!r}')
    return value


class BrolostackClient:
    """The HTTP API of the brolostack-server at ``base_url``.

    ``api_key``: one of the server's ``API_KEYS`` secrets, sent as
    ``Authorization: Bearer``; needed where the server requires keys
    (staging and production), ignored elsewhere. ``timeout``: seconds per
    request.
    """

    def __init__(self, base_url, api_key=None, timeout=10):
        if not isinstance(base_url, str) or not base_url.startswith(('http://', 'https://')):
            raise ValueError(f'BrolostackClient(base_url): an http:// or https:// URL of brolostack-server; got {base_url!r}')
        if api_key is not None and (not isinstance(api_key, str) or not api_key):
            raise TypeError('BrolostackClient(api_key): a non-empty string (an API_KEYS secret), or None')
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f'BrolostackClient(timeout): a positive number of seconds; got {timeout!r}')
        self.base_url = base_url.rstrip('/')
        self.api_key = api_key
        self.timeout = timeout
        # No proxies from the environment: the server is the app's own
        # infrastructure, and an HTTP_PROXY meant for the internet would
        # send loopback calls somewhere else.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def publish(self, room, event, data=None):
        """Publishes ``event`` to the room's members: ``{"offset", "epoch"}``."""
        return self._call('POST', '/publish', {
            'room': _require_string(room, 'publish(room)'), 'event': _require_string(event, 'publish(event)'), 'data': data,
        })

    def broadcast(self, rooms, event, data=None):
        """Publishes to each room (all checked first): ``{"results": [{"room", "offset", "epoch"}]}``."""
        if isinstance(rooms, str) or not isinstance(rooms, (list, tuple)):
            raise TypeError(f'broadcast(rooms): a list of room ids; got {rooms!r}')
        for room in rooms:
            _require_string(room, 'broadcast(rooms): each room')
        return self._call('POST', '/broadcast', {
            'rooms': list(rooms), 'event': _require_string(event, 'broadcast(event)'), 'data': data,
        })

    def members(self, room):
        """``{"room", "members": [{"sid", "user", "info"}], "memberCount"}``; not_found for a room not in memory."""
        return self._call('GET', f'/rooms/{_segment(room, "members(room)")}/members')

    def history(self, room, since_offset=None, epoch=None, limit=None):
        """``{"room", "epoch", "offset", "messages", "complete"}``; ``since_offset`` needs the ``epoch`` it counts in."""
        if since_offset is not None and epoch is None:
            raise ValueError('history(since_offset=...): give the epoch that offset belongs to as well')
        query = {}
        for name, value in (('sinceOffset', since_offset), ('limit', limit)):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise TypeError(f'history({name}): a whole number >= 0; got {value!r}')
                query[name] = str(value)
        if epoch is not None:
            query['epoch'] = str(epoch)
        path = f'/rooms/{_segment(room, "history(room)")}/history'
        return self._call('GET', f'{path}?{urllib.parse.urlencode(query)}' if query else path)

    def sessions(self):
        """``{"count", "sessions": [ids]}``"""
        return self._call('GET', '/sessions')

    def session(self, session_id):
        """The session's snapshot; not_found for an unknown session."""
        return self._call('GET', f'/sessions/{_segment(session_id, "session(id)")}')

    def start_task(self, session_id, definition):
        """Starts a task in the session: ``{"taskId", "state": "queued"}``."""
        if not isinstance(definition, dict):
            raise TypeError(f'start_task(session_id, definition): definition must be a dict (the task); got {definition!r}')
        return self._call('POST', f'/sessions/{_segment(session_id, "start_task(session_id)")}/tasks', definition)

    def cancel_task(self, session_id, task_id):
        """Cancels a task started over HTTP: ``{"taskId", "state": "canceled"}``."""
        sid = _segment(session_id, 'cancel_task(session_id)')
        return self._call('DELETE', f'/sessions/{sid}/tasks/{_segment(task_id, "cancel_task(task_id)")}')

    def disconnect(self, user=None, sid=None):
        """Closes the connections of a user, or one connection: ``{"disconnected": n}``."""
        if (user is None) == (sid is None):
            raise ValueError('disconnect(user=..., sid=...): give exactly one of them')
        target = {'user': _require_string(user, 'disconnect(user)')} if user is not None \
            else {'sid': _require_string(sid, 'disconnect(sid)')}
        return self._call('POST', '/disconnect', target)

    def stats(self):
        """The server's counters (docs/api.md, "Stats")."""
        return self._call('GET', '/stats')

    def _call(self, method, path, value=None):
        url = f'{self.base_url}{API_PREFIX}{path}'
        what = f'{method} {API_PREFIX}{path}'
        headers = {'Accept': 'application/json'}
        if self.api_key is not None:
            headers['Authorization'] = f'Bearer {self.api_key}'
        body = None
        if value is not None:
            body = json.dumps(value, ensure_ascii=False, allow_nan=False).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            try:
                raw = err.read()
            except (OSError, http.client.HTTPException):
                raw = b''
            raise self._error(what, err.code, raw) from None
        except (OSError, http.client.HTTPException) as err:
            # URLError (refused, no such host), timeouts and resets are
            # OSErrors; an HTTPException means the peer does not speak HTTP.
            reason = getattr(err, 'reason', None) or err
            if isinstance(reason, socket.timeout):
                reason = f'no answer within {self.timeout} s'
            raise BrolostackError('unavailable', f'brolostack-server at {self.base_url} did not answer {what}: {reason}') from None
        return self._parse(what, status, raw)

    def _parse(self, what, status, raw):
        if not raw:
            return None
        try:
            return json.loads(raw.decode('utf-8'))
        except ValueError:
            raise BrolostackError('unavailable', f'{what} answered {status} with a body that is not JSON: '
                                  f'is {self.base_url} a brolostack-server?', status=status) from None

    def _error(self, what, status, raw):
        try:
            error = json.loads(raw.decode('utf-8')).get('error')
        except (ValueError, AttributeError):
            error = None
        code = error.get('code') if isinstance(error, dict) else None
        message = error.get('message') if isinstance(error, dict) else None
        if not isinstance(code, str) or not code:
            code = _CODE_OF_STATUS.get(status, 'internal')
        if not isinstance(message, str):
            message = f'HTTP {status} for {what}'
        return BrolostackError(code, message, status=status)
