// Event handlers by name, for the client, its rooms and the ARGS handler:
// each registration returns its disposer, and a handler that throws does
// not keep the others from running (its error is rethrown on its own).
//
// Each event's handlers are an array that is replaced, never changed, when
// a handler is added or removed: a call runs the handlers there were when
// it began (one added or removed by a handler takes effect from the next
// call) without copying them for every event.
export class Handlers {
  constructor() {
    this.byEvent = new Map();  // event -> frozen-by-convention array of distinct handlers
  }

  /** Adds `handler` for `event` (once: adding it again changes nothing); returns its disposer. */
  add(event, handler) {
    const list = this.byEvent.get(event);
    if (!list) this.byEvent.set(event, [handler]);
    else if (!list.includes(handler)) this.byEvent.set(event, [...list, handler]);
    return () => this.remove(event, handler);
  }

  /** Like add, for the next call only. */
  once(event, handler) {
    const dispose = this.add(event, (...args) => { dispose(); handler(...args); });
    return dispose;
  }

  /** Removes `handler`; true when `event` has no handler left. */
  remove(event, handler) {
    const list = this.byEvent.get(event);
    if (!list) return true;
    const rest = list.filter((h) => h !== handler);
    if (rest.length > 0) {
      if (rest.length !== list.length) this.byEvent.set(event, rest);
      return false;
    }
    this.byEvent.delete(event);
    return true;
  }

  /** Handlers of `event`, or of every event when none is named. */
  count(event) {
    if (event !== undefined) return this.byEvent.get(event)?.length ?? 0;
    let n = 0;
    for (const list of this.byEvent.values()) n += list.length;
    return n;
  }

  /** Calls each handler of `event` with the arguments. */
  call(event, ...args) {
    const list = this.byEvent.get(event);
    if (!list) return;
    for (let i = 0; i < list.length; i += 1) {
      try { list[i](...args); } catch (err) { queueMicrotask(() => { throw err; }); }
    }
  }

  /** The handlers of `event` (a copy), for callers that gather results. */
  list(event) { return [...(this.byEvent.get(event) ?? [])]; }

  clear() { this.byEvent.clear(); }
}
