// ARGSProtocolHandler: building, checking and dispatching ARGS messages in
// the app, and a local view of agents for capability lookups (the seed's
// API). Messages it creates pass the server's envelope checks.
import { Handlers } from './handlers.mjs';

export const ARGS_TYPES = Object.freeze([
  'AGENT_REGISTER', 'AGENT_UNREGISTER', 'TASK_START', 'TASK_PROGRESS', 'TASK_COMPLETE', 'TASK_ERROR',
  'COLLABORATION_REQUEST', 'COLLABORATION_RESPONSE', 'STREAM_START', 'STREAM_DATA', 'STREAM_END',
  'HEARTBEAT', 'SYNC_REQUEST', 'SYNC_RESPONSE', 'TASK_ASSIGN', 'TASK_CANCEL',
]);
const PRIORITIES = ['low', 'medium', 'high', 'critical'];
const SESSION_ID = /^[A-Za-z0-9_.:@-]{1,119}$/;

export class ARGSProtocolHandler {
  constructor({ environment, now = () => Date.now(), newId } = {}) {
    this.environment = environment;
    this.now = now;
    this.newId = newId || (() => `args_${this.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`);
    this.handlers = new Handlers();
    this.agents = new Map();
  }

  /** An ARGS message; throws a TypeError for a type, session or priority the protocol does not know. */
  createMessage(type, sessionId, payload = null, options = {}) {
    const { agentId, ...metadata } = options;
    if (!ARGS_TYPES.includes(type)) throw new TypeError(`unknown ARGS type '${type}'`);
    if (!SESSION_ID.test(sessionId)) throw new TypeError(`invalid session id '${sessionId}'`);
    const priority = metadata.priority ?? 'medium';
    if (!PRIORITIES.includes(priority)) throw new TypeError(`priority must be one of ${PRIORITIES.join(', ')}`);
    return {
      id: this.newId(),
      type,
      timestamp: this.now(),
      sessionId,
      ...(agentId ? { agentId } : {}),
      payload,
      metadata: {
        retryCount: 0,
        requiresAck: false,
        ...(this.environment ? { environment: this.environment } : {}),
        ...metadata,
        priority,
      },
    };
  }

  /** Handles messages of one type ('*' for all); returns the disposer. */
  onMessage(type, handler) {
    if (type !== '*' && !ARGS_TYPES.includes(type)) throw new TypeError(`unknown ARGS type '${type}'`);
    return this.handlers.add(type, handler);
  }

  /**
   * Checks a message (envelope and ttl) and runs its handlers; resolves to
   * their results. Agent registrations update the local agent view.
   */
  async processMessage(message) {
    const problem = this.validate(message);
    if (problem) throw new TypeError(problem);
    if (message.type === 'AGENT_REGISTER' && message.payload?.id) this.registerAgent(message.payload);
    if (message.type === 'AGENT_UNREGISTER' && message.payload?.agentId) this.agents.delete(message.payload.agentId);
    const handlers = [...this.handlers.list(message.type), ...this.handlers.list('*')];
    return Promise.all(handlers.map((h) => h(message)));
  }

  validate(m) {
    if (!m || typeof m !== 'object') return 'an ARGS message must be an object';
    if (typeof m.id !== 'string' || !m.id) return "'id' must be a non-empty string";
    if (!ARGS_TYPES.includes(m.type)) return `unknown ARGS type '${m.type}'`;
    if (!Number.isInteger(m.timestamp) || m.timestamp < 0) return "'timestamp' must be epoch milliseconds";
    if (!SESSION_ID.test(m.sessionId ?? '')) return "'sessionId' is invalid";
    if (!('payload' in m)) return "'payload' is required (it may be null)";
    const ttl = m.metadata?.ttl;
    if (ttl !== undefined && this.now() - m.timestamp >= ttl) return 'the message has expired';
    return null;
  }

  /** Remembers an agent (ARGSAgentInfo) with the protocol's defaults. */
  registerAgent(info) {
    if (!info?.id || !info?.type) throw new TypeError("an agent needs 'id' and 'type'");
    const agent = {
      status: 'idle',
      capabilities: [],
      ...info,
      metadata: { name: info.id, maxConcurrentTasks: 1, currentTasks: 0, ...(info.metadata || {}) },
    };
    this.agents.set(agent.id, agent);
    return agent;
  }

  /** Agents that have every one of the capabilities (one or an array). */
  findAgentsByCapability(capabilities) {
    const wanted = [].concat(capabilities);
    return [...this.agents.values()].filter((a) => a.status !== 'offline' && wanted.every((c) => a.capabilities.includes(c)));
  }
}
