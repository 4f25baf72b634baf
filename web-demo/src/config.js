// What the page connects to and how. `?ws=ws://host:port/ws` picks the
// server; without it the client's default applies: this page's own
// origin at /ws. `?agents=off` starts with this tab hosting no agents.
const params = new URLSearchParams(globalThis.location?.search ?? '');

/** The WebSocket URL from the query, or undefined for the package's default. */
export const wsOverride = params.get('ws') || undefined;

export const clientConfig = {
  ...(wsOverride ? { url: wsOverride } : {}),
  // A demo tab stays open for hours: it never gives up reconnecting, and
  // a ping every two seconds feeds the latency chart.
  reconnectionAttempts: 1_000_000,
  reconnectionDelay: 500,
  reconnectionDelayMax: 4000,
  heartbeatInterval: 2000,
  // Messages typed while offline wait in the client's queue, and survive a
  // reload (localStorage), whatever the build's profile.
  messageQueue: { enabled: true, maxSize: 500, persistOffline: true },
};

/** The server's HTTP API, on the same server as the WebSocket. */
export function apiUrl(path) {
  if (!wsOverride) return path;
  const url = new URL(wsOverride.replace(/^ws/i, 'http'));
  return `${url.origin}${path}`;
}

/** The server the page talks to, for display. */
export const serverLabel = wsOverride
  ? new URL(wsOverride.replace(/^ws/i, 'http')).host
  : globalThis.location?.host ?? 'localhost';

export const hostAgentsByDefault = params.get('agents') !== 'off';

export const CHAT_ROOMS = ['general', 'random', 'engineering'];
export const BOARD_ROOM = 'whiteboard';
export const BOARD_LIVE_ROOM = 'whiteboard.cursors';
