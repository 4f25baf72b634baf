// A session as the server side sees it (the seed's
// `wsMultiAgent.createSession(id)`). Its calls run one after the other in
// the order they were made, so the seed's `session.registerAgent(...)`
// twice and then `session.startTask(...)`, none awaited, registers both
// agents before the task starts. Each call also returns its promise, and a
// failure nobody awaits is an 'error' event, not an unhandled rejection.
import { Listeners } from './listeners.mjs';
import { segment } from './http_api.mjs';

export const SESSION_ID = /^[A-Za-z0-9_.:@-]{1,119}$/;

export class ServerSession {
  constructor(owner, id) {
    this.id = id;
    this.owner = owner;
    this.listeners = new Listeners(owner.logger);
    this.agents = new Map();  // id -> the agent handle (brolostack's registerAgent)
    // First in line: joining makes the session exist and brings its announcements.
    this.tail = owner.quiet(owner.joinSession(id));
  }

  /** Runs `step` after every call made before it, whether those succeeded or not. */
  enqueue(step) {
    const result = this.tail.catch(() => {}).then(step);
    this.tail = result;
    return this.owner.quiet(result);
  }

  /**
   * Registers an agent of this session on the server API's own client.
   * `handler(assignment, reporter)` does its work, as with
   * `client.registerAgent` (a returned value completes the stage, a throw
   * fails it). Without a handler, assignments go to 'assignment' listeners.
   */
  registerAgent(spec, handler) {
    if (handler !== undefined && typeof handler !== 'function') {
      return this.owner.quiet(Promise.reject(new TypeError('session.registerAgent(spec, handler): handler must be a function (assignment, reporter) => result')));
    }
    return this.enqueue(async () => {
      const client = await this.owner.client();
      const work = handler ?? ((assignment, reporter) => this.unhandled(assignment, reporter));
      const agent = await client.registerAgent({ ...spec, sessionId: this.id }, work);
      this.agents.set(agent.id, agent);
      return agent;
    });
  }

  unhandled(assignment, reporter) {
    const listening = this.listeners.count('assignment') + this.owner.listeners.count('assignment');
    if (listening === 0) {
      this.owner.logger.warn(`[brolostack] agent '${assignment.agentId}' was given task '${assignment.taskId}' but has no handler: ` +
        "pass one to registerAgent(spec, handler), or listen for 'assignment'");
      return;
    }
    this.listeners.emit('assignment', assignment, reporter);
    this.owner.listeners.emit('assignment', assignment, reporter);
  }

  /** Starts a task (a task definition, PROTOCOL.md section 7): {taskId, state}. */
  startTask(definition) {
    return this.enqueue(() => this.owner.api.post(`/api/v1/sessions/${segment(this.id)}/tasks`, definition));
  }

  /** Cancels a task started by the server side: {taskId, state}. */
  cancelTask(taskId) {
    return this.enqueue(() => this.owner.api.delete(`/api/v1/sessions/${segment(this.id)}/tasks/${segment(taskId)}`));
  }

  /** Publishes `event` to everyone in the session (its room `$session:<id>`): {offset, epoch}. */
  broadcast(event, data) {
    return this.enqueue(() => this.owner.api.post('/api/v1/publish', { room: `$session:${this.id}`, event, data: data ?? null }));
  }

  /** The session as the server holds it (agents, tasks): the SYNC_RESPONSE snapshot. */
  getSnapshot() {
    return this.enqueue(() => this.owner.api.get(`/api/v1/sessions/${segment(this.id)}`));
  }

  /** Announcements of this session by kebab-case ARGS type ('task-progress', ...), and 'assignment'. */
  on(event, handler) { return this.listeners.on(event, handler); }
  off(event, handler) { this.listeners.off(event, handler); }

  /** Unregisters its agents and stops listening to it. */
  close() {
    return this.enqueue(async () => {
      await Promise.allSettled([...this.agents.values()].map((agent) => agent.unregister()));
      this.agents.clear();
      const client = await this.owner.client();
      await client.send('leave-session', { sessionId: this.id });
      this.owner.sessions.delete(this.id);
    });
  }
}
