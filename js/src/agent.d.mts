import type { ARGSMessage, ARGSType, BrolostackWSClientside, Priority } from './index.mjs';

/** An ARGS agent to register: the seed's ARGSAgentInfo, plus its session and messages. */
export interface AgentSpec {
  /** 1-128 bytes; unique in the session while the agent is online. */
  id: string;
  /** What the scheduler matches against `requirements.agentTypes`. */
  type: string;
  /** What the scheduler matches against `requirements.capabilities`; may be empty. */
  capabilities: string[];
  /** The ARGS session: 1-119 characters of `A-Z a-z 0-9 _ . : @ -`. Default `'default'`. */
  sessionId?: string;
  /** Sent as the agent info's metadata. `maxConcurrentTasks` (1-10000, default 1): assignments at once. */
  metadata?: { name?: string; version?: string; maxConcurrentTasks?: number; [key: string]: unknown };
  /**
   * Everything else addressed to this agent: TASK_CANCEL (its stage was
   * taken back; the reporter says so too), COLLABORATION_REQUEST and
   * COLLABORATION_RESPONSE (including `{"status":"timeout"}` when nobody answered).
   */
  onMessage?: (message: AgentMessage, agent: Agent) => void;
}

/** A message addressed to one agent: the whole ARGS message (`type`, `payload`, `metadata.sourceAgent`...). */
export type AgentMessage<P = any> = ARGSMessage<P> & { type: 'TASK_CANCEL' | 'COLLABORATION_REQUEST' | 'COLLABORATION_RESPONSE' };

/** Work for the agent: a TASK_ASSIGN payload. */
export interface Assignment<I = any> {
  sessionId: string;
  taskId: string;
  agentId: string;
  /** 0-based stage of the task, of `stages`. */
  stage: number;
  stages: number;
  mode: 'sequential' | 'parallel' | 'hybrid';
  /** `stage` in sequential and parallel mode; `primary` or `support` in hybrid mode. */
  role: 'stage' | 'primary' | 'support';
  /** The task's payload, or in a pipeline the previous stage's result. */
  input: I;
  /** The task definition (the seed's ARGSTaskDefinition). */
  task: {
    id: string;
    type?: string;
    priority?: Priority;
    collaborationMode?: 'sequential' | 'parallel' | 'hybrid';
    requirements?: { agentTypes?: string[]; capabilities?: string[]; maxExecutionTime?: number };
    payload?: unknown;
    dependencies?: string[];
    [key: string]: unknown;
  };
  /** Hybrid mode, primary: the support agents' ids. */
  supportAgents?: string[];
  /** Hybrid mode, support: the primary's id. */
  primaryAgent?: string;
}

/** The ARGS types an agent sends with `send` (or their `send` shortcut names, e.g. 'collaboration-request'). */
export type AgentSendType = Exclude<ARGSType, 'AGENT_REGISTER' | 'AGENT_UNREGISTER' | 'TASK_ASSIGN' | 'SYNC_RESPONSE'> | (string & {});

export interface AgentSendOptions { priority?: Priority }

/** A registered agent. */
export interface Agent {
  readonly id: string;
  readonly sessionId: string;
  /**
   * Stops handling at once (its listeners removed, running tasks canceled)
   * and unregisters it; settles with the server's answer.
   */
  unregister(): Promise<{ agentId: string }>;
  /**
   * An ARGS message as this agent, settling with the server's answer (a
   * COLLABORATION_REQUEST's is `{requestId, targets}`). Filled in when
   * missing: `requestingAgent` and `requestId` of a COLLABORATION_REQUEST,
   * `fromAgent` of a COLLABORATION_RESPONSE, `agentId` of reports; the
   * session is always the agent's. While the agent is offline (after a
   * drop, until registered again) it waits.
   */
  send(type: AgentSendType, payload?: Record<string, unknown>, options?: AgentSendOptions): Promise<any>;
}

/**
 * The runtime's AbortSignal (the DOM's, or Node's with @types/node); where
 * neither is declared, the part of it an agent uses.
 */
export type AgentAbortSignal = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : {
  readonly aborted: boolean;
  readonly reason: any;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
};

/**
 * How the agent reports on one assignment. Each method settles with the
 * server's answer, rejects with its error (`forbidden` once the stage is
 * no longer this agent's), and rejects without sending (code `task_ended`)
 * once the task has ended for this agent: after `complete` or `fail`, or
 * once `canceled`.
 */
export interface TaskReporter<R = unknown> {
  /** TASK_PROGRESS: `percent` 0-100 of this stage. */
  progress(percent: number, message?: string): Promise<unknown>;
  /** TASK_COMPLETE with the stage's result. */
  complete(result: R): Promise<unknown>;
  /** TASK_ERROR: the task fails (`agent_error`, with this code and message). */
  fail(code: string, message?: string): Promise<unknown>;
  /**
   * True once the server has taken the assignment back: TASK_CANCEL for it
   * arrived, the task ended (canceled, failed, or completed without this
   * stage), a report was refused, or the agent was unregistered.
   */
  readonly canceled: boolean;
  /** Aborted when `canceled` becomes true (an AbortError as its reason): pass it to fetch. */
  readonly signal: AgentAbortSignal;
  /** As `agent.send`; a COLLABORATION_REQUEST's `taskId` defaults to this task. */
  send(type: AgentSendType, payload?: Record<string, unknown>, options?: AgentSendOptions): Promise<any>;
  /** The agent the work went to. */
  readonly agent: Agent;
}

/**
 * Runs for each assignment. Report with the reporter, or return the result:
 * a value other than `undefined` (or a promise of one) completes the stage
 * unless `complete` or `fail` was called; a throw or rejection fails it
 * (`agent_error`, the error's message). Returning `undefined` leaves the
 * stage running: the handler keeps the reporter and reports later.
 */
export type AgentHandler<I = any, R = unknown> = (assignment: Assignment<I>, reporter: TaskReporter<R>) => R | undefined | void | Promise<R | undefined | void>;

/**
 * Registers an ARGS agent on the client: the promise settles once the
 * server has registered it, and rejects with a TypeError for a bad spec or
 * with the server's error (`conflict`: the id is online elsewhere;
 * `limit_exceeded`: the session is full). After each reconnect the agent is
 * registered again, with the same handler.
 */
export function registerAgent<I = any, R = unknown>(client: BrolostackWSClientside, spec: AgentSpec, handler: AgentHandler<I, R>): Promise<Agent>;
