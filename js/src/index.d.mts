// Types of the brolostack client package.
import type { Agent, AgentHandler, AgentSpec } from './agent.mjs';

export type Environment = 'development' | 'test' | 'staging' | 'production';

export interface ClientConfig {
  /**
   * The server: `wss://host` (the path defaults to /ws) or a full URL.
   * Default: WS_URL (Node's environment, or replaced at build time), else
   * the page's own origin at /ws, else ws://localhost:3001/ws.
   */
  url?: string;
  autoConnect?: boolean;
  reconnection?: boolean;
  reconnectionAttempts?: number;
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  auth?: { apiKey?: string; token?: string };
  /**
   * Where tokens come from: called before connecting when `auth.token` is
   * not given, when the server says the token is expiring (the new one is
   * sent on the open connection), and after a close with 4002.
   */
  getToken?: () => string | Promise<string>;
  messageQueue?: { enabled?: boolean; maxSize?: number; persistOffline?: boolean };
  heartbeatInterval?: number;
  /** Default: BROLOSTACK_ENV, else NODE_ENV (replaced by bundlers at build time), else development. */
  environment?: Environment;
  /** The WebSocket constructor: the runtime's by default, in Node 20 the `ws` package when installed. */
  WebSocket?: unknown;
  /**
   * Where the offline queue persists when `messageQueue.persistOffline`:
   * Web Storage (localStorage by default; null: nowhere).
   */
  storage?: {
    getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void;
    key(index: number): string | null; readonly length: number;
  } | null;
  /**
   * Web Locks (navigator.locks by default): with them, a queue left by a
   * closed tab or the page before a reload is taken over by one tab only.
   */
  locks?: {
    request(name: string, callback: (lock: unknown) => unknown): Promise<unknown>;
    query(): Promise<{ held?: Array<{ name?: string }> }>;
  } | null;
}

export interface ClientStats {
  connected: boolean;
  state?: 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
  environment: string;
  messagesSent?: number;
  messagesReceived?: number;
  averageLatency?: number;
  reconnectCount?: number;
  rooms?: string[];
  queued?: number;
  dropped?: number;
}

export interface MessageFrame<T = unknown> {
  op: 'message';
  room: string;
  event: string;
  data: T;
  from: { sid: string | null; user: string | null };
  offset: number;
  epoch: string;
  ts: number;
  mid?: string;
}

export interface JoinReply {
  room: string;
  name: string;
  epoch: string;
  offset: number;
  members: Array<{ sid: string; user: string | null; info: Record<string, unknown> }>;
  memberCount: number;
  recovered: boolean;
  missed: MessageFrame[];
}

export interface HistoryReply { room: string; epoch: string; offset: number; messages: MessageFrame[]; complete: boolean }

export interface PublishReply { room: string; offset: number; epoch: string; duplicate: boolean }

/** What a full offline queue gives up first: the oldest message of the lowest priority. */
export type Priority = 'low' | 'medium' | 'high' | 'critical';

export type Handler = (data: any, extra?: any) => void;

export class BrolostackError extends Error {
  readonly code: string;
}

export interface Member { sid: string; user: string | null; info: Record<string, unknown> }
export interface PresenceFrame { op: 'presence'; room: string; action: 'join' | 'leave'; member: Member; memberCount: number }
export interface MembersReply { room: string; members: Member[]; memberCount: number }
export interface RoomError { code: string; message: string; room: string }

/** A binary stream chunk as sent and received (`chunk` as raw bytes). */
export interface StreamChunk {
  sessionId?: string;
  streamId: string;
  seq: number;
  isLast?: boolean;
  chunk: Uint8Array;
}

/** One joined room as an object: `client.room(name)`. */
export class Room {
  readonly name: string;
  /** Settles with the join reply. */
  readonly joined: Promise<JoinReply>;
  on(event: 'message', handler: (frame: MessageFrame) => void): () => void;
  on(event: 'join' | 'leave', handler: (member: Member, presence: PresenceFrame) => void): () => void;
  on(event: 'error', handler: (error: RoomError) => void): () => void;
  on(event: string, handler: (data: any, frame: MessageFrame) => void): () => void;
  once(event: string, handler: Handler): () => void;
  off(event: string, handler: Handler): void;
  publish(event: string, data?: unknown, options?: { echo?: boolean; priority?: Priority }): Promise<PublishReply>;
  presence(): Promise<MembersReply>;
  history(options?: { limit?: number }): Promise<HistoryReply>;
  /** Leaves the room and drops this object's handlers. */
  leave(): Promise<{ room: string }>;
}

export class BrolostackWSClientside {
  constructor(config?: ClientConfig);
  readonly ready: Promise<void>;
  connect(): Promise<Record<string, unknown>>;
  reconnect(): Promise<Record<string, unknown>>;
  disconnect(): Promise<void>;
  joinRoom(room: string, name?: string, info?: Record<string, unknown>): Promise<JoinReply>;
  leaveRoom(room: string): Promise<{ room: string }>;
  /** The room's newest `limit` (default 100) messages, oldest first; a member's right. */
  history(room: string, options?: { limit?: number }): Promise<HistoryReply>;
  /** Who is in the room now. */
  members(room: string): Promise<MembersReply>;
  /** The room as an object, joined on first use; one object per joined room. */
  room(name: string, options?: { title?: string; info?: Record<string, unknown> }): Room;
  /** Settles with the server's answer (every message is acknowledged). */
  send(event: string, data?: unknown, options?: { room?: string; priority?: Priority; requiresAck?: boolean }): Promise<unknown>;
  /** A binary chunk (a Uint8Array) goes out as one binary frame; settles once handed to the socket. */
  send(event: 'stream-chunk', data: StreamChunk): Promise<{ streamId: string; seq: number }>;
  sendToRoom(room: string, event: string, data?: unknown, options?: { echo?: boolean; priority?: Priority }): Promise<PublishReply>;
  broadcast(event: string, data?: unknown): Promise<PublishReply[]>;
  /** Registers an ARGS agent on this client: `registerAgent(this, spec, handler)`. */
  registerAgent<I = any, R = unknown>(spec: AgentSpec, handler: AgentHandler<I, R>): Promise<Agent>;
  on(event: 'message', handler: (frame: MessageFrame) => void): () => void;
  on(event: 'latency-updated', handler: (value: { latency: number; average: number }) => void): () => void;
  on(event: 'disconnected', handler: (value: { code: number; reason: string }) => void): () => void;
  on(event: 'queue-restored', handler: (value: { messages: number; rooms: number }) => void): () => void;
  on(event: 'user-joined' | 'user-left', handler: (member: Member, presence: PresenceFrame) => void): () => void;
  on(event: 'stream-data', handler: (value: { streamId: string; seq: number; chunk: unknown; isLast: boolean; sessionId?: string }) => void): () => void;
  on(event: string, handler: Handler): () => void;
  /** Like `on`, for the next event only. */
  once(event: string, handler: Handler): () => void;
  off(event: string, handler: Handler): void;
  /** Handlers registered for `event`, or for every event. */
  listenerCount(event?: string): number;
  getStats(): ClientStats;
  getRooms(): string[];
  isConnected(): boolean;
  destroy(): Promise<void>;
  subscribe(listener: () => void): () => void;
  getSnapshot(): { connected: boolean; stats: ClientStats };
}

export function loadCore(loader?: () => Promise<unknown>): Promise<unknown>;
/** The endpoint a URL means: no path is /ws; http(s) is ws(s). */
export function endpointUrl(url: string): string;
/** Where a client without `url` connects. */
export function defaultEndpoint(): string;
/** The profile a client without `environment` uses. */
export function detectEnvironment(): Environment;
export const PROFILES: Record<Environment, { reconnectionAttempts: number; queue: boolean; persist: boolean; heartbeatInterval: number }>;

export type ARGSType =
  | 'AGENT_REGISTER' | 'AGENT_UNREGISTER' | 'TASK_START' | 'TASK_PROGRESS' | 'TASK_COMPLETE' | 'TASK_ERROR'
  | 'COLLABORATION_REQUEST' | 'COLLABORATION_RESPONSE' | 'STREAM_START' | 'STREAM_DATA' | 'STREAM_END'
  | 'HEARTBEAT' | 'SYNC_REQUEST' | 'SYNC_RESPONSE' | 'TASK_ASSIGN' | 'TASK_CANCEL';

export interface ARGSMessage<P = unknown> {
  id: string;
  type: ARGSType;
  timestamp: number;
  sessionId: string;
  agentId?: string;
  payload: P;
  metadata: {
    priority: 'low' | 'medium' | 'high' | 'critical';
    retryCount?: number;
    maxRetries?: number;
    ttl?: number;
    requiresAck?: boolean;
    correlationId?: string;
    sourceAgent?: string;
    targetAgent?: string;
    environment?: string;
  };
}

export interface ARGSAgentInfo {
  id: string;
  type: string;
  capabilities: string[];
  status?: string;
  metadata?: { name?: string; version?: string; maxConcurrentTasks?: number; currentTasks?: number };
}

export const ARGS_TYPES: readonly ARGSType[];

export class ARGSProtocolHandler {
  constructor(options?: { environment?: Environment; now?: () => number; newId?: () => string });
  createMessage<P>(type: ARGSType, sessionId: string, payload?: P, metadata?: Partial<ARGSMessage['metadata']> & { agentId?: string }): ARGSMessage<P>;
  onMessage(type: ARGSType | '*', handler: (message: ARGSMessage) => unknown): () => void;
  processMessage(message: ARGSMessage): Promise<unknown[]>;
  validate(message: unknown): string | null;
  registerAgent(info: ARGSAgentInfo): ARGSAgentInfo;
  findAgentsByCapability(capabilities: string | string[]): ARGSAgentInfo[];
}

export { registerAgent } from './agent.mjs';
export type { Agent, AgentHandler, AgentMessage, AgentSendOptions, AgentSendType, AgentSpec, Assignment, TaskReporter } from './agent.mjs';
