import { useEffect, useState } from 'react';
import { useIdentity } from '../../lib/IdentityContext.js';
import { useChatRoom } from '../../hooks/useChatRoom.js';
import MessageList from './MessageList.jsx';
import Composer from './Composer.jsx';
import MemberList from './MemberList.jsx';

/**
 * One room: always mounted (joined, counting unread), drawn only while it
 * is the active one.
 */
export default function RoomView({ name, active, visible, onSummary }) {
  const me = useIdentity();
  const chat = useChatRoom(name, me);
  const latest = chat.messages.at(-1)?.offset ?? 0;
  const [seen, setSeen] = useState(null);

  useEffect(() => { if (seen === null && chat.loaded) setSeen(latest); }, [chat.loaded, latest, seen]);
  useEffect(() => { if (active && visible && chat.loaded) setSeen(latest); }, [active, visible, latest, chat.loaded]);
  const unread = seen === null ? 0 : chat.messages.filter((m) => m.offset > seen && m.data.tab !== me.tabId).length;
  const memberCount = chat.members.length;
  useEffect(() => onSummary(name, { unread, members: memberCount }), [name, unread, memberCount, onSummary]);

  if (!active) return null;
  return (
    <div className="room-view" data-room={name}>
      <div className="room-main">
        <div className="room-header">
          <h2><span className="hash">#</span>{name}</h2>
          <span className="muted">{chat.joined ? `${memberCount} online` : 'joining…'}</span>
        </div>
        <MessageList messages={chat.messages} pending={chat.pending} loaded={chat.loaded} me={me} onDismiss={chat.dismiss} />
        <Composer room={name} onSend={chat.send} />
      </div>
      <MemberList members={chat.members} me={me} />
    </div>
  );
}
