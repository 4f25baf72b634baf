#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/)
from the frame corpus the codec tests share and a few hand-made inputs per
decoder. Run it after changing tests/corpus/frames.json; its output is
committed so a fresh checkout fuzzes from the same start."""
import base64, hashlib, json, os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
frames = json.load(open(os.path.join(HERE, '..', 'corpus', 'frames.json')))

def b64(obj):
    raw = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(',', ':')).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()

args_messages = [
    {"id": "a1", "type": "AGENT_REGISTER", "timestamp": 1700000000000, "sessionId": "s1",
     "payload": {"id": "agent-1", "type": "worker", "capabilities": ["x"]}, "metadata": {"priority": "high", "ttl": 60000}},
    {"id": "a2", "type": "TASK_START", "timestamp": 1700000000000, "sessionId": "s1",
     "payload": {"id": "t", "requirements": {"agentTypes": ["a", "b"], "capabilities": ["x"]}, "collaborationMode": "hybrid"}},
    {"id": "a3", "type": "TASK_PROGRESS", "timestamp": 1700000000000, "sessionId": "s1", "agentId": "agent-1",
     "payload": {"taskId": "t", "progress": 50}, "metadata": {"requiresAck": True, "correlationId": "c"}},
    {"id": "a4", "type": "SYNC_REQUEST", "timestamp": 0, "sessionId": "s1", "payload": None},
]

def chunk(header, data):
    h = json.dumps(header, separators=(',', ':')).encode()
    return struct.pack('>I', len(h)) + h + data

chunks = [
    chunk({"sessionId": "s", "streamId": "st", "seq": 0}, b'\x00\x01\xff'),
    chunk({"sessionId": "s", "streamId": "st", "seq": 1, "isLast": True}, b''),
    struct.pack('>I', 1000) + b'{}',
]

jwts = [
    f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': 'u1', 'exp': 1800000000, 'aud': 'brolostack', 'rooms': ['general', 'doc-*']})}.c2ln",
    f"{b64({'alg': 'RS256'})}.{b64({'sub': 'u1', 'nbf': 1600000000, 'iat': 1600000000, 'roles': ['agent'], 'sessions': ['s-*']})}.",
    f"{b64({'alg': 'none'})}.{b64({'sub': 'x'})}.",
]

snapshots = [
    {"rooms": {"general": {"name": "General", "info": {"name": "Ada"}, "epoch": "e1", "offset": 3}},
     "messages": [{"op": "publish", "fields": '"room":"general","event":"chat","data":{"t":1},"mid":"m-1","echo":false',
                   "mid": "m-1", "queuedAt": 1700000000000, "priority": 2},
                  {"op": "send", "fields": '"event":"start-task","data":{"id":"t"},"mid":"m-2"', "mid": "m-2", "queuedAt": 1700000000001}]},
    {"rooms": {}, "messages": []},
]

def lines(*frames):
    return '\n'.join(json.dumps(f, separators=(',', ':')) for f in frames).encode()

def message(offset, event='chat'):
    return {"op": "message", "room": "general", "event": event, "data": {"n": offset},
            "from": {"sid": "c-2", "user": None}, "offset": offset, "epoch": "e1", "ts": 1700000000000}

welcome = {"op": "reply", "ref": 1, "ok": True, "data": {"sid": "c-1", "resumeToken": "t", "rooms": {
    "general": {"recovered": False, "epoch": "e1", "offset": 2, "missed": [message(1), message(2)]},
    "gone": {"recovered": False, "error": {"code": "forbidden", "message": "no", "details": {}}}}}}
sessions = [
    lines(welcome,
          {"op": "reply", "ref": 2, "ok": True, "data": {"room": "general", "name": "General", "epoch": "e1", "offset": 2,
           "members": [{"sid": "c-1", "user": None, "info": {}}], "memberCount": 1, "recovered": True, "missed": [message(2)]}},
          {"op": "reply", "ref": 3, "ok": True, "data": {"room": "general", "offset": 3, "epoch": "e1", "duplicate": False}},
          message(3), message(4, "note"),
          {"op": "presence", "room": "general", "action": "leave", "member": {"sid": "c-2", "user": "u", "info": {}}, "memberCount": 1},
          {"op": "args", "msg": args_messages[2], "room": "$session:s1", "offset": 1, "epoch": "e9"},
          {"op": "pong", "ts": 1700000000000, "serverTs": 1}),
    lines({"op": "reply", "ref": 1, "ok": False, "error": {"code": "unauthorized", "message": "no", "details": {}}}),
]

def deflated(text, level=6, final=False):
    """A message as a permessage-deflate sender writes it: raw deflate, the
    00 00 ff ff of the sync flush removed (or ended with a final block)."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = c.compress(text)
    return body + c.flush(zlib.Z_FINISH) if final else (body + c.flush(zlib.Z_SYNC_FLUSH))[:-4]

compressed = [
    deflated(frames[0]['text'].encode()),
    deflated(b'{"op":"ping","ts":1}', final=True),
    deflated(b' ' * 200000, 9),  # inflates past the target's 64 KiB limit
    deflated(b'stored block', 0),
    b'\xff\xff\xff\xff\xff',
]

seeds = {
    'client_frame_fuzz': [f['text'].encode() for f in frames if f['kind'] == 'client'],
    'server_frame_fuzz': [f['text'].encode() for f in frames if f['kind'] == 'server'],
    'args_message_fuzz': [json.dumps(m).encode() for m in args_messages],
    'binary_chunk_fuzz': chunks,
    'jwt_fuzz': [t.encode() for t in jwts],
    'queue_restore_fuzz': [json.dumps(s).encode() for s in snapshots],
    'client_session_fuzz': sessions,
    'inflate_fuzz': compressed,
}
for target, inputs in seeds.items():
    folder = os.path.join(HERE, 'corpus', target)
    os.makedirs(folder, exist_ok=True)
    for data in inputs:
        with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), 'wb') as f:
            f.write(data)
    print(f'{target}: {len(inputs)} seeds')
