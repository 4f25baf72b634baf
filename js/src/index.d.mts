// Types of the brolostack client package.

export type Environment = 'development' | 'test' | 'staging' | 'production';

export interface ClientConfig {
  url?: string;
  autoConnect?: boolean;
  reconnection?: boolean;
  reconnectionAttempts?: number;
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  auth?: { apiKey?: string; token?: string };
  messageQueue?: { enabled?: boolean; maxSize?: number; persistOffline?: boolean };
  heartbeatInterval?: number;
  environment?: Environment;
  /** The WebSocket constructor: the browser's by default; pass `ws` in Node. */
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
  /** Settles with the server's answer (every message is acknowledged). */
  send(event: string, data?: unknown, options?: { room?: string; priority?: Priority; requiresAck?: boolean }): Promise<unknown>;
  sendToRoom(room: string, event: string, data?: unknown, options?: { echo?: boolean; priority?: Priority }): Promise<PublishReply>;
  broadcast(event: string, data?: unknown): Promise<PublishReply[]>;
  on(event: 'message', handler: (frame: MessageFrame) => void): () => void;
  on(event: 'latency-updated', handler: (value: { latency: number; average: number }) => void): () => void;
  on(event: 'disconnected', handler: (value: { code: number; reason: string }) => void): () => void;
  on(event: 'queue-restored', handler: (value: { messages: number; rooms: number }) => void): () => void;
  on(event: string, handler: Handler): () => void;
  off(event: string, handler: Handler): void;
  getStats(): ClientStats;
  getRooms(): string[];
  isConnected(): boolean;
  destroy(): Promise<void>;
  subscribe(listener: () => void): () => void;
  getSnapshot(): { connected: boolean; stats: ClientStats };
}

export function loadCore(loader?: () => Promise<unknown>): Promise<unknown>;
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
