import { useCallback, useState } from 'react';
import { IdentityContext } from './lib/IdentityContext.js';
import { loadIdentity, saveName } from './lib/identity.js';
import { useHashTab } from './hooks/useHashTab.js';
import Header from './components/layout/Header.jsx';
import NameGate from './components/layout/NameGate.jsx';
import ChatPanel from './components/chat/ChatPanel.jsx';
import WhiteboardPanel from './components/whiteboard/WhiteboardPanel.jsx';
import AgentsPanel from './components/agents/AgentsPanel.jsx';
import ConnectionPanel from './components/connection/ConnectionPanel.jsx';

// Every panel stays mounted (hidden when not shown): the rooms stay
// joined, unread counts and the board keep up, agents keep working.
export default function App() {
  const [identity, setIdentity] = useState(loadIdentity);
  const tab = useHashTab();
  const [unread, setUnread] = useState(0);
  const choose = useCallback((name) => setIdentity((id) => saveName(id, name)), []);

  if (!identity.name) return <NameGate onSubmit={choose} />;
  return (
    <IdentityContext.Provider value={identity}>
      <div className="app">
        <Header tab={tab} unread={unread} />
        <main className="panels">
          <section className="panel" hidden={tab !== 'chat'} aria-label="Chat">
            <ChatPanel visible={tab === 'chat'} onUnreadChange={setUnread} />
          </section>
          <section className="panel" hidden={tab !== 'whiteboard'} aria-label="Whiteboard">
            <WhiteboardPanel />
          </section>
          <section className="panel" hidden={tab !== 'agents'} aria-label="Agents">
            <AgentsPanel />
          </section>
          <section className="panel" hidden={tab !== 'connection'} aria-label="Connection">
            <ConnectionPanel visible={tab === 'connection'} />
          </section>
        </main>
      </div>
    </IdentityContext.Provider>
  );
}
