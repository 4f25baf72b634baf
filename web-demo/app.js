// The chat demo, built on the brolostack client (js/): rooms, presence,
// history, reconnection that recovers missed messages, and messages typed
// while the server is away, which wait in the client's queue and go out
// once, in order, when it is back.
import { BrolostackWSClientside } from 'brolostack/client';

const $ = (id) => document.getElementById(id);
const client = new BrolostackWSClientside({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  reconnectionAttempts: 100,
  reconnectionDelayMax: 10000,
  heartbeatInterval: 5000,
});

// room -> { members: Map(sid -> member), lines: [{offset?, node}] }
const rooms = new Map();
let current = null;

function el(tag, cls, value) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (value !== undefined) node.textContent = value;
  return node;
}

function roomState(id) {
  if (!rooms.has(id)) rooms.set(id, { members: new Map(), lines: [] });
  return rooms.get(id);
}

function render() {
  const connected = client.isConnected();
  const { queued = 0 } = client.getStats();
  const state = client.getStats().state ?? (connected ? 'connected' : 'disconnected');
  $('status').textContent = queued && !connected ? `${state} (${queued} waiting)` : state;
  $('status').dataset.state = state;
  $('text').disabled = !current;
  $('send-form').querySelector('button').disabled = !current;

  $('rooms').replaceChildren(...[...rooms.keys()].map((id) => {
    const li = el('li', id === current ? 'active' : '');
    const button = el('button', '', `# ${id}`);
    button.onclick = () => { current = id; render(); };
    li.append(button);
    return li;
  }));
  const room = current && rooms.get(current);
  $('members').replaceChildren(...(room ? [...room.members.values()] : [])
    .map((m) => el('li', 'member', m.info?.name ?? m.sid)));
  $('messages').replaceChildren(...(room ? room.lines.map((l) => l.node) : []));
  $('messages').lastElementChild?.scrollIntoView({ block: 'end' });
}

/** Adds a room message in offset order, once. */
function addMessage(frame) {
  const room = roomState(frame.room);
  if (room.lines.some((l) => l.offset === frame.offset)) return;
  const li = el('li');
  li.append(el('span', 'who', frame.data?.author ?? frame.from?.sid ?? 'server'),
    el('span', 'body', frame.data?.content ?? JSON.stringify(frame.data)),
    el('span', 'when', new Date(frame.ts).toLocaleTimeString()));
  let at = room.lines.length;
  while (at > 0 && (room.lines[at - 1].offset ?? 0) > frame.offset) at -= 1;
  room.lines.splice(at, 0, { offset: frame.offset, node: li });
  if (frame.room === current) render();
}

function addNotice(roomId, text, cls = 'notice') {
  const room = roomState(roomId);
  const li = el('li');
  li.append(el('span', cls, text));
  room.lines.push({ node: li });
  if (roomId === current) render();
  return li;
}

function applyMembers(reply) {
  const room = roomState(reply.room);
  room.members = new Map(reply.members.map((m) => [m.sid, m]));
}

async function loadHistory(roomId) {
  const page = await client.history(roomId, { limit: 100 });
  page.messages.forEach(addMessage);
}

client.on('state', render);
client.on('message-queued', render);
client.on('queue-processed', render);
client.on('message', addMessage);
client.on('latency-updated', ({ latency }) => { $('latency').textContent = `${Math.round(latency)} ms`; });
client.on('user-joined', (member, frame) => {
  roomState(frame.room).members.set(member.sid, member);
  addNotice(frame.room, `${member.info?.name ?? member.sid} joined`);
});
client.on('user-left', (member, frame) => {
  roomState(frame.room).members.delete(member.sid);
  addNotice(frame.room, `${member.info?.name ?? member.sid} left`);
});
// Back after a drop: the client has rejoined and recovered what it could;
// refresh who is here, and reload a room whose gap could not be closed.
client.on('reconnected', () => {
  for (const id of rooms.keys()) client.joinRoom(id, '', { name: $('name').value.trim() }).then(applyMembers).then(render).catch(() => {});
});
client.on('recovery-failed', ({ room }) => {
  addNotice(room, 'Some messages could not be recovered; reloading the history.');
  loadHistory(room).catch(() => {});
});

$('join-form').onsubmit = async (e) => {
  e.preventDefault();
  const room = $('room').value.trim();
  try {
    const reply = await client.joinRoom(room, '', { name: $('name').value.trim() });
    current = room;
    applyMembers(reply);
    render();
    await loadHistory(room);
  } catch (err) {
    alert(`Could not join: ${err.message}`);
  }
};

$('send-form').onsubmit = (e) => {
  e.preventDefault();
  const content = $('text').value.trim();
  if (!content || !current) return;
  $('text').value = '';
  // Shown as pending until the server has it; the delivered copy comes back
  // as a room message (echo) and takes its place in offset order.
  const pending = addNotice(current, `${content} (sending…)`, 'pending');
  client.sendToRoom(current, 'message', { content, author: $('name').value.trim() }, { echo: true })
    .then(() => {
      for (const room of rooms.values()) room.lines = room.lines.filter((l) => l.node !== pending);
      render();
    })
    .catch((err) => { pending.textContent = `${content} (not sent: ${err.message})`; });
};

render();
