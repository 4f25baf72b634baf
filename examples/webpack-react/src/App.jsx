import { useEffect, useState } from 'react';
import { useBrolostackWebSocket } from 'brolostack';

const ROOM = 'examples';

// The server: ?ws=ws://host:port/ws, else (undefined) this page's own origin at /ws.
const url = new URLSearchParams(window.location.search).get('ws') ?? undefined;

export default function App() {
  const { connected, joinRoom, sendToRoom, on } = useBrolostackWebSocket({ url, autoConnect: true });
  const [joined, setJoined] = useState(false);
  const [messages, setMessages] = useState([]);
  const [text, setText] = useState('');
  const [error, setError] = useState(null);

  // `on` returns its disposer: the handler goes when the component does.
  useEffect(() => on('chat', (data) => setMessages((list) => [...list, data.text])), [on]);

  useEffect(() => {
    if (!connected || joined) return;
    joinRoom(ROOM).then(() => setJoined(true), (err) => setError(err.message));
  }, [connected, joined, joinRoom]);

  const send = (event) => {
    event.preventDefault();
    if (!text) return;
    sendToRoom(ROOM, 'chat', { text }).catch((err) => setError(err.message));
    setText('');
  };

  return (
    <main>
      <h1>Brolostack chat</h1>
      <p>
        <span data-testid="status">{connected ? 'connected' : 'disconnected'}</span>
        {joined && <span data-testid="joined"> · in #{ROOM}</span>}
      </p>
      {error && <p role="alert">{error}</p>}
      <form onSubmit={send}>
        <input data-testid="input" value={text} onChange={(e) => setText(e.target.value)} placeholder="Say something" />
        <button data-testid="send" type="submit" disabled={!joined}>Send</button>
      </form>
      <ul data-testid="messages">
        {messages.map((message, i) => <li key={i}>{message}</li>)}
      </ul>
    </main>
  );
}
