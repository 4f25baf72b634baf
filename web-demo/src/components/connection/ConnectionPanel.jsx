import { useBrolostackState } from 'brolostack/react';
import { useLatencySeries } from '../../hooks/useLatencySeries.js';
import { serverLabel, wsOverride } from '../../config.js';
import { number } from '../../lib/format.js';
import StatCard from './StatCard.jsx';
import LatencyChart from './LatencyChart.jsx';
import ServerPanel from './ServerPanel.jsx';

/** The client's side of the connection (its stats refresh at most every 250 ms), then the server's. */
export default function ConnectionPanel({ visible }) {
  const stats = useBrolostackState((s) => s.stats);
  const latency = useLatencySeries();
  const state = stats.state ?? 'connecting';
  return (
    <div className="connection-panel">
      <div className="panel-head">
        <div>
          <h2>Connection</h2>
          <p className="muted">One WebSocket to <code>{serverLabel}</code>{wsOverride ? ' (from ?ws=)' : ' (this page’s origin)'}: the client’s state machine runs in WebAssembly; it reconnects with backoff, queues while offline and recovers missed messages.</p>
        </div>
      </div>
      <div className="stat-grid">
        <StatCard label="Status" value={state} tone={state === 'connected' ? 'good' : 'warn'} testId="conn-state" />
        <StatCard label="Client profile" value={stats.environment ?? '–'} hint="from the build (NODE_ENV)" testId="conn-environment" />
        <StatCard label="Latency" value={latency.last === null ? '–' : `${Math.round(latency.last)} ms`} hint={stats.averageLatency ? `avg ${Math.round(stats.averageLatency)} ms` : 'ping every 2 s'} testId="latency" />
        <StatCard label="Sent" value={number(stats.messagesSent)} hint="frames" testId="conn-sent" />
        <StatCard label="Received" value={number(stats.messagesReceived)} hint="frames" testId="conn-received" />
        <StatCard label="Reconnects" value={number(stats.reconnectCount ?? 0)} testId="conn-reconnects" />
        <StatCard label="Queued" value={number(stats.queued ?? 0)} hint={state === 'connected' ? 'requests awaiting an answer' : 'requests waiting for the server'} tone={stats.queued && state !== 'connected' ? 'warn' : undefined} testId="queued-count" />
        <StatCard label="Rooms joined" value={number(stats.rooms?.length ?? 0)} hint={(stats.rooms ?? []).filter((r) => !r.startsWith('$')).join(', ')} testId="conn-rooms" />
      </div>
      <section className="card chart-card">
        <div className="chart-head">
          <h3>Round-trip latency</h3>
          <span className="muted">ping → pong, last {latency.t.length} samples</span>
        </div>
        <LatencyChart series={latency} visible={visible} />
      </section>
      <ServerPanel visible={visible} />
    </div>
  );
}
