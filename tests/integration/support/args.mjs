// Helpers for the ARGS integration tests (PROTOCOL.md sections 6-8): frame
// matchers, `send` shortcuts, ARGS envelopes, and an Agent wrapper around a
// TestClient that registers, waits for TASK_ASSIGN and reports.
// Every wait goes through TestClient.next, so it has a timeout.
import { connect, WAIT_MS } from './client.mjs';

let nextMsgId = 1;

/** Matches a pushed ARGS frame of the given type whose payload satisfies pred. */
export const isArgs = (type, pred = () => true) => (f) =>
  f.op === 'args' && f.msg && f.msg.type === type && pred(f.msg.payload ?? {}, f);

/** As isArgs, for a given task id. */
export const isTaskEvent = (type, taskId, pred = () => true) =>
  isArgs(type, (p, f) => p.taskId === taskId && pred(p, f));

/** A session announcement (carries room/offset/epoch). */
export const isAnnounced = (sessionId) => (f) => f.op === 'args' && f.room === `$session:${sessionId}`;

/** An ARGSMessage envelope. */
export function argsMsg(type, sessionId, payload, { metadata, agentId, id, timestamp } = {}) {
  const msg = {
    id: id ?? `test-msg-${process.pid}-${nextMsgId++}`,
    type,
    timestamp: timestamp ?? Date.now(),
    sessionId,
    payload: payload === undefined ? null : payload,
  };
  if (agentId) msg.agentId = agentId;
  if (metadata) msg.metadata = metadata;
  return msg;
}

/** Sends {"op":"send","event",data} and resolves with the reply frame. */
export function sendEvent(client, event, data, opts) {
  return client.request({ op: 'send', event, data }, opts);
}

/** As sendEvent, but asserts ok and returns the reply's data. */
export async function callEvent(client, event, data, opts) {
  const reply = await sendEvent(client, event, data, opts);
  if (!reply.ok) throw new Error(`send ${event} failed: ${JSON.stringify(reply.error)}`);
  return reply.data;
}

/** Sends {"op":"args",msg} and resolves with the reply frame. */
export function sendArgs(client, msg, opts) {
  return client.request({ op: 'args', msg }, opts);
}

/** Joins $session:<id> with the join-session shortcut; resolves with the join reply data. */
export function joinSession(client, sessionId) {
  return callEvent(client, 'join-session', { sessionId });
}

/** Starts a task with the start-task shortcut; resolves with the reply data ({taskId,state}). */
export function startTask(client, sessionId, definition) {
  return callEvent(client, 'start-task', { sessionId, ...definition });
}

/** Frames of client.all (seen so far, consumed or not) matching match. */
export const seen = (client, match) => client.all.filter(match);

/** Waits until client.all holds at least n frames matching match. */
export async function waitSeen(client, match, n = 1, { timeoutMs = WAIT_MS, what = 'frames' } = {}) {
  const start = Date.now();
  for (;;) {
    const got = seen(client, match);
    if (got.length >= n) return got;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${n} ${what} (saw ${got.length})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An agent on its own connection. Agent.connect(server, {id, type,
 * capabilities, sessionId, maxConcurrentTasks}) opens a socket, says hello
 * and registers with the register-agent shortcut.
 */
export class Agent {
  constructor(client, info, sessionId) {
    this.client = client;
    this.info = info;
    this.id = info.id;
    this.sessionId = sessionId;
    this.registered = null;
  }

  static async connect(server, { id, type, capabilities = [], sessionId, maxConcurrentTasks, metadata, status } = {}) {
    const client = await connect(server.wsUrl);
    const info = { id, type, capabilities, sessionId };
    if (status) info.status = status;
    if (metadata || maxConcurrentTasks) info.metadata = { name: id, version: '1.0.0', ...metadata };
    if (maxConcurrentTasks) info.metadata.maxConcurrentTasks = maxConcurrentTasks;
    const agent = new Agent(client, info, sessionId);
    agent.registered = await callEvent(client, 'register-agent', info);
    return agent;
  }

  /** The next TASK_ASSIGN for this agent (optionally of one task): the whole frame. */
  nextAssignFrame(taskId, opts = {}) {
    return this.client.next(
      isArgs('TASK_ASSIGN', (p) => p.agentId === this.id && (taskId === undefined || p.taskId === taskId)),
      { what: `TASK_ASSIGN for ${this.id}${taskId ? ` (${taskId})` : ''}`, ...opts });
  }

  /** The next TASK_ASSIGN payload for this agent. */
  async nextAssign(taskId, opts) {
    return (await this.nextAssignFrame(taskId, opts)).msg.payload;
  }

  /** The next TASK_CANCEL addressed to this agent. */
  async nextCancel(taskId, opts = {}) {
    const f = await this.client.next(
      isArgs('TASK_CANCEL', (p) => p.agentId === this.id && (taskId === undefined || p.taskId === taskId)),
      { what: `TASK_CANCEL for ${this.id}`, ...opts });
    return f.msg.payload;
  }

  report(event, data) {
    return sendEvent(this.client, event, { sessionId: this.sessionId, agentId: this.id, ...data });
  }

  async mustReport(event, data) {
    const reply = await this.report(event, data);
    if (!reply.ok) throw new Error(`${this.id}: ${event} failed: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  progress(taskId, progress, extra = {}) {
    return this.mustReport('task-progress', { taskId, progress, status: 'running', step: `step-${progress}`, ...extra });
  }

  complete(taskId, result, extra = {}) {
    return this.mustReport('task-complete', { taskId, result, metrics: { executionTime: 1 }, ...extra });
  }

  fail(taskId, code = 'boom', message = 'it broke') {
    return this.mustReport('task-error', { taskId, code, message });
  }

  close() { return this.client.close(); }
}

/** Registers several agents, each on its own connection, one after the other (in order). */
export async function agents(server, sessionId, specs) {
  const list = [];
  for (const spec of specs) list.push(await Agent.connect(server, { sessionId, ...spec }));
  return list;
}
