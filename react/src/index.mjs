'use client';
// React as a thin binding over the framework-free client (brolostack/react).
// Components never own a socket: clients live in a registry, one per
// server URL, reference-counted, so StrictMode's mount, unmount and mount
// again opens one socket and every component on a page shares it; while
// rendering on a server no client is ever created.
import {
  createContext, createElement, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore,
} from 'react';
import { BrolostackWSClientside, defaultEndpoint, endpointUrl } from '../../js/src/index.mjs';

const registry = new Map();  // url -> { client, refs, closeTimer, connecting }
const SERVER_SNAPSHOT = Object.freeze({ connected: false, stats: Object.freeze({ connected: false }) });
const BrolostackContext = createContext(null);
const onServer = () => typeof window === 'undefined';

// ---- the registry ------------------------------------------------------------

function urlOf(config) {
  return endpointUrl(config.url || defaultEndpoint());
}

function obtain(config) {
  const url = urlOf(config);
  let entry = registry.get(url);
  if (!entry) {
    entry = { url, client: new BrolostackWSClientside({ ...config, autoConnect: false }), refs: 0, closeTimer: null, connecting: false };
    registry.set(url, entry);
  }
  return entry;
}

function retain(entry, autoConnect) {
  clearTimeout(entry.closeTimer);
  entry.refs += 1;
  if (autoConnect && !entry.connecting) {
    entry.connecting = true;
    entry.client.connect().catch(() => {});
  }
}

function release(entry) {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  // Not at once: StrictMode remounts right away, and should find it open.
  entry.closeTimer = setTimeout(() => {
    if (entry.refs > 0) return;
    registry.delete(entry.url);
    entry.client.destroy();
  }, 0);
}

/** The registry's client for `config` while the component is mounted; null on a server. */
function useSharedClient(config, enabled = true) {
  const key = enabled && !onServer() ? urlOf(config) : null;
  const entry = useMemo(() => (key ? obtain(config) : null), [key]);  // eslint-disable-line react-hooks/exhaustive-deps
  const autoConnect = config.autoConnect !== false;
  useEffect(() => {
    if (!entry) return undefined;
    retain(entry, autoConnect);
    return () => release(entry);
  }, [entry, autoConnect]);
  return entry?.client ?? null;
}

/** The client a hook works with: its own config's, else the provider's. */
function useClientFor(config) {
  const provided = useContext(BrolostackContext);
  const own = useSharedClient(config ?? {}, config !== undefined || provided === null);
  return config !== undefined ? own : (provided ?? own);
}

// ---- components and hooks ----------------------------------------------------

/**
 * Gives the components below one client: `client` (one you made) or
 * `config` (a shared client for its URL, connected while mounted).
 */
export function BrolostackProvider({ client, config, children }) {
  const shared = useSharedClient(config ?? {}, !client);
  return createElement(BrolostackContext.Provider, { value: client ?? shared }, children);
}

/** The provider's client (null outside a provider and while rendering on a server). */
export function useBrolostackClient() {
  return useContext(BrolostackContext);
}

/**
 * The seed's hook: the shared client for `config.url` (or the provider's,
 * without config) with its connection state and stats, and its methods.
 */
export function useBrolostackWebSocket(config) {
  const client = useClientFor(config);
  const snapshot = useSyncExternalStore(
    client ? (listener) => client.subscribe(listener) : noSubscription,
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
  const method = (name) => (...args) => (client ? client[name](...args) : notOnServer());

  return {
    ws: client,
    connected: snapshot.connected,
    stats: snapshot.stats,
    joinRoom: useCallback(method('joinRoom'), [client]),  // eslint-disable-line react-hooks/exhaustive-deps
    leaveRoom: useCallback(method('leaveRoom'), [client]),  // eslint-disable-line react-hooks/exhaustive-deps
    send: useCallback(method('send'), [client]),  // eslint-disable-line react-hooks/exhaustive-deps
    sendToRoom: useCallback(method('sendToRoom'), [client]),  // eslint-disable-line react-hooks/exhaustive-deps
    broadcast: useCallback(method('broadcast'), [client]),  // eslint-disable-line react-hooks/exhaustive-deps
    on,
    off,
  };
}

/**
 * A slice of the client's state, `selector({connected, stats})`; the
 * component re-renders only when the slice changes (compared shallowly).
 */
export function useBrolostackState(selector, config) {
  const client = useClientFor(config);
  const last = useRef(null);
  const select = (snapshot) => {
    const next = selector(snapshot);
    if (last.current && shallowEqual(last.current.value, next)) return last.current.value;
    last.current = { value: next };
    return next;
  };
  return useSyncExternalStore(
    client ? (listener) => client.subscribe(listener) : noSubscription,
    () => select(client ? client.getSnapshot() : SERVER_SNAPSHOT),
    () => select(SERVER_SNAPSHOT),
  );
}

/**
 * Calls `handler` for each `event` of the client while mounted. The
 * newest handler is always the one called: no re-subscription per render.
 */
export function useEvent(event, handler, config) {
  const client = useClientFor(config);
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!client) return undefined;
    return client.on(event, (...args) => latest.current(...args));
  }, [client, event]);
}

/**
 * One room while mounted: joined on mount, left when the last component
 * using it unmounts. Returns its live member list, its newest messages
 * (`keep`, default 100, oldest first) and its methods.
 */
export function useRoom(name, { title = '', info, keep = 100, config } = {}) {
  const client = useClientFor(config);
  const [state, setState] = useState(() => emptyRoomState(name));
  const room = useMemo(() => (client ? holdRoom(client, name, title, info) : null), [client, name]);  // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!room) return undefined;
    let live = true;
    const update = (change) => live && setState((s) => (s.name === name ? change(s) : change(emptyRoomState(name))));
    room.joined.then(
      (reply) => update((s) => ({ ...s, joined: true, error: null, members: reply.members ?? [], memberCount: reply.memberCount ?? 0,
        messages: mergeMessages(s.messages, reply.missed ?? [], keep) })),
      (err) => update((s) => ({ ...s, error: err })),
    );
    const disposers = [
      room.on('message', (frame) => update((s) => ({ ...s, messages: mergeMessages(s.messages, [frame], keep) }))),
      room.on('join', (member, presence) => update((s) => ({ ...s,
        members: [...s.members.filter((m) => m.sid !== member?.sid), member], memberCount: presence?.memberCount ?? s.memberCount + 1 }))),
      room.on('leave', (member, presence) => update((s) => ({ ...s,
        members: s.members.filter((m) => m.sid !== member?.sid), memberCount: presence?.memberCount ?? Math.max(0, s.memberCount - 1) }))),
      room.on('error', (err) => update((s) => ({ ...s, error: err }))),
    ];
    return () => {
      live = false;
      for (const dispose of disposers) dispose();
      letGoOfRoom(client, name);
    };
  }, [room]);  // eslint-disable-line react-hooks/exhaustive-deps

  const publish = useCallback((event, data, options) => (room ? room.publish(event, data, options) : notOnServer()), [room]);
  const history = useCallback((options) => (room ? room.history(options) : notOnServer()), [room]);
  const presence = useCallback(() => (room ? room.presence() : notOnServer()), [room]);
  return { room, ...state, publish, history, presence };
}

// ---- rooms shared by the components of one client ----------------------------

const heldRooms = new WeakMap();  // client -> Map(name -> { room, refs, leaveTimer })

function holdRoom(client, name, title, info) {
  if (!heldRooms.has(client)) heldRooms.set(client, new Map());
  const rooms = heldRooms.get(client);
  let held = rooms.get(name);
  if (!held) {
    held = { room: client.room(name, { title, info }), refs: 0, leaveTimer: null };
    rooms.set(name, held);
  }
  clearTimeout(held.leaveTimer);
  held.refs += 1;
  return held.room;
}

function letGoOfRoom(client, name) {
  const rooms = heldRooms.get(client);
  const held = rooms?.get(name);
  if (!held) return;
  held.refs -= 1;
  if (held.refs > 0) return;
  held.leaveTimer = setTimeout(() => {
    if (held.refs > 0) return;
    rooms.delete(name);
    held.room.leave().catch(() => {});
  }, 0);
}

// ---- helpers -------------------------------------------------------------------

function emptyRoomState(name) {
  return { name, joined: false, members: [], memberCount: 0, messages: [], error: null };
}

/** Messages in offset order, each once, at most `keep` of the newest. */
function mergeMessages(current, incoming, keep) {
  if (incoming.length === 0) return current;
  const seen = new Set(current.map((m) => `${m.epoch}:${m.offset}`));
  const merged = [...current, ...incoming.filter((m) => !seen.has(`${m.epoch}:${m.offset}`))];
  return merged.length > keep ? merged.slice(merged.length - keep) : merged;
}

function shallowEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && Object.is(a[k], b[k]));
}

function noSubscription() {
  return () => {};
}

function notOnServer() {
  return Promise.reject(new Error('not available while rendering on the server'));
}
