// registerAgent: a browser tab or a Node process as an ARGS agent, without
// hand-built ARGS frames. The JavaScript twin of the C++
// `session.registerAgent(info, handler)` (ws_multiagent.hpp): the handler
// gets each assignment (TASK_ASSIGN) with a reporter for progress, result
// and failure, and a way to message other agents as this agent.
//
// It uses the client's public API only: `send` with the ARGS shortcuts of
// PROTOCOL.md section 6 (each carrying `sessionId` in its data) and `on` for
// the ARGS announcements, which the client emits under each type's
// kebab-case name: (payload, whole ARGS message).
//
// What the server does that shapes this module (PROTOCOL.md section 7):
// - Registering joins the connection to the session, so TASK_ASSIGN and
//   TASK_CANCEL for the agent arrive as session announcements, which every
//   member sees: they are filtered by session and agent id here.
// - When the connection drops the agent goes offline and its running
//   stages are re-queued; once it registers again (from the new
//   connection) a re-queued stage may come back to it as a new TASK_ASSIGN.
//   Reports made while it is offline are held here until it is registered
//   again: sent before, the server would refuse them (`forbidden`: the
//   agent belongs to the old connection).
import { ARGS_TYPES } from './args.mjs';
import { BrolostackError } from './client.mjs';  // used at call time only (client.mjs imports this module)

const SESSION_ID = /^[A-Za-z0-9_.:@-]{1,119}$/;
const MAX_ID_BYTES = 128;
const MAX_CONCURRENT_TASKS = 10000;
// TASK_ASSIGN message ids remembered, to ignore one delivered twice.
const REMEMBERED_ASSIGNMENTS = 1024;
// Re-registering after a reconnect may meet a server that has not yet seen
// the old connection close (`conflict`): tried again with backoff.
const RETRY_REGISTER = new Set(['conflict', 'rate_limited', 'unavailable', 'timeout', 'internal']);
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 15000;

// The `send` shortcut of each ARGS type an agent may send. AGENT_REGISTER
// and AGENT_UNREGISTER are this module's own business; TASK_ASSIGN and
// SYNC_RESPONSE are the server's.
const EVENT_OF = {
  TASK_START: 'start-task',
  TASK_PROGRESS: 'task-progress',
  TASK_COMPLETE: 'task-complete',
  TASK_ERROR: 'task-error',
  TASK_CANCEL: 'cancel-task',
  COLLABORATION_REQUEST: 'collaboration-request',
  COLLABORATION_RESPONSE: 'collaboration-response',
  STREAM_START: 'start-stream',
  STREAM_DATA: 'stream-chunk',
  STREAM_END: 'end-stream',
  HEARTBEAT: 'heartbeat',
  SYNC_REQUEST: 'sync',
};
const TYPE_OF_EVENT = Object.fromEntries(Object.entries(EVENT_OF).map(([type, event]) => [event, type]));

// Agents registered through this module, per client: one handle per
// (session, agent id), or two handlers would both take its assignments.
const registered = new WeakMap();

const utf8 = new TextEncoder();
const bytes = (s) => utf8.encode(s).length;
const isId = (s) => typeof s === 'string' && s.length > 0 && bytes(s) <= MAX_ID_BYTES;
const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const describe = (v) => (typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`
  : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v);

/** The spec as the agent info to register, or a TypeError naming what is wrong. */
function checkSpec(spec, handler) {
  if (!isPlainObject(spec)) return new TypeError('registerAgent(client, spec, handler): spec must be an object { id, type, capabilities }');
  const { id, type, capabilities, sessionId = 'default', metadata, onMessage } = spec;
  if (id === undefined) return new TypeError("agent spec: 'id' is required");
  if (!isId(id)) return new TypeError(`agent spec: 'id' must be a string of 1-${MAX_ID_BYTES} bytes; got ${describe(id)}`);
  if (type === undefined) return new TypeError(`agent spec '${id}': 'type' is required`);
  if (!isId(type)) return new TypeError(`agent spec '${id}': 'type' must be a string of 1-${MAX_ID_BYTES} bytes; got ${describe(type)}`);
  if (!Array.isArray(capabilities)) {
    return new TypeError(`agent spec '${id}': 'capabilities' must be an array of strings (it may be empty); got ${describe(capabilities)}`);
  }
  const bad = capabilities.find((c) => !isId(c));
  if (bad !== undefined || capabilities.length !== Object.keys(capabilities).length) {
    return new TypeError(`agent spec '${id}': each capability must be a string of 1-${MAX_ID_BYTES} bytes; got ${describe(bad)}`);
  }
  if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) {
    return new TypeError(`agent spec '${id}': 'sessionId' must be 1-119 characters of A-Z a-z 0-9 _ . : @ -; got ${describe(sessionId)}`);
  }
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata)) return new TypeError(`agent spec '${id}': 'metadata' must be an object; got ${describe(metadata)}`);
    const max = metadata.maxConcurrentTasks;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= MAX_CONCURRENT_TASKS)) {
      return new TypeError(`agent spec '${id}': 'metadata.maxConcurrentTasks' must be an integer from 1 to ${MAX_CONCURRENT_TASKS}; got ${describe(max)}`);
    }
  }
  if (onMessage !== undefined && typeof onMessage !== 'function') {
    return new TypeError(`agent spec '${id}': 'onMessage' must be a function; got ${describe(onMessage)}`);
  }
  if (typeof handler !== 'function') {
    return new TypeError(`registerAgent: the handler of agent '${id}' must be a function (assignment, reporter) => result`);
  }
  const info = { sessionId, id, type, capabilities: [...capabilities] };
  if (metadata) info.metadata = { ...metadata };
  return info;
}

/**
 * Registers an ARGS agent on `client` (a BrolostackWSClientside) and runs
 * `handler(assignment, reporter)` for each task assigned to it. Resolves to
 * the agent's handle once the server has registered it; rejects with a
 * TypeError for a bad spec, or with the server's error (`conflict`,
 * `limit_exceeded`, ...).
 */
export function registerAgent(client, spec, handler) {
  if (!client || typeof client.send !== 'function' || typeof client.on !== 'function') {
    return Promise.reject(new TypeError('registerAgent(client, spec, handler): client must be a BrolostackWSClientside'));
  }
  const info = checkSpec(spec, handler);
  if (info instanceof TypeError) return Promise.reject(info);
  const key = `${info.sessionId}\n${info.id}`;
  let agents = registered.get(client);
  if (!agents) registered.set(client, agents = new Set());
  if (agents.has(key)) {
    return Promise.reject(new BrolostackError('conflict',
      `agent '${info.id}' is already registered in session '${info.sessionId}' on this client: unregister it first`));
  }
  agents.add(key);
  const runtime = new AgentRuntime(client, info, spec.onMessage, handler, () => agents.delete(key));
  return runtime.start();
}

class AgentRuntime {
  constructor(client, info, onMessage, handler, forget) {
    this.client = client;
    this.info = info;
    this.id = info.id;
    this.sessionId = info.sessionId;
    this.onMessage = onMessage;
    this.handler = handler;
    this.forget = forget;
    // registering -> online <-> offline (the connection dropped; registered again on `reconnected`) -> unregistered
    this.state = 'registering';
    this.generation = 0;       // +1 for each lost connection
    this.serverHasUs = false;  // registered from the connection that is open now
    this.registration = null;  // the register-agent in flight
    this.retryTimer = null;
    this.retryDelay = RETRY_FIRST_MS;
    this.held = [];            // sends waiting for the agent to be registered again: {resolve, reject}
    this.runs = new Map();     // `${taskId}\n${stage}` -> TaskRun
    this.seen = new Set();     // TASK_ASSIGN message ids
    this.disposers = [];
    this.unregistered = null;
    const agent = this;
    this.handle = Object.freeze({
      id: info.id,
      sessionId: info.sessionId,
      unregister: () => agent.unregister(),
      send: (type, payload, options) => agent.sendAs(type, payload, options),
    });
  }

  async start() {
    // Listening starts before the registration is sent: an assignment may
    // follow the server's reply in the same read, before the reply's
    // promise continues.
    this.listen();
    this.registration = this.client.send('register-agent', this.info);
    try {
      await this.registration;
    } catch (err) {
      this.registration = null;
      this.state = 'unregistered';
      this.detach();
      this.forget();
      throw err;
    }
    this.registration = null;
    if (this.state === 'registering') this.state = 'online';
    this.serverHasUs = true;
    return this.handle;
  }

  listen() {
    const on = (event, fn) => this.disposers.push(this.client.on(event, fn));
    const mine = (message) => message?.sessionId === this.sessionId;
    on('task-assign', (payload, message) => {
      if (mine(message) && payload?.agentId === this.id) this.assigned(payload, message);
    });
    on('task-cancel', (payload, message) => {
      if (!mine(message) || !payload?.taskId) return;
      if (payload.agentId === this.id) {
        this.endRuns(payload.taskId, `it was canceled (${payload.reason ?? 'canceled'})`);
        this.deliver(message);
      } else if (payload.agentId === undefined && payload.state) {
        this.endRuns(payload.taskId, `the task was ${payload.state}`, { sparePendingFinal: true });
      }
    });
    // The task's one terminal event: whatever this agent still runs of it is over.
    for (const event of ['task-complete', 'task-error']) {
      on(event, (payload, message) => {
        if (mine(message) && payload?.taskId && payload.state) {
          this.endRuns(payload.taskId, `the task ${payload.state}`, { sparePendingFinal: true });
        }
      });
    }
    for (const event of ['collaboration-request', 'collaboration-response']) {
      on(event, (_payload, message) => { if (mine(message) && message.agentId === this.id) this.deliver(message); });
    }
    on('disconnected', () => {
      this.generation += 1;
      this.serverHasUs = false;
      clearTimeout(this.retryTimer);
      if (this.state === 'online') this.state = 'offline';
    });
    on('reconnected', () => { if (this.state === 'offline') this.registerAgain(); });
    on('state', (state) => {
      // Closed by the app (disconnect/destroy): what waits for a
      // connection fails, as the client's own queue does.
      if (state === 'closed') this.releaseHeld(new BrolostackError('disconnected', `the client was disconnected: agent '${this.id}' is offline`));
    });
  }

  detach() {
    clearTimeout(this.retryTimer);
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  deliver(message) {
    if (this.state !== 'unregistered' && this.onMessage) this.onMessage(message, this.handle);
  }

  // ---- registration after a reconnect --------------------------------------
  registerAgain() {
    if (this.registration || this.state !== 'offline') return;
    clearTimeout(this.retryTimer);
    const generation = this.generation;
    const registration = this.client.send('register-agent', this.info);
    this.registration = registration;
    registration.then(() => {
      // Answered on the connection open now (the client sends it again
      // after each drop until it is answered).
      if (this.registration === registration) this.registration = null;
      if (this.state !== 'offline') return;
      this.state = 'online';
      this.serverHasUs = true;
      this.retryDelay = RETRY_FIRST_MS;
      this.releaseHeld(null);
    }, (err) => {
      if (this.registration === registration) this.registration = null;
      if (this.state !== 'offline') return;
      if (RETRY_REGISTER.has(err?.code)) {
        // Again after a while, if still connected (else `reconnected` will).
        const delay = this.retryDelay;
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
        this.retryTimer = setTimeout(() => { if (this.client.isConnected?.() !== false) this.registerAgain(); }, delay);
        this.retryTimer.unref?.();
      } else if (err?.code !== 'disconnected' && err?.code !== 'superseded' && generation === this.generation) {
        // The server refused it for good (e.g. limit_exceeded): its work
        // cannot be reported; the next reconnect tries again.
        const refused = new BrolostackError(err?.code ?? 'internal',
          `agent '${this.id}' could not register again after reconnecting: ${err?.message ?? err}`);
        for (const run of [...this.runs.values()]) run.cancel(`registering again was refused (${refused.code})`);
        this.releaseHeld(refused);
      }
    });
  }

  releaseHeld(error) {
    for (const waiter of this.held.splice(0)) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  /**
   * Sends a shortcut as this agent: at once while it is registered, held
   * while it is offline. A report the old connection sent that the server
   * answered only after the reconnect (refused: the agent was offline) is
   * sent once more after registering again.
   */
  async sendNow(event, data, options) {
    const sendOptions = options?.priority === undefined ? undefined : { priority: options.priority };
    for (let attempt = 0; ; attempt++) {
      while (this.state === 'offline') await new Promise((resolve, reject) => this.held.push({ resolve, reject }));
      if (this.state === 'unregistered') throw new BrolostackError('not_found', `agent '${this.id}' was unregistered`);
      const generation = this.generation;
      try {
        return await this.client.send(event, data, sendOptions);
      } catch (err) {
        const lostOnTheWay = generation !== this.generation || this.state === 'offline';
        if (attempt === 0 && err?.code === 'forbidden' && lostOnTheWay && this.state !== 'unregistered') continue;
        throw err;
      }
    }
  }

  /** `agent.send(type, payload, options)`: an ARGS message as this agent. */
  sendAs(type, payload, options, run) {
    const name = typeof type === 'string' ? type : '';
    const argsType = EVENT_OF[name] ? name : TYPE_OF_EVENT[name];
    if (!argsType) {
      const why = ARGS_TYPES.includes(name)
        ? `${name} is not sent by agents (use registerAgent/unregister, or it is the server's)`
        : `unknown ARGS type ${describe(type)}`;
      return Promise.reject(new TypeError(`agent.send: ${why}; one of ${Object.keys(EVENT_OF).join(', ')}`));
    }
    if (payload !== undefined && payload !== null && !isPlainObject(payload)) {
      return Promise.reject(new TypeError(`agent.send(${argsType}): the payload must be an object; got ${describe(payload)}`));
    }
    const data = { ...(payload ?? {}) };
    if (argsType === 'COLLABORATION_REQUEST') {
      data.requestingAgent ??= this.id;
      data.requestId ??= `req_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
      if (run) data.taskId ??= run.assignment.taskId;
    } else if (argsType === 'COLLABORATION_RESPONSE') {
      data.fromAgent ??= this.id;
    } else if (['TASK_PROGRESS', 'TASK_COMPLETE', 'TASK_ERROR', 'HEARTBEAT'].includes(argsType)) {
      data.agentId ??= this.id;
      if (run && argsType !== 'HEARTBEAT') data.taskId ??= run.assignment.taskId;
    }
    data.sessionId = this.sessionId;
    return this.sendNow(EVENT_OF[argsType], data, options);
  }

  // ---- assignments ----------------------------------------------------------
  assigned(payload, message) {
    if (this.state === 'unregistered') return;
    if (message.id) {
      if (this.seen.has(message.id)) return;  // the same message again
      this.seen.add(message.id);
      if (this.seen.size > REMEMBERED_ASSIGNMENTS) this.seen.delete(this.seen.values().next().value);
    }
    const assignment = {
      sessionId: this.sessionId,
      taskId: payload.taskId,
      agentId: payload.agentId,
      stage: payload.stage ?? 0,
      stages: payload.stages ?? 1,
      mode: payload.mode,
      role: payload.role,
      input: payload.input,
      task: payload.task,
    };
    if (payload.supportAgents !== undefined) assignment.supportAgents = payload.supportAgents;
    if (payload.primaryAgent !== undefined) assignment.primaryAgent = payload.primaryAgent;
    const key = `${assignment.taskId}\n${assignment.stage}`;
    // Given again while its handler still runs (re-queued when the
    // connection dropped, then back to this agent once registered again):
    // the running handler carries on, and its reports count.
    if (this.runs.has(key)) return;
    this.run(key, assignment);
  }

  run(key, assignment) {
    const run = new TaskRun(this, key, assignment);
    this.runs.set(key, run);
    let outcome;
    try {
      outcome = Promise.resolve(this.handler(assignment, run.reporter));
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (value) => { if (!run.ended && value !== undefined) run.complete(value).catch(() => {}); },
      (err) => { if (!run.ended) run.fail('agent_error', err?.message ?? String(err)).catch(() => {}); },
    );
  }

  /**
   * Ends this agent's runs of a task: the server has taken them back. The
   * task's terminal event spares a run whose own final report is on its
   * way (the server's answer to it decides).
   */
  endRuns(taskId, why, { sparePendingFinal = false } = {}) {
    for (const run of [...this.runs.values()]) {
      if (run.assignment.taskId === taskId && !(sparePendingFinal && run.finalSent)) run.cancel(why);
    }
  }

  settled(run) {
    if (this.runs.get(run.key) === run) this.runs.delete(run.key);
  }

  // ---- unregister -----------------------------------------------------------
  /**
   * Stops handling at once (listeners removed, running tasks canceled) and
   * tells the server; the same promise for every call. The id may be
   * registered again on this client once it has settled.
   */
  unregister() {
    if (this.unregistered) return this.unregistered;
    this.state = 'unregistered';
    this.detach();
    for (const run of [...this.runs.values()]) run.cancel('the agent was unregistered');
    this.releaseHeld(new BrolostackError('not_found', `agent '${this.id}' was unregistered`));
    const tell = () => {
      // Offline, the server has already let the agent go (and it belongs
      // to the old connection: this one may not unregister it).
      if (!this.serverHasUs) return { agentId: this.id };
      this.serverHasUs = false;
      return this.client.send('unregister-agent', { sessionId: this.sessionId, agentId: this.id });
    };
    // Sent at once when nothing is in flight, so that it goes out before
    // anything the app sends next.
    const told = this.registration ? this.registration.catch(() => {}).then(tell) : Promise.resolve(tell());
    this.unregistered = told.finally(() => this.forget());
    return this.unregistered;
  }
}

/** One assignment being worked on, and its reporter. */
class TaskRun {
  constructor(agent, key, assignment) {
    this.agent = agent;
    this.key = key;
    this.assignment = assignment;
    this.startedAt = Date.now();
    this.ended = null;      // why reports are no longer sent, once they are not
    this.finalSent = false; // complete() or fail() was called
    this.canceled = false;
    this.controller = new AbortController();
    const run = this;
    this.reporter = Object.freeze({
      progress: (percent, message) => run.progress(percent, message),
      complete: (result) => run.complete(result),
      fail: (code, message) => run.fail(code, message),
      get canceled() { return run.canceled; },
      signal: this.controller.signal,
      send: (type, payload, options) => agent.sendAs(type, payload, options, run),
      agent: agent.handle,
    });
  }

  refuse(what) {
    const { taskId, stage } = this.assignment;
    return Promise.reject(new BrolostackError('task_ended',
      `${what} for task '${taskId}' (stage ${stage}) was not sent: ${this.ended}`));
  }

  report(event, data) {
    return this.agent.sendNow(event, {
      sessionId: this.agent.sessionId, taskId: this.assignment.taskId, agentId: this.agent.id, ...data,
    });
  }

  progress(percent, message) {
    if (this.ended) return this.refuse('progress()');
    if (typeof percent !== 'number' || !Number.isFinite(percent)) {
      return Promise.reject(new TypeError(`reporter.progress(percent, message): percent must be a number from 0 to 100; got ${describe(percent)}`));
    }
    const data = { status: 'running', progress: Math.min(100, Math.max(0, percent)) };
    if (message !== undefined) data.message = String(message);
    return this.report('task-progress', data).catch((err) => { this.refused(err); throw err; });
  }

  complete(result) {
    if (this.ended) return this.refuse('complete()');
    this.ended = 'it was completed';
    this.finalSent = true;
    const sent = this.report('task-complete', { result: result ?? null, metrics: { executionTime: Date.now() - this.startedAt } });
    return this.finish(sent);
  }

  fail(code, message) {
    if (this.ended) return this.refuse('fail()');
    if (typeof code !== 'string' || !code) {
      return Promise.reject(new TypeError(`reporter.fail(code, message): code must be a non-empty string; got ${describe(code)}`));
    }
    this.ended = `it failed (${code})`;
    this.finalSent = true;
    return this.finish(this.report('task-error', { code, message: message === undefined ? code : String(message) }));
  }

  finish(sent) {
    return sent.then((reply) => {
      this.agent.settled(this);
      return reply;
    }, (err) => {
      this.refused(err);
      this.agent.settled(this);
      throw err;
    });
  }

  /** The server refused a report: the assignment is no longer this agent's. */
  refused(err) {
    if (err?.code === 'forbidden' || err?.code === 'not_found') this.cancel(`the server refused a report (${err.code}: ${err.message})`);
  }

  cancel(why) {
    if (this.canceled) return;
    this.canceled = true;
    this.ended ??= why;
    const reason = typeof DOMException === 'function'
      ? new DOMException(`task '${this.assignment.taskId}' stopped: ${why}`, 'AbortError')
      : Object.assign(new Error(`task '${this.assignment.taskId}' stopped: ${why}`), { name: 'AbortError' });
    this.controller.abort(reason);
    // A final report on its way settles the run; otherwise it is over now.
    if (!this.finalSent) this.agent.settled(this);
  }
}
