// useBrolostackWebSocket: React as a thin binding over the framework-free
// client. The hook does not own the socket: clients are shared by
// configuration and reference-counted, so StrictMode's mount, unmount and
// mount again opens one socket; rendering on a server never creates one.
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { BrolostackWSClientside } from '../../js/src/index.mjs';

const registry = new Map();  // key -> { client, refs, closeTimer }
const SERVER_SNAPSHOT = Object.freeze({ connected: false, stats: Object.freeze({ connected: false }) });
const noop = () => () => {};

function keyOf(config) {
  const { url, environment, auth, reconnection, reconnectionAttempts, reconnectionDelay, reconnectionDelayMax,
    messageQueue, heartbeatInterval } = config;
  return JSON.stringify({ url, environment, auth, reconnection, reconnectionAttempts, reconnectionDelay,
    reconnectionDelayMax, messageQueue, heartbeatInterval });
}

function obtain(key, config) {
  let entry = registry.get(key);
  if (!entry) {
    entry = { client: new BrolostackWSClientside({ ...config, autoConnect: false }), refs: 0, closeTimer: null, connected: false };
    registry.set(key, entry);
  }
  return entry;
}

function retain(key, entry, autoConnect) {
  clearTimeout(entry.closeTimer);
  entry.refs += 1;
  if (autoConnect && !entry.connected) {
    entry.connected = true;
    entry.client.connect().catch(() => {});
  }
}

function release(key, entry) {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  // Not at once: StrictMode remounts right away, and should find it open.
  entry.closeTimer = setTimeout(() => {
    if (entry.refs > 0) return;
    registry.delete(key);
    entry.client.destroy();
  }, 0);
}

export function useBrolostackWebSocket(config = {}) {
  const onServer = typeof window === 'undefined';
  const key = keyOf(config);
  const entry = useMemo(() => (onServer ? null : obtain(key, config)), [key, onServer]);  // eslint-disable-line react-hooks/exhaustive-deps
  const client = entry?.client ?? null;

  useEffect(() => {
    if (!entry) return undefined;
    retain(key, entry, config.autoConnect !== false);
    return () => release(key, entry);
  }, [key, entry]);  // eslint-disable-line react-hooks/exhaustive-deps

  const snapshot = useSyncExternalStore(
    client ? (listener) => client.subscribe(listener) : noop,
    client ? () => client.getSnapshot() : () => SERVER_SNAPSHOT,
    () => SERVER_SNAPSHOT,
  );

  // Handlers registered through the hook are dropped when it unmounts.
  const disposers = useRef(new Set());
  useEffect(() => () => { for (const d of disposers.current) d(); disposers.current.clear(); }, [client]);

  const on = useCallback((event, handler) => {
    if (!client) return () => {};
    const dispose = client.on(event, handler);
    disposers.current.add(dispose);
    return () => { dispose(); disposers.current.delete(dispose); };
  }, [client]);
  const off = useCallback((event, handler) => client?.off(event, handler), [client]);
  const unavailable = () => Promise.reject(new Error('not available while rendering on the server'));

  return {
    ws: client,
    connected: snapshot.connected,
    stats: snapshot.stats,
    joinRoom: useCallback((...a) => (client ? client.joinRoom(...a) : unavailable()), [client]),
    leaveRoom: useCallback((...a) => (client ? client.leaveRoom(...a) : unavailable()), [client]),
    send: useCallback((...a) => (client ? client.send(...a) : unavailable()), [client]),
    sendToRoom: useCallback((...a) => (client ? client.sendToRoom(...a) : unavailable()), [client]),
    broadcast: useCallback((...a) => (client ? client.broadcast(...a) : unavailable()), [client]),
    on,
    off,
  };
}
