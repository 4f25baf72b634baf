import { useState } from 'react';
import { useIdentity } from '../../lib/IdentityContext.js';
import { EXAMPLES } from '../../agents/examples.js';
import { hostAgentsByDefault } from '../../config.js';
import { useAgentSessions } from '../../hooks/useAgentSessions.js';
import { useHostedAgents } from '../../hooks/useHostedAgents.js';
import ExampleCard from './ExampleCard.jsx';
import AgentList from './AgentList.jsx';
import HostingCard from './HostingCard.jsx';

const HOSTING_KEY = 'brolostack-demo:host-agents';

function initialHosting() {
  try {
    const stored = sessionStorage.getItem(HOSTING_KEY);
    return stored === null ? hostAgentsByDefault : stored === 'true';
  } catch { return hostAgentsByDefault; }
}

/** ARGS multi-agent sessions: three examples, their runs, and every agent online. */
export default function AgentsPanel() {
  const me = useIdentity();
  const [hosting, setHosting] = useState(initialHosting);
  const hosted = useHostedAgents(hosting, me.tabId);
  const { agents, runs, start } = useAgentSessions();
  const toggle = () => setHosting((on) => {
    try { sessionStorage.setItem(HOSTING_KEY, String(!on)); } catch { /* ignore */ }
    return !on;
  });
  const online = Object.values(agents).filter((a) => a.status !== 'offline');

  return (
    <div className="agents-panel">
      <div className="panel-head">
        <div>
          <h2>Agents</h2>
          <p className="muted">ARGS sessions on the server schedule each task onto agents by type. The agents are plain JavaScript on <code>client.registerAgent</code>: this tab hosts a set, every other tab and the Node worker (<code>make run</code>) another; any of them may take a stage.</p>
        </div>
      </div>
      <div className="agents-grid">
        <div className="examples">
          {EXAMPLES.map((example) => (
            <ExampleCard key={example.id} example={example} run={runs[example.id]} agents={agents}
              ready={example.stages.every((s) => online.some((a) => a.type === s.type))} onStart={() => start(example.id).catch(() => {})} />
          ))}
        </div>
        <div className="agents-side">
          <HostingCard hosting={hosting} onToggle={toggle} hosted={hosted} hostId={me.tabId} />
          <AgentList agents={agents} myHost={me.tabId} />
        </div>
      </div>
    </div>
  );
}
