import Avatar from '../layout/Avatar.jsx';
import { clock } from '../../lib/format.js';

/** A message of this tab the server has not confirmed yet (or refused). */
export default function PendingItem({ item, me, connected, onDismiss }) {
  const state = item.error ? 'failed' : connected ? 'sending' : 'queued';
  return (
    <li className={`message mine pending ${state}`} data-testid="chat-pending" data-state={state}>
      <Avatar name={me.name} color={me.color} />
      <div className="message-body">
        <div className="message-meta">
          <span className="author">{me.name}</span>
          <time className="time">{clock(item.ts)}</time>
          <span className="pending-state">
            {state === 'sending' && 'sending…'}
            {state === 'queued' && 'queued · sends when back online'}
            {state === 'failed' && `not sent: ${item.error}`}
          </span>
          {state === 'failed' && <button type="button" className="link" onClick={() => onDismiss(item.cid)}>dismiss</button>}
        </div>
        <div className="message-text">{item.text}</div>
      </div>
    </li>
  );
}
