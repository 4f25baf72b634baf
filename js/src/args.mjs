// ARGSProtocolHandler: building, checking and dispatching ARGS messages in
// the app, and a local view of agents for capability lookups (the seed's
// API). Messages are built and checked by the core's ARGS layer (the C++
// the server runs, in the wasm), so what this creates the server accepts
// and what it refuses the server would refuse, with the same words.
import { coreModule } from './core.mjs';
import { Handlers } from './handlers.mjs';

export const ARGS_TYPES = Object.freeze([
  'AGENT_REGISTER', 'AGENT_UNREGISTER', 'TASK_START', 'TASK_PROGRESS', 'TASK_COMPLETE', 'TASK_ERROR',
  'COLLABORATION_REQUEST', 'COLLABORATION_RESPONSE', 'STREAM_START', 'STREAM_DATA', 'STREAM_END',
  'HEARTBEAT', 'SYNC_REQUEST', 'SYNC_RESPONSE', 'TASK_ASSIGN', 'TASK_CANCEL',
]);

export class ARGSProtocolHandler {
  constructor({ environment, now = () => Date.now(), newId } = {}) {
    this.environment = environment;
    this.now = now;
    this.newId = newId || (() => `args_${this.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`);
    this.handlers = new Handlers();
    this.agents = new Map();
  }

  /**
   * An ARGS message; throws a TypeError for anything the protocol refuses
   * (type, session, metadata). `options`: `agentId` and the metadata fields
   * (priority, ttl, requiresAck, maxRetries, correlationId, sourceAgent,
   * targetAgent, environment).
   */
  createMessage(type, sessionId, payload = null, options = {}) {
    const { agentId, ...metadata } = options;
    const created = coreModule().argsCreateMessage(
      String(type), String(sessionId), JSON.stringify(payload ?? null),
      JSON.stringify({ ...(this.environment ? { environment: this.environment } : {}), ...metadata }),
      agentId ? String(agentId) : '', this.newId(), this.now());
    if (!created.ok) throw new TypeError(created.errorMessage);
    return JSON.parse(created.text);
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

  /** What is wrong with a message (envelope, metadata, ttl), as the server would say it; null when nothing. */
  validate(m) {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return 'an ARGS message must be an object';
    const checked = coreModule().argsValidateMessage(JSON.stringify(m), this.now());
    return checked.ok ? null : checked.errorMessage;
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
