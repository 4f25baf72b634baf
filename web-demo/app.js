// The chat demo: rooms, presence, history recovery and reconnection, spoken
// directly in the Brolostack wire protocol (docs/protocol.md).
const $ = (id) => document.getElementById(id);
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

const state = {
  socket: null,
  sid: null,
  nextRef: 1,
  pending: new Map(),               // ref -> {resolve, reject}
  rooms: new Map(),                 // room -> {epoch, offset, members: Map(sid -> member)}
  current: null,
  attempts: 0,
};

function setStatus(text) {
  $('status').textContent = text;
  $('status').dataset.state = text;
  const connected = text === 'connected';
  $('text').disabled = !connected || !state.current;
  $('send-form').querySelector('button').disabled = !connected || !state.current;
}

function request(frame) {
  const ref = state.nextRef++;
  state.socket.send(JSON.stringify({ ...frame, ref }));
  return new Promise((resolve, reject) => {
    state.pending.set(ref, { resolve, reject });
    setTimeout(() => {
      if (state.pending.delete(ref)) reject(new Error(`${frame.op} timed out`));
    }, 10000);
  });
}

function addLine(room, html, cls) {
  if (room !== state.current) return;
  const li = document.createElement('li');
  if (cls) li.className = cls;
  li.append(...html);
  $('messages').append(li);
  li.scrollIntoView({ block: 'end' });
}

function text(tag, cls, value) {
  const el = document.createElement(tag);
  el.className = cls;
  el.textContent = value;
  return el;
}

function showMessage(msg) {
  const room = state.rooms.get(msg.room);
  if (!room || msg.offset <= room.offset) return;   // already shown
  room.offset = msg.offset;
  const when = new Date(msg.ts).toLocaleTimeString();
  const who = msg.data?.author ?? msg.from?.sid ?? 'server';
  addLine(msg.room, [text('span', 'who', who), text('span', 'body', msg.data?.content ?? JSON.stringify(msg.data)),
    text('span', 'when', when)]);
}

function renderSidebar() {
  const rooms = $('rooms');
  rooms.replaceChildren(...[...state.rooms.keys()].map((id) => {
    const li = document.createElement('li');
    li.className = id === state.current ? 'active' : '';
    const b = text('button', '', `# ${id}`);
    b.onclick = () => { state.current = id; $('messages').replaceChildren(); renderSidebar(); history(id); };
    li.append(b);
    return li;
  }));
  const room = state.rooms.get(state.current);
  const members = room ? [...room.members.values()] : [];
  $('members').replaceChildren(...members.map((m) => text('li', 'member', m.info?.name ?? m.sid)));
}

async function history(roomId) {
  const data = await request({ op: 'history', room: roomId, limit: 100 });
  const room = state.rooms.get(roomId);
  room.offset = 0;
  data.messages.forEach(showMessage);
  room.offset = data.offset;
}

function applyJoin(data) {
  const members = new Map(data.members.map((m) => [m.sid, m]));
  const known = state.rooms.get(data.room);
  const room = { epoch: data.epoch, offset: known?.offset ?? data.offset, members };
  state.rooms.set(data.room, room);
  if (known && !data.recovered) addLine(data.room, [text('span', 'notice', 'Some messages could not be recovered.')]);
  data.missed.forEach(showMessage);
  room.offset = Math.max(room.offset, data.offset);
  renderSidebar();
}

function onFrame(frame) {
  if (frame.op === 'reply') {
    const p = state.pending.get(frame.ref);
    if (!p) return;
    state.pending.delete(frame.ref);
    frame.ok ? p.resolve(frame.data) : p.reject(new Error(`${frame.error.code}: ${frame.error.message}`));
  } else if (frame.op === 'message') {
    showMessage(frame);
  } else if (frame.op === 'presence') {
    const room = state.rooms.get(frame.room);
    if (!room) return;
    if (frame.action === 'join') room.members.set(frame.member.sid, frame.member);
    else room.members.delete(frame.member.sid);
    const name = frame.member.info?.name ?? frame.member.sid;
    addLine(frame.room, [text('span', 'notice', `${name} ${frame.action === 'join' ? 'joined' : 'left'}`)]);
    renderSidebar();
  } else if (frame.op === 'pong') {
    $('latency').textContent = `${Math.round(performance.now() - frame.ts)} ms`;
  } else if (frame.op === 'error') {
    console.warn('server error', frame.error);
  }
}

function connect() {
  setStatus(state.attempts ? 'reconnecting' : 'connecting');
  const socket = new WebSocket(wsUrl, 'brolostack.v1');
  state.socket = socket;
  socket.onmessage = (e) => onFrame(JSON.parse(e.data));
  socket.onopen = async () => {
    const resume = { rooms: {} };
    if (state.sid) resume.sid = state.sid;
    for (const [id, room] of state.rooms) resume.rooms[id] = { epoch: room.epoch, offset: room.offset };
    try {
      const welcome = await request({ op: 'hello', v: 1, client: { name: 'brolostack-demo', version: '1.0.0' }, resume });
      state.sid = welcome.sid;
      state.attempts = 0;
      for (const [id, joined] of Object.entries(welcome.rooms)) if (!joined.error) applyJoin({ room: id, ...joined });
      setStatus('connected');
    } catch (err) {
      console.error(err);
    }
  };
  socket.onclose = (e) => {
    for (const p of state.pending.values()) p.reject(new Error('disconnected'));
    state.pending.clear();
    setStatus('disconnected');
    if ([4000, 4001, 4003].includes(e.code)) return;  // needs the user, not a retry
    // Capped exponential backoff with full jitter.
    const delay = Math.random() * Math.min(10000, 500 * 2 ** state.attempts++);
    setTimeout(connect, delay);
  };
}

$('join-form').onsubmit = async (e) => {
  e.preventDefault();
  const room = $('room').value.trim();
  try {
    const data = await request({ op: 'join', room, info: { name: $('name').value.trim() } });
    state.current = room;
    $('messages').replaceChildren();
    applyJoin(data);
    await history(room);
    setStatus('connected');
  } catch (err) {
    alert(`Could not join: ${err.message}`);
  }
};

$('send-form').onsubmit = async (e) => {
  e.preventDefault();
  const content = $('text').value.trim();
  if (!content || !state.current) return;
  const mid = `m-${crypto.randomUUID()}`;
  $('text').value = '';
  const sent = await request({ op: 'publish', room: state.current, event: 'message', mid, echo: true,
    data: { content, author: $('name').value.trim() } });
  void sent;
};

setInterval(() => {
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ op: 'ping', ts: performance.now() }));
}, 5000);

connect();
