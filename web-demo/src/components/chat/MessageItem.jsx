import Avatar from '../layout/Avatar.jsx';
import { clock } from '../../lib/format.js';

/** A delivered message: sender, time (the server's), text. */
export default function MessageItem({ frame, mine }) {
  const { data } = frame;
  const author = data.author ?? (frame.from?.sid ? 'someone' : 'server');
  const text = typeof data.content === 'string' ? data.content : JSON.stringify(data);
  return (
    <li className={`message${mine ? ' mine' : ''}${frame.from?.sid ? '' : ' system'}`} data-testid="chat-message" data-cid={data.cid} data-offset={frame.offset}>
      <Avatar name={author} color={data.color} />
      <div className="message-body">
        <div className="message-meta">
          <span className="author" data-testid="message-author">{author}</span>
          {!frame.from?.sid && <span className="tag">HTTP API</span>}
          <time className="time" dateTime={new Date(frame.ts ?? Date.now()).toISOString()} data-testid="message-time">{clock(frame.ts)}</time>
        </div>
        <div className="message-text">{text}</div>
      </div>
    </li>
  );
}
