import { useEffect, useRef } from 'react';
import { useBrolostackState } from 'brolostack/react';
import MessageItem from './MessageItem.jsx';
import PendingItem from './PendingItem.jsx';

/** The room's messages, oldest first, then this tab's messages still on their way. */
export default function MessageList({ messages, pending, loaded, me, onDismiss }) {
  const connected = useBrolostackState((s) => s.connected);
  const list = useRef(null);
  const count = messages.length + pending.length;

  // Follow the newest message unless the reader scrolled up.
  const pinned = useRef(true);
  useEffect(() => {
    const el = list.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [count]);
  const onScroll = () => {
    const el = list.current;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  };

  return (
    <ol className="messages" data-testid="chat-messages" ref={list} onScroll={onScroll} aria-live="polite">
      {loaded && count === 0 && <li className="empty">No messages yet: start the conversation.</li>}
      {messages.map((m) => <MessageItem key={`${m.epoch}:${m.offset}`} frame={m} mine={m.data.tab === me.tabId} />)}
      {pending.map((p) => <PendingItem key={p.cid} item={p} me={me} connected={connected} onDismiss={onDismiss} />)}
    </ol>
  );
}
