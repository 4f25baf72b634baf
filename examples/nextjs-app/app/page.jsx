import Chat from './Chat.jsx';

// A server component: it reads the query and renders the client component.
// ?ws=ws://host:port/ws picks the server; without it the client connects to
// this page's own origin at /ws.
export default function Page({ searchParams }) {
  const url = typeof searchParams.ws === 'string' ? searchParams.ws : undefined;
  return (
    <main>
      <h1>Brolostack chat</h1>
      <Chat url={url} />
    </main>
  );
}
