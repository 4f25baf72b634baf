// New WebSocket connections per minute from one IP address
// (CONNECTION_RATE_PER_IP). The server counts them itself, but behind this
// package's proxy every connection reaches it from 127.0.0.1 (it does not
// read X-Forwarded-For), so the proxy counts them instead, with the
// server's rule: a sliding window of one minute per address.
const WINDOW_MS = 60000;

export class ConnectionRate {
  constructor(perMinute, now = () => Date.now()) {
    this.perMinute = perMinute;
    this.now = now;
    this.recent = new Map();  // ip -> times of admitted upgrades, oldest first
    this.sweeper = null;
    if (perMinute > 0) {
      // Addresses that went quiet are forgotten, so the map stays as small as the traffic.
      this.sweeper = setInterval(() => this.sweep(), WINDOW_MS);
      this.sweeper.unref();
    }
  }

  /** 0 when a connection from `ip` is admitted now; otherwise the seconds to wait. */
  admit(ip) {
    if (!(this.perMinute > 0)) return 0;
    const now = this.now();
    const times = this.recent.get(ip) ?? [];
    while (times.length && times[0] + WINDOW_MS <= now) times.shift();
    if (times.length >= this.perMinute) return Math.ceil((times[0] + WINDOW_MS - now) / 1000);
    times.push(now);
    this.recent.set(ip, times);
    return 0;
  }

  sweep() {
    const now = this.now();
    for (const [ip, times] of this.recent) if (!times.length || times[times.length - 1] + WINDOW_MS <= now) this.recent.delete(ip);
  }

  stop() {
    clearInterval(this.sweeper);
  }
}
