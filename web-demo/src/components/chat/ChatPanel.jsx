import { useCallback, useEffect, useState } from 'react';
import { CHAT_ROOMS } from '../../config.js';
import RoomList from './RoomList.jsx';
import RoomView from './RoomView.jsx';
import RestoredNotice from './RestoredNotice.jsx';

const ROOMS_KEY = 'brolostack-demo:rooms';
const ACTIVE_KEY = 'brolostack-demo:active-room';

const stored = (key, fallback) => {
  try { return JSON.parse(sessionStorage.getItem(key)) ?? fallback; } catch { return fallback; }
};
const store = (key, value) => { try { sessionStorage.setItem(key, JSON.stringify(value)); } catch { /* ignore */ } };

/** Several rooms, all joined at once (unread counts need that); one shown. */
export default function ChatPanel({ visible, onUnreadChange }) {
  const [rooms, setRooms] = useState(() => [...new Set([...CHAT_ROOMS, ...stored(ROOMS_KEY, [])])]);
  const [active, setActive] = useState(() => stored(ACTIVE_KEY, CHAT_ROOMS[0]));
  const [summaries, setSummaries] = useState({});

  useEffect(() => store(ROOMS_KEY, rooms.filter((r) => !CHAT_ROOMS.includes(r))), [rooms]);
  useEffect(() => store(ACTIVE_KEY, active), [active]);
  const onSummary = useCallback((room, summary) => setSummaries((s) => ({ ...s, [room]: summary })), []);
  const total = rooms.reduce((n, r) => n + (summaries[r]?.unread ?? 0), 0);
  useEffect(() => onUnreadChange(total), [total, onUnreadChange]);

  const addRoom = useCallback((room) => {
    setRooms((list) => (list.includes(room) ? list : [...list, room]));
    setActive(room);
  }, []);

  return (
    <div className="chat">
      <RoomList rooms={rooms} active={active} summaries={summaries} onSelect={setActive} onAdd={addRoom} />
      <RestoredNotice />
      {rooms.map((room) => (
        <RoomView key={room} name={room} active={room === (rooms.includes(active) ? active : rooms[0])} visible={visible} onSummary={onSummary} />
      ))}
    </div>
  );
}
