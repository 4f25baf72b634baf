// Event handlers by name. Unlike node:events, a handler that throws does
// not stop the others or reach the caller (events come from the network;
// the caller is a socket callback): the error is logged. And 'error' with
// no handler is logged, not thrown.
export class Listeners {
  constructor(logger = console) {
    this.logger = logger;
    this.handlers = new Map();
  }

  on(event, handler) {
    if (typeof handler !== 'function') throw new TypeError(`on('${event}', handler): handler must be a function`);
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
    return () => this.off(event, handler);
  }

  off(event, handler) {
    const set = this.handlers.get(event);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) this.handlers.delete(event);
  }

  count(event) { return this.handlers.get(event)?.size ?? 0; }

  emit(event, ...args) {
    const set = this.handlers.get(event);
    if (!set) {
      if (event === 'error') this.logger.error('[brolostack]', args[0]?.message ?? args[0]);
      return false;
    }
    for (const handler of [...set]) {
      try {
        const result = handler(...args);
        if (typeof result?.catch === 'function') result.catch((err) => this.logger.error(`[brolostack] a '${event}' handler failed:`, err));
      } catch (err) {
        this.logger.error(`[brolostack] a '${event}' handler threw:`, err);
      }
    }
    return true;
  }
}
