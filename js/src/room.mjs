// Room: one joined room as an object, the way centrifuge-js hands out
// subscriptions and socket.io namespaces: its own events, publish, presence,
// history and leave, without filtering the client's events by hand.
//
import { Handlers } from './handlers.mjs';

// Events:
//   message   every message of the room: (frame)  (frame.event, frame.data, frame.from, frame.offset)
//   join      a member arrived: (member, presenceFrame)
//   leave     a member left: (member, presenceFrame)
//   error     the join failed, recovery failed, or a publish through this object was refused: ({code, message, room})
//   <event>   the room's own events by name, as on the client: (data, frame)

/** Client events a room listens to, with the room each one concerns. */
const ROUTES = {
  message: { from: 'message', room: (frame) => frame?.room },
  join: { from: 'user-joined', room: (_member, presence) => presence?.room },
  leave: { from: 'user-left', room: (_member, presence) => presence?.room },
};

export class Room {
  /** Use `client.room(name)`; it joins, and hands out one object per joined room. */
  constructor(client, name, { title = '', info = {} } = {}) {
    this.client = client;
    this.name = name;
    this.handlers = new Handlers();
    this.detach = new Map();     // event -> disposer of the client listener feeding it
    this.left = false;
    this.watchRecovery = client.on('recovery-failed', (data) => {
      if (data?.room === name) this.fail({ code: 'recovery_failed', message: `messages of ${name} were lost: reload its state` });
    });
    /** Settles with the join reply ({epoch, offset, members, memberCount, recovered, missed}). */
    this.joined = client.joinRoom(name, title, info);
    this.joined.catch((err) => this.fail(err));
  }

  on(event, handler) {
    if (this.left) throw new Error(`room ${this.name} was left: call client.room('${this.name}') again`);
    this.handlers.add(event, handler);
    if (event !== 'error' && !this.detach.has(event)) this.detach.set(event, this.listen(event));
    return () => this.off(event, handler);
  }

  once(event, handler) {
    const dispose = this.on(event, (...args) => { dispose(); handler(...args); });
    return dispose;
  }

  off(event, handler) {
    if (!this.handlers.remove(event, handler)) return;
    // The room's last handler of this event: stop listening to the client for it.
    this.detach.get(event)?.();
    this.detach.delete(event);
  }

  /** Publishes to the room; settles with {room, offset, epoch, duplicate}. */
  publish(event, data, options) {
    const sent = this.client.sendToRoom(this.name, event, data, options);
    sent.catch((err) => this.fail(err));
    return sent;
  }

  /** Who is in the room now: {room, members, memberCount}. */
  presence() { return this.client.members(this.name); }

  /** The room's newest messages, oldest first: {room, epoch, offset, messages, complete}. */
  history(options) { return this.client.history(this.name, options); }

  /** Leaves the room and drops every handler of this object. */
  leave() {
    this.dispose();
    return this.client.leaveRoom(this.name);
  }

  dispose() {
    if (this.left) return;
    this.left = true;
    this.client.forgetRoom(this);
    this.watchRecovery();
    for (const detach of this.detach.values()) detach();
    this.detach.clear();
    this.handlers.clear();
  }

  // The client listener that feeds one of this room's events.
  listen(event) {
    const route = ROUTES[event] ?? { from: event, room: (_data, frame) => frame?.room };
    return this.client.on(route.from, (a, b) => {
      if (route.room(a, b) === this.name) this.handlers.call(event, a, b);
    });
  }

  fail(err) {
    const error = { code: err?.code ?? 'internal', message: err?.message ?? String(err), room: this.name };
    this.handlers.call('error', error);
  }
}
