// The server API's own connection to its child: a `brolostack` client like
// any other, so sessions, agents and announcements work exactly as for an
// app's clients. Agents registered from the server side
// (session.registerAgent) are JS agents on this client.
//
// The child's port changes when it is restarted, so the client's
// WebSocket constructor ignores the URL it is given and opens the child's
// current one; the client's own reconnection (endless here) does the rest:
// it rejoins its sessions and registers its agents again.
import { defaultWebSocket, NO_WEBSOCKET_HELP } from '#platform';
import { BrolostackError, BrolostackWSClientside } from '../index.mjs';

// uint32 in the client core: as good as endless.
const ATTEMPTS = 1e9;

/** A client to the child whose URL `childUrl()` names at each (re)connection. */
export async function openInternalClient({ childUrl, apiKey, environment }) {
  const WebSocketImpl = await defaultWebSocket();
  if (!WebSocketImpl) {
    throw new BrolostackError('unavailable', `sessions and agents on the server side need a WebSocket client: ${NO_WEBSOCKET_HELP}`);
  }
  class ToChild extends WebSocketImpl {
    constructor(_url, protocols) { super(childUrl(), protocols); }
  }
  return new BrolostackWSClientside({
    url: 'ws://127.0.0.1/ws',  // never opened: ToChild picks the address
    WebSocket: ToChild,
    environment,
    auth: { apiKey },
    storage: null,
    reconnectionAttempts: ATTEMPTS,
    reconnectionDelay: 100,
    reconnectionDelayMax: 2000,
    messageQueue: { enabled: true, persistOffline: false },
  });
}
