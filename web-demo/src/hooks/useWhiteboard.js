import { useCallback, useEffect, useMemo, useState } from 'react';
import { useRoom, useEvent, useBrolostackClient } from 'brolostack/react';
import { useRoomMembers } from './useRoomMembers.js';
import { mergeFrames, newId } from '../lib/frames.js';
import { boardOf } from '../lib/strokes.js';
import { BOARD_ROOM, BOARD_LIVE_ROOM } from '../config.js';

const HISTORY = 1000;

/**
 * The shared board: strokes are messages of the `whiteboard` room, one per
 * finished stroke, so the room's history is the board: a tab that joins,
 * or comes back after a drop the server could not bridge, replays it. Live
 * cursors and the ink of strokes being drawn go through a second room
 * (whiteboard.cursors) and never crowd the board's history.
 */
export function useWhiteboard(me) {
  const client = useBrolostackClient();
  const info = useMemo(() => ({ name: me.name, color: me.color, tab: me.tabId }), [me.name, me.color, me.tabId]);
  const board = useRoom(BOARD_ROOM, { info, keep: HISTORY });
  const { members, generation } = useRoomMembers(board, BOARD_ROOM, info);

  const [history, setHistory] = useState([]);
  const [recoveries, setRecoveries] = useState(0);
  useEvent('recovery-failed', (data) => { if (data?.room === BOARD_ROOM) setRecoveries((n) => n + 1); });
  const { joined, history: readHistory, publish } = board;
  useEffect(() => {
    if (!joined) return undefined;
    let live = true;
    readHistory({ limit: HISTORY }).then((page) => { if (live) setHistory(page?.messages ?? []); }).catch(() => {});
    return () => { live = false; };
  }, [joined, generation, recoveries, readHistory]);

  const frames = useMemo(() => mergeFrames(history, board.messages), [history, board.messages]);
  const { strokes: shared, ids } = useMemo(() => boardOf(frames), [frames]);

  // This tab's strokes until the server has them (its echo comes back).
  const [local, setLocal] = useState([]);
  useEffect(() => {
    setLocal((list) => {
      const next = list.filter((s) => !ids.has(s.id));
      return next.length === list.length ? list : next;
    });
  }, [ids]);
  const strokes = useMemo(() => [...shared, ...local.filter((s) => !ids.has(s.id))], [shared, local, ids]);

  const addStroke = useCallback((stroke) => {
    const full = { ...stroke, id: stroke.id ?? newId('s'), tab: me.tabId, name: me.name };
    setLocal((list) => [...list, full]);
    publish('stroke', full, { echo: true }).catch(() => setLocal((list) => list.filter((s) => s.id !== full.id)));
  }, [publish, me.tabId, me.name]);

  const clear = useCallback(() => {
    setLocal([]);
    publish('clear', { tab: me.tabId, name: me.name }, { echo: true }).catch(() => {});
  }, [publish, me.tabId, me.name]);

  // Cursors: live data, only sent while connected (never queued).
  const sendLive = useCallback((data) => {
    if (!client?.isConnected()) return;
    client.sendToRoom(BOARD_LIVE_ROOM, 'cursor', { ...data, tab: me.tabId, name: me.name, color: me.color }, { priority: 'low' }).catch(() => {});
  }, [client, me.tabId, me.name, me.color]);

  return { joined, members, strokes, addStroke, clear, sendLive };
}
