// Event handlers by name, for the client, its rooms and the ARGS handler:
// each registration returns its disposer, and a handler that throws does
// not keep the others from running (its error is rethrown on its own).
export class Handlers {
  constructor() {
    this.byEvent = new Map();  // event -> Set of handlers
  }

  /** Adds `handler` for `event`; returns its disposer. */
  add(event, handler) {
    if (!this.byEvent.has(event)) this.byEvent.set(event, new Set());
    this.byEvent.get(event).add(handler);
    return () => this.remove(event, handler);
  }

  /** Like add, for the next call only. */
  once(event, handler) {
    const dispose = this.add(event, (...args) => { dispose(); handler(...args); });
    return dispose;
  }

  /** Removes `handler`; true when `event` has no handler left. */
  remove(event, handler) {
    const set = this.byEvent.get(event);
    if (!set) return true;
    set.delete(handler);
    if (set.size > 0) return false;
    this.byEvent.delete(event);
    return true;
  }

  /** Handlers of `event`, or of every event when none is named. */
  count(event) {
    if (event !== undefined) return this.byEvent.get(event)?.size ?? 0;
    let n = 0;
    for (const set of this.byEvent.values()) n += set.size;
    return n;
  }

  /** Calls each handler of `event` with the arguments. */
  call(event, ...args) {
    for (const handler of [...(this.byEvent.get(event) ?? [])]) {
      try { handler(...args); } catch (err) { queueMicrotask(() => { throw err; }); }
    }
  }

  /** The handlers of `event` (a copy), for callers that gather results. */
  list(event) { return [...(this.byEvent.get(event) ?? [])]; }

  clear() { this.byEvent.clear(); }
}
