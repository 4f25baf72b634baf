import { EXAMPLES } from '../../agents/examples.js';

const describeHost = (host, myHost) => {
  if (host === myHost) return 'This tab';
  if (host.startsWith('node-')) return `Node worker · ${host.slice(5)}`;
  return `Tab ${host.replace(/^tab-/, '')}`;
};

const STATE = { idle: 'idle', working: 'working', offline: 'offline' };

/** Every agent of the demo sessions, by host, with what it is doing. */
export default function AgentList({ agents, myHost }) {
  const all = Object.values(agents);
  const hosts = [...new Set(all.map((a) => a.host))].sort((a, b) => (a === myHost ? -1 : b === myHost ? 1 : a.localeCompare(b)));
  const order = EXAMPLES.flatMap((e) => e.stages.map((s) => s.type));
  return (
    <section className="card agent-list" data-testid="agent-list">
      <h3>Agents <span className="muted">· {all.filter((a) => a.status !== 'offline').length} online</span></h3>
      {hosts.length === 0 && <p className="muted">No agents yet.</p>}
      {hosts.map((host) => {
        const list = all.filter((a) => a.host === host).sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
        const offline = list.every((a) => a.status === 'offline');
        return (
          <div key={host} className={`host${offline ? ' offline' : ''}`}>
            <div className="host-name">{describeHost(host, myHost)}{offline && <span className="muted"> · offline</span>}</div>
            <ul>
              {list.map((a) => (
                <li key={a.id} className={`agent ${a.status}`} data-testid="agent" data-agent-id={a.id} data-state={a.status} title={`${a.id}: ${a.status}${a.taskId ? ` on ${a.taskId}` : ''}`}>
                  <span className="agent-dot" aria-hidden="true" />
                  <span className="agent-type">{a.type}</span>
                  <span className="agent-state">{a.status === 'working' ? `${Math.round(a.progress)}%` : STATE[a.status]}</span>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </section>
  );
}
