import { useCallback, useEffect, useMemo, useState } from 'react';
import { useRoom, useEvent } from 'brolostack/react';
import { useRoomMembers } from './useRoomMembers.js';
import { mergeFrames, newId } from '../lib/frames.js';
import { loadPending, savePending } from '../lib/pending.js';

const HISTORY = 100;

/**
 * One chat room: joined while mounted (useRoom), its history loaded on
 * join and again after a re-join or a failed recovery, live messages
 * (those missed while offline included: the client recovers them), members,
 * and the messages of this tab still on their way.
 */
export function useChatRoom(name, me) {
  const info = useMemo(() => ({ name: me.name, color: me.color, tab: me.tabId }), [me.name, me.color, me.tabId]);
  const room = useRoom(name, { info, keep: 300 });
  const { members, generation } = useRoomMembers(room, name, info);

  // History on join (useRoom keeps only what arrives while mounted).
  const [history, setHistory] = useState({ loaded: false, messages: [] });
  const [recoveries, setRecoveries] = useState(0);
  useEvent('recovery-failed', (data) => { if (data?.room === name) setRecoveries((n) => n + 1); });
  const { joined, history: readHistory } = room;
  useEffect(() => {
    if (!joined) return undefined;
    let live = true;
    readHistory({ limit: HISTORY })
      .then((page) => { if (live) setHistory({ loaded: true, messages: page?.messages ?? [] }); })
      .catch(() => { if (live) setHistory((h) => ({ ...h, loaded: true })); });
    return () => { live = false; };
  }, [joined, generation, recoveries, readHistory]);

  const messages = useMemo(
    () => mergeFrames(history.messages, room.messages).filter((f) => f.event === 'message' && f.data && typeof f.data === 'object'),
    [history.messages, room.messages],
  );

  // Sent, not yet back (echo): shown as pending, also across a reload.
  const [pending, setPending] = useState(() => loadPending().filter((p) => p.room === name));
  useEffect(() => {
    const delivered = new Set(messages.map((m) => m.data.cid).filter(Boolean));
    setPending((list) => {
      const next = list.filter((p) => !delivered.has(p.cid));
      return next.length === list.length ? list : next;
    });
  }, [messages]);
  useEffect(() => {
    savePending([...loadPending().filter((p) => p.room !== name), ...pending.filter((p) => !p.error)]);
  }, [pending, name]);

  const { publish } = room;
  const send = useCallback((text) => {
    const cid = newId('m');
    setPending((list) => [...list, { cid, room: name, text, ts: Date.now() }]);
    publish('message', { content: text, author: me.name, color: me.color, tab: me.tabId, cid }, { echo: true })
      .catch((err) => setPending((list) => list.map((p) => (p.cid === cid ? { ...p, error: err?.message ?? 'not sent' } : p))));
  }, [publish, name, me.name, me.color, me.tabId]);
  const dismiss = useCallback((cid) => setPending((list) => list.filter((p) => p.cid !== cid)), []);

  return { joined, error: room.error, loaded: history.loaded, messages, members, pending, send, dismiss };
}
