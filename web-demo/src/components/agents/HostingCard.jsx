/** Whether this tab hosts agents, and how its agents are doing. */
export default function HostingCard({ hosting, onToggle, hosted, hostId }) {
  const online = hosted.filter((a) => a.state === 'online').length;
  const standby = hosted.filter((a) => a.state === 'standby').length;
  return (
    <section className="card hosting" data-testid="hosting">
      <div className="hosting-row">
        <div>
          <h3>This tab’s agents</h3>
          <p className="muted">
            {!hosting && 'Not hosting: other tabs and the Node worker do the work.'}
            {hosting && hosted.length === 0 && 'Starting…'}
            {hosting && hosted.length > 0 && `${online} of ${hosted.length} online as ${hostId}${standby ? `; ${standby} on standby (session full)` : ''}.`}
          </p>
        </div>
        <label className="switch">
          <input type="checkbox" checked={hosting} onChange={onToggle} data-testid="hosting-toggle" />
          <span className="slider" aria-hidden="true" />
          <span className="sr-only">Host agents in this tab</span>
        </label>
      </div>
    </section>
  );
}
