import { useBrolostackState } from 'brolostack/react';

const LABELS = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  disconnected: 'Offline',
  closed: 'Closed',
};

/** The connection state, always in view; and how many messages wait for it. */
export default function ConnectionBadge() {
  const { state, queued } = useBrolostackState((s) => ({ state: s.stats.state ?? 'connecting', queued: s.stats.queued ?? 0 }));
  return (
    <div className="status-wrap">
      {queued > 0 && state !== 'connected' && (
        <span className="queued-chip" data-testid="header-queued" title="Requests (messages, joins, agent reports) waiting in the client's queue">
          {queued} queued
        </span>
      )}
      <span className={`status status-${state}`} data-testid="connection-status" data-state={state} role="status">
        <span className="dot" aria-hidden="true" />
        {LABELS[state] ?? state}
      </span>
    </div>
  );
}
