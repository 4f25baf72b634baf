#!/usr/bin/env node
// The demo agents as a Node process beside the server (`make run` starts
// it): the same agent modules the page hosts (src/agents/), on the same
// package, `brolostack`, in Node. Every agent is `<type>@node-<hostname>`,
// so it shares the work with the agents of open tabs (see src/agents/host.js).
//
//   node web-demo/worker.mjs [ws://localhost:3001/ws]      (or WS_URL=...)
import os from 'node:os';
import WebSocket from 'ws';
import { BrolostackWSClientside } from 'brolostack';
import { hostAgents } from './src/agents/host.js';

const url = process.argv[2] || process.env.WS_URL || 'ws://localhost:3001/ws';
const hostId = process.env.DEMO_WORKER_ID || `node-${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40) || 'worker'}`;
const quiet = process.env.DEMO_WORKER_QUIET === '1';
const log = (line) => { if (!quiet) console.log(`[agents] ${line}`); };

const client = new BrolostackWSClientside({
  url,
  WebSocket,
  storage: null,
  // It waits for the server however long it takes, and comes back after
  // a restart: the agents register again by themselves.
  reconnectionAttempts: 1_000_000,
  reconnectionDelay: 250,
  reconnectionDelayMax: 3000,
  heartbeatInterval: 10000,
});
client.on('connected', () => log(`connected to ${url}`));
client.on('disconnected', () => { if (!stopping) log('disconnected; reconnecting'); });

let stopping = false;
const host = hostAgents(client, {
  hostId,
  hostLabel: `Node worker ${hostId}`,
  log,
  onChange: (agents) => {
    if (agents.every((a) => a.state !== 'registering')) {
      const online = agents.filter((a) => a.state === 'online').length;
      log(`${online}/${agents.length} agents online as ${hostId}${online < agents.length ? ` (${agents.filter((a) => a.state !== 'online').map((a) => `${a.id}: ${a.state}`).join(', ')})` : ''}`);
    }
  },
});

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: unregistering the agents`);
  const done = Promise.allSettled([host.stop()]).then(() => client.destroy());
  const timeout = new Promise((resolve) => setTimeout(resolve, 2000).unref());
  await Promise.race([done, timeout]);
  process.exit(0);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
