import { useState } from 'react';
import { useBrolostackState, useEvent } from 'brolostack/react';

/**
 * After a reload, the client takes over the messages the previous page
 * still owed the server (its queue in localStorage) and sends them once it
 * is connected: said here until they are gone.
 */
export default function RestoredNotice() {
  const [restored, setRestored] = useState(0);
  const { connected, queued } = useBrolostackState((s) => ({ connected: s.connected, queued: s.stats.queued ?? 0 }));
  useEvent('queue-restored', (data) => { if (data?.messages) setRestored((n) => n + data.messages); });
  if (!restored || (connected && queued === 0)) return null;
  return (
    <div className="notice" role="status" data-testid="queue-restored" data-count={restored}>
      {connected
        ? `Sending ${restored} ${restored === 1 ? 'message' : 'messages'} queued before the reload…`
        : `${restored} ${restored === 1 ? 'message' : 'messages'} queued before the reload will go out when the connection is back.`}
    </div>
  );
}
