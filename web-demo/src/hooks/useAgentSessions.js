import { useCallback, useEffect, useReducer } from 'react';
import { useBrolostackClient, useEvent } from 'brolostack/react';
import { EXAMPLES, exampleById, taskDefinition } from '../agents/examples.js';
import { agentReducer, initialAgentState } from '../lib/agentState.js';

const ARGS_EVENTS = ['agent-register', 'agent-unregister', 'task-start', 'task-assign', 'task-progress', 'task-complete', 'task-error', 'task-cancel'];
const HISTORY = 300;

/** Joins each example's session, rebuilds the latest runs from its history, then follows it live. */
async function load(client, sessionId, dispatch, isLive) {
  await client.send('join-session', sessionId);
  const page = await client.history(`$session:${sessionId}`, { limit: HISTORY }).catch(() => null);
  if (!isLive()) return;
  if (page?.messages) dispatch({ type: 'replay', messages: page.messages.map((f) => f.msg).filter(Boolean) });
  const snapshot = await client.send('sync', { sessionId });
  if (isLive()) dispatch({ type: 'snapshot', sessionId, snapshot });
}

/**
 * The agents dashboard's data: `agents` (every agent of the three sessions
 * with its state), `runs` (each example's latest run) and `start(exampleId)`.
 */
export function useAgentSessions() {
  const client = useBrolostackClient();
  const [state, dispatch] = useReducer(agentReducer, initialAgentState);

  useEffect(() => {
    if (!client) return undefined;
    let live = true;
    for (const example of EXAMPLES) load(client, example.sessionId, dispatch, () => live).catch(() => {});
    return () => { live = false; };
  }, [client]);

  // After a reconnect the client recovers the sessions' announcements by
  // itself; the snapshot brings the agents' states up to date.
  useEvent('reconnected', () => {
    for (const { sessionId } of EXAMPLES) {
      client?.send('sync', { sessionId }).then((snapshot) => dispatch({ type: 'snapshot', sessionId, snapshot })).catch(() => {});
    }
  });

  // One handler for every ARGS announcement: (payload, whole ARGS message).
  const onArgs = useCallback((_payload, message) => dispatch({ type: 'args', message }), []);
  for (const event of ARGS_EVENTS) useEvent(event, onArgs);  // eslint-disable-line react-hooks/rules-of-hooks

  const start = useCallback((exampleId, options) => {
    const example = exampleById(exampleId);
    if (!client || !example) return Promise.reject(new Error('not connected'));
    return client.send('start-task', taskDefinition(example, options));
  }, [client]);

  return { agents: state.agents, runs: state.runs, start };
}
