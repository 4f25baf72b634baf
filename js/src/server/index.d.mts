// Types of brolostack/server (Node only; also exported by 'brolostack' under Node).
import type { Agent, AgentHandler, AgentSpec, ARGSMessage, Assignment, BrolostackError, Environment, TaskReporter } from '../index.mjs';

/** Anything with `on` (an http.Server or https.Server): its `upgrade` events are served. */
export interface UpgradeServer { on(event: string, listener: (...args: any[]) => void): unknown }

export interface MultiagentOptions {
  /** The seed's agent settings: MAX_AGENTS_PER_SESSION, TASK_TIMEOUT_MS, COLLABORATION_TIMEOUT_MS, ASSIGN_TIMEOUT_MS, SESSION_IDLE_TIMEOUT_MS. */
  agents?: { maxAgentsPerSession?: number; taskTimeout?: number; collaborationTimeout?: number; assignTimeout?: number; sessionIdleTimeout?: number };
  /** The profile: else BROLOSTACK_ENV, else NODE_ENV, else development. */
  environment?: Environment | (string & {});
  security?: {
    /** API_KEY_REQUIRED (default: the profile; on in staging and production). */
    apiKeyRequired?: boolean;
    /** API_KEYS: `name=secret` or bare secrets, or { name: secret }. */
    apiKeys?: string[] | Record<string, string> | string;
    /** JWT_SECRET (HS256); default: that variable, else one made up per process. */
    jwtSecret?: string;
    /** ALLOWED_ORIGINS (browser origins; '*' = any). */
    allowedOrigins?: string[] | string;
    rateLimitRpm?: number;
    maxConnections?: number;
    /** New connections per minute per client address, counted at the app's port (0: off; default: the profile). */
    connectionRatePerIp?: number;
  };
  /** The seed's integration options: enableAuth is API_KEY_REQUIRED; enableCors lets browsers read the /brolostack/ws routes. */
  middleware?: { enableCors?: boolean; enableAuth?: boolean };
  /** Where the WebSocket endpoint is served on the app's server (default /ws). */
  path?: string;
  /** The brolostack-server binary; else BROLOSTACK_SERVER_BIN, else brolostack-server on PATH. */
  serverBin?: string;
  /** Any other server variable (docs/operations.md), e.g. { HEARTBEAT_MS: 15000 }; null removes one. */
  serverEnv?: Record<string, string | number | boolean | null | undefined>;
  /** Where the webhook goes (default: the app's own /brolostack/events). */
  backendUrl?: string;
  /** WEBHOOK_SECRET; default: that variable, else one made up per process. */
  webhookSecret?: string;
  /** WEBHOOK_TIMEOUT_MS: a handler slower than this answers the client `unavailable`. */
  webhookTimeout?: number;
  /** Error messages of throwing handlers reach clients (default: in development only). */
  detailedErrors?: boolean;
  /** STORE: 'sqlite' (default) keeps rooms, history and dedupe across restarts in dataDir; 'memory' keeps nothing. */
  store?: 'sqlite' | 'memory';
  /** DATA_DIR: the sqlite store's folder (default ./data in the app's working directory); one app per folder. */
  dataDir?: string;
  /** LOG_LEVEL of the server. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'off';
  /** Each line the server logs (default: written to stdout). */
  onServerLog?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Where this package logs deaths, restarts and handler errors (default: console). */
  logger?: { error(...args: any[]): void; warn(...args: any[]): void; info?(...args: any[]): void };
  /** Restart backoff: first delay (default 250 ms) doubling up to maxDelay (default 10000 ms). */
  restart?: { initialDelay?: number; maxDelay?: number };
  /** How long the server may take to be ready (default 15000 ms). */
  startTimeout?: number;
  /** How long stopping waits after SIGTERM before SIGKILL (default 8000 ms). */
  stopTimeout?: number;
}

export interface ServerStats {
  environment: string; activeSessions: number; connectedClients: number; totalAgents: number; activeStreams: number;
  totalTasks: number; completedTasks: number; errorRate: number; avgExecutionTime: number; uptime: number;
  rooms: number; messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number;
  droppedMessages: number; slowConsumerDisconnects: number; protocolErrors: number; rejectedConnections: number;
}

export interface ServerStatus {
  state: 'idle' | 'starting' | 'running' | 'waiting' | 'stopping' | 'stopped' | 'failed';
  pid: number | null; port: number | null; restarts: number; connections: number;
}

export interface ServerExit { pid: number; code: number | null; signal: string | null; message: string; uptimeMs: number; restarting: boolean; delayMs?: number }

/** AbortSignal where the runtime's types have one. */
type SendAbortSignal = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : { readonly aborted: boolean };
/** What a `send` handler gets beside the data: `signal` aborts when the server has stopped waiting (WEBHOOK_TIMEOUT_MS). */
export interface SendContext { event: string; sid: string | null; user: string | null; mid?: string; signal: SendAbortSignal }
/** Answers a client's `send(event, data)`: the value (or what it resolves to) is the reply; a BrolostackError thrown passes its code on. */
export type SendHandler<D = any, R = unknown> = (data: D, context: SendContext) => R | Promise<R>;

export interface TaskDefinition {
  id?: string; type?: string; collaborationMode?: 'sequential' | 'parallel' | 'hybrid';
  requirements?: { agentTypes?: string[]; capabilities?: string[] };
  payload?: unknown; [field: string]: unknown;
}
export interface TaskStarted { taskId: string; state: 'queued' }
export interface TokenOptions { expiresIn?: number | null; name?: string; rooms?: string[]; sessions?: string[]; roles?: string[]; [claim: string]: unknown }

type AnnouncementHandler = (payload: any, message: ARGSMessage) => void;
type ArgsEvent = 'agent-register' | 'agent-unregister' | 'task-start' | 'task-progress' | 'task-complete' | 'task-error'
  | 'collaboration-request' | 'collaboration-response' | 'stream-start' | 'stream-data' | 'stream-end'
  | 'heartbeat' | 'sync-request' | 'sync-response' | 'task-assign' | 'task-cancel';

export class ServerSession {
  readonly id: string;
  readonly agents: Map<string, Agent>;
  /** A JS agent of this session on the server API's own client; without a handler its assignments go to 'assignment' listeners. */
  registerAgent<I = any, R = unknown>(spec: Omit<AgentSpec, 'sessionId'>, handler?: AgentHandler<I, R>): Promise<Agent>;
  startTask(definition: TaskDefinition): Promise<TaskStarted>;
  cancelTask(taskId: string): Promise<{ taskId: string; state: 'canceled' }>;
  broadcast(event: string, data?: unknown): Promise<{ offset: number; epoch: string }>;
  getSnapshot(): Promise<Record<string, unknown>>;
  on(event: ArgsEvent, handler: AnnouncementHandler): () => void;
  on(event: 'assignment', handler: (assignment: Assignment, reporter: TaskReporter) => void): () => void;
  off(event: string, handler: (...args: any[]) => void): void;
  close(): Promise<void>;
}

export class BrolostackWSMultiagent {
  constructor(httpServer: UpgradeServer | null, options?: MultiagentOptions);
  readonly environment: string;
  /** Starts the server (a supervised child process) and serves it on httpServer's port and path. */
  initialize(): Promise<this>;
  /** For integrations: serve on this server (and send the webhook to backendUrl); before initialize(). */
  attach(httpServer: UpgradeServer, options?: { backendUrl?: string }): void;
  createSession(id?: string): ServerSession;
  getSession(id: string): ServerSession | undefined;
  startTask(sessionId: string, definition: TaskDefinition): Promise<TaskStarted>;
  cancelTask(sessionId: string, taskId: string): Promise<{ taskId: string; state: 'canceled' }>;
  listSessions(): Promise<{ count: number; sessions: string[] }>;
  getSessionSnapshot(id: string): Promise<Record<string, unknown>>;
  publish(room: string, event: string, data?: unknown): Promise<{ offset: number; epoch: string }>;
  broadcast(rooms: string[], event: string, data?: unknown): Promise<{ results: Array<{ room: string; offset: number; epoch: string }> }>;
  members(room: string): Promise<{ room: string; members: Array<{ sid: string; user: string | null; info: Record<string, unknown> }>; memberCount: number }>;
  history(room: string, options?: { limit?: number; sinceOffset?: number; epoch?: string }): Promise<{ room: string; epoch: string; offset: number; messages: unknown[]; complete: boolean }>;
  disconnect(target: { user: string } | { sid: string }): Promise<{ disconnected: number }>;
  getStats(): Promise<ServerStats>;
  createToken(sub: string, options?: TokenOptions): string;
  on(event: ArgsEvent, handler: AnnouncementHandler): () => void;
  on(event: 'assignment', handler: (assignment: Assignment, reporter: TaskReporter) => void): () => void;
  on(event: 'session-created', handler: (session: ServerSession) => void): () => void;
  on(event: 'session-closed', handler: (info: { sessionId: string; reason?: string }) => void): () => void;
  on(event: 'server-ready', handler: (info: { pid: number; port: number; restarts: number }) => void): () => void;
  on(event: 'server-exit' | 'server-failed', handler: (info: ServerExit) => void): () => void;
  on(event: 'error', handler: (error: BrolostackError | Error) => void): () => void;
  /** Any other name: the handler of clients' send(name, data). */
  on<D = any, R = unknown>(event: string, handler: SendHandler<D, R>): () => void;
  off(event: string, handler?: (...args: any[]) => unknown): void;
  handleWebhook(rawBody: Uint8Array, signatureHeader: string | undefined): Promise<{ status: number; text: string }>;
  status(): ServerStatus;
  close(): Promise<void>;
}

export interface IntegrationOptions extends MultiagentOptions {
  /** integration.listen()'s default port (else 3001) and host (else every interface). */
  port?: number;
  host?: string;
  /** Express and Koa: listen on this server (e.g. an https.Server whose handler is the app) instead of a new http.Server. */
  server?: UpgradeServer;
}

export class BrolostackNodeJSIntegration {
  static withExpress(app: unknown, options?: IntegrationOptions): Promise<BrolostackNodeJSIntegration>;
  static withFastify(app: unknown, options?: IntegrationOptions): Promise<BrolostackNodeJSIntegration>;
  static withKoa(app: unknown, options?: IntegrationOptions): Promise<BrolostackNodeJSIntegration>;
  /** Nest on its Express platform (the INestApplication from NestFactory.create). */
  static withNestJS(app: unknown, options?: IntegrationOptions): Promise<BrolostackNodeJSIntegration>;
  readonly multiagent: BrolostackWSMultiagent;
  readonly port: number | null;
  /** Starts the app, then the server behind it; resolves to the app's http(s).Server. */
  listen(port?: number, host?: string): Promise<any>;
  shutdown(): Promise<void>;
  on: BrolostackWSMultiagent['on'];
  off(event: string, handler?: (...args: any[]) => unknown): void;
  createSession(id?: string): ServerSession;
  startTask(sessionId: string, definition: TaskDefinition): Promise<TaskStarted>;
  cancelTask(sessionId: string, taskId: string): Promise<{ taskId: string; state: 'canceled' }>;
  publish(room: string, event: string, data?: unknown): Promise<{ offset: number; epoch: string }>;
  broadcast(rooms: string[], event: string, data?: unknown): Promise<{ results: Array<{ room: string; offset: number; epoch: string }> }>;
  members: BrolostackWSMultiagent['members'];
  history: BrolostackWSMultiagent['history'];
  disconnect: BrolostackWSMultiagent['disconnect'];
  listSessions(): Promise<{ count: number; sessions: string[] }>;
  getStats(): Promise<ServerStats>;
  createToken(sub: string, options?: TokenOptions): string;
  status(): ServerStatus;
}

/** The error initialize() and listen() reject with when the server did not start; code 'config' for exit status 78. */
export class ServerStartError extends Error {
  code: 'config' | 'unavailable';
  exitCode: number | null;
  signal: string | null;
}

/** An HS256 JWT for `sub` signed with `secret` (iat, exp = now + expiresIn seconds, default 3600). */
export function mintToken(sub: string, secret: string, options?: TokenOptions & { now?: number }): string;
/** The X-Brolostack-Signature value of a webhook body. */
export function webhookSignature(secret: string, body: Uint8Array | string): string;
export function verifyWebhookSignature(secret: string, body: Uint8Array | string, header: string | undefined): boolean;
