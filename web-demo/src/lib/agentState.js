// The agents dashboard's state, built from ARGS session announcements (live,
// and replayed from the session room's history after a reload): the agents
// of each example's session with what they do, and each example's latest
// run with its stages, streamed output and result.
import { exampleBySession } from '../agents/examples.js';

const MAX_LOG = 80;

export const initialAgentState = { agents: {}, runs: {}, seen: {} };

function emptyRun(example, taskId, at) {
  return {
    taskId,
    exampleId: example.id,
    state: 'queued',
    progress: 0,
    startedAt: at,
    finishedAt: null,
    stages: example.stages.map(() => ({ agentId: null, progress: 0, state: 'waiting' })),
    log: [],
    result: null,
    error: null,
  };
}

const hostOf = (agentId = '') => agentId.split('@')[1] ?? '';

function upsertAgent(state, info, sessionId, patch = {}) {
  const prev = state.agents[info.id] ?? {};
  const agent = {
    id: info.id,
    type: info.type ?? prev.type,
    sessionId,
    host: hostOf(info.id),
    name: info.metadata?.name ?? prev.name ?? info.id,
    status: info.status === 'offline' ? 'offline' : (prev.status === 'working' ? 'working' : 'idle'),
    taskId: prev.taskId ?? null,
    stage: prev.stage ?? null,
    progress: prev.progress ?? 0,
    ...patch,
  };
  return { ...state, agents: { ...state.agents, [info.id]: agent } };
}

function patchAgent(state, agentId, patch) {
  const prev = state.agents[agentId];
  if (!prev) return state;
  return { ...state, agents: { ...state.agents, [agentId]: { ...prev, ...patch } } };
}

/** The agents still working on `taskId` become idle (the task ended). */
function releaseAgents(state, taskId) {
  let next = state;
  for (const agent of Object.values(state.agents)) {
    if (agent.taskId === taskId && agent.status === 'working') next = patchAgent(next, agent.id, { status: 'idle', taskId: null, stage: null, progress: 0 });
  }
  return next;
}

/** The run `taskId` of the example, created when it is new and newer than the one shown. */
function runFor(state, example, taskId, at) {
  const current = state.runs[example.id];
  if (current?.taskId === taskId) return current;
  if (current && current.startedAt > at) return null;  // an older run, replayed late
  return emptyRun(example, taskId, at);
}

function withRun(state, run) {
  return { ...state, runs: { ...state.runs, [run.exampleId]: run } };
}

function endRun(state, example, payload, at, outcome) {
  const run = runFor(state, example, payload.taskId, at);
  if (!run) return state;
  const done = outcome === 'completed';
  const next = {
    ...run,
    state: outcome,
    progress: done ? 100 : run.progress,
    finishedAt: at,
    result: done ? (payload.result ?? run.result) : run.result,
    error: done ? null : (payload.error?.message ?? payload.message ?? payload.reason ?? payload.code ?? outcome),
    stages: done && example.mode !== 'hybrid' ? run.stages.map((s) => ({ ...s, progress: 100, state: 'completed' })) : run.stages,
  };
  return releaseAgents(withRun(state, next), payload.taskId);
}

/**
 * One ARGS message of a session: `type` and `payload` as announced, `id`
 * to apply each message once, `timestamp` to order runs.
 */
export function applyArgs(state, message) {
  const example = exampleBySession(message?.sessionId);
  if (!example || !message.type) return state;
  if (message.id) {
    if (state.seen[message.id]) return state;
    state = { ...state, seen: { ...state.seen, [message.id]: true } };
  }
  const p = message.payload ?? {};
  const at = message.timestamp ?? Date.now();
  switch (message.type) {
    case 'AGENT_REGISTER':
      return p.id ? upsertAgent(state, p, message.sessionId, { status: 'idle', taskId: null, stage: null, progress: 0 }) : state;
    case 'AGENT_UNREGISTER': {
      if (!p.agentId) return state;
      if (p.reason === 'unregistered') {
        const { [p.agentId]: _gone, ...agents } = state.agents;
        return { ...state, agents };
      }
      return patchAgent(state, p.agentId, { status: 'offline', taskId: null, stage: null, progress: 0 });
    }
    case 'TASK_START': {
      const taskId = p.taskId ?? p.task?.id;
      const run = taskId && runFor(state, example, taskId, at);
      return run ? withRun(state, run) : state;
    }
    case 'TASK_ASSIGN': {
      const run = p.taskId && runFor(state, example, p.taskId, at);
      if (!run) return state;
      const stages = run.stages.map((s, i) => (i === p.stage ? { ...s, agentId: p.agentId, progress: 0, state: 'running' } : s));
      const next = withRun(state, { ...run, state: 'running', stages });
      return patchAgent(next, p.agentId, { status: 'working', taskId: p.taskId, stage: p.stage, progress: 0 });
    }
    case 'TASK_PROGRESS': {
      const run = p.taskId && runFor(state, example, p.taskId, at);
      if (!run) return state;
      const completed = p.stageState === 'completed';
      const stages = run.stages.map((s, i) => (i === p.stage
        ? { agentId: p.agentId ?? s.agentId, progress: completed ? 100 : (p.stageProgress ?? s.progress), state: completed ? 'completed' : 'running' }
        : s));
      const log = p.message
        ? [...run.log, { at, stage: p.stage, agentId: p.agentId, text: p.message }].slice(-MAX_LOG)
        : run.log;
      const finished = p.status === 'completed' && p.result !== undefined;
      let next = withRun(state, {
        ...run,
        state: finished ? 'completed' : 'running',
        progress: finished ? 100 : Math.max(run.progress, p.progress ?? 0),
        stages,
        log,
        result: finished ? p.result : run.result,
        finishedAt: finished ? at : run.finishedAt,
      });
      next = completed
        ? patchAgent(next, p.agentId, { status: 'idle', taskId: null, stage: null, progress: 0 })
        : patchAgent(next, p.agentId, { status: 'working', taskId: p.taskId, stage: p.stage, progress: p.stageProgress ?? 0 });
      return finished ? releaseAgents(next, p.taskId) : next;
    }
    case 'TASK_COMPLETE':
      return p.state ? endRun(state, example, p, at, 'completed') : state;
    case 'TASK_ERROR':
      return p.state ? endRun(state, example, p, at, 'failed') : state;
    case 'TASK_CANCEL':
      // Without agentId: the task's end; with one: an agent's stage taken back.
      if (p.agentId === undefined && p.state) return endRun(state, example, p, at, 'canceled');
      return p.agentId ? patchAgent(state, p.agentId, { status: 'idle', taskId: null, stage: null, progress: 0 }) : state;
    default:
      return state;
  }
}

/** A SYNC_RESPONSE snapshot: the session's agents as the server knows them. */
export function applySnapshot(state, sessionId, snapshot) {
  let next = state;
  const listed = new Set();
  for (const info of snapshot?.agents ?? []) {
    listed.add(info.id);
    next = upsertAgent(next, info, sessionId, info.status === 'offline' ? { status: 'offline', taskId: null, stage: null } : {});
  }
  // Agents of this session the server no longer knows are gone.
  const agents = Object.fromEntries(Object.entries(next.agents).filter(([id, a]) => a.sessionId !== sessionId || listed.has(id)));
  return { ...next, agents };
}

export function agentReducer(state, action) {
  if (action.type === 'args') return applyArgs(state, action.message);
  if (action.type === 'replay') return action.messages.reduce(applyArgs, state);
  if (action.type === 'snapshot') return applySnapshot(state, action.sessionId, action.snapshot);
  return state;
}
