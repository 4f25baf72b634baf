import { useEffect, useState } from 'react';
import { useBrolostackClient, useBrolostackState } from 'brolostack/react';
import { hostAgents } from '../agents/host.js';

// One host per client and page, shared by the components that want it and
// kept through StrictMode's unmount-and-mount: registerAgent refuses a
// second handler for an id on one client until the first is unregistered,
// and the package has no hook for agents (see web-demo/README.md).
let shared = null;  // { client, host, agents, listeners:Set, refs, stopTimer }

function acquire(client, hostId, hostLabel) {
  if (shared && (shared.client !== client || shared.hostId !== hostId)) {
    shared.host.stop();
    shared = null;
  }
  if (!shared) {
    const entry = { client, hostId, agents: [], listeners: new Set(), refs: 0, stopTimer: null };
    entry.host = hostAgents(client, {
      hostId,
      hostLabel,
      onChange: (agents) => { entry.agents = agents; for (const l of entry.listeners) l(agents); },
    });
    shared = entry;
  }
  clearTimeout(shared.stopTimer);
  shared.refs += 1;
  return shared;
}

function release(entry) {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  entry.stopTimer = setTimeout(() => {
    if (entry.refs > 0) return;
    if (shared === entry) shared = null;
    entry.host.stop();
  }, 50);
}

/**
 * Hosts the demo agents in this tab while `enabled`: their ids and states.
 * Registration waits for the first connection: a register-agent queued
 * offline is kept in the persisted offline queue, and if this page went
 * away before connecting, another tab would adopt it and register an agent
 * with no handler behind it (see web-demo/README.md).
 */
export function useHostedAgents(enabled, hostId) {
  const client = useBrolostackClient();
  const connected = useBrolostackState((s) => s.connected);
  const [everConnected, setEverConnected] = useState(false);
  useEffect(() => { if (connected) setEverConnected(true); }, [connected]);
  const [agents, setAgents] = useState([]);
  useEffect(() => {
    if (!client || !enabled || !everConnected) { setAgents([]); return undefined; }
    const entry = acquire(client, hostId, 'this tab');
    setAgents(entry.agents);
    entry.listeners.add(setAgents);
    return () => { entry.listeners.delete(setAgents); release(entry); };
  }, [client, enabled, hostId, everConnected]);
  return agents;
}
