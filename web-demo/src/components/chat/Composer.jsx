import { useState } from 'react';

export default function Composer({ room, onSend }) {
  const [text, setText] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    onSend(value.slice(0, 2000));
    setText('');
  };
  return (
    <form className="composer" onSubmit={submit}>
      <input data-testid="chat-input" value={text} onChange={(e) => setText(e.target.value)} placeholder={`Message #${room}`}
        maxLength={2000} autoComplete="off" aria-label={`Message #${room}`} />
      <button type="submit" className="btn primary" data-testid="chat-send" disabled={!text.trim()}>Send</button>
    </form>
  );
}
