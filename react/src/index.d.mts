// Types of brolostack/react.
import type {
  BrolostackWSClientside, ClientConfig, ClientStats, HistoryReply, Member, MembersReply, MessageFrame, Priority,
  PublishReply, Room, RoomError,
} from '../../js/src/index.mjs';

export interface BrolostackWebSocket {
  /** The shared client; null while rendering on a server. */
  ws: BrolostackWSClientside | null;
  connected: boolean;
  stats: ClientStats;
  joinRoom: BrolostackWSClientside['joinRoom'];
  leaveRoom: BrolostackWSClientside['leaveRoom'];
  send: BrolostackWSClientside['send'];
  sendToRoom: BrolostackWSClientside['sendToRoom'];
  broadcast: BrolostackWSClientside['broadcast'];
  /** Registers a handler until the component unmounts; returns its disposer. */
  on: BrolostackWSClientside['on'];
  off: BrolostackWSClientside['off'];
}

/** What the client's state selector sees. */
export interface BrolostackSnapshot { connected: boolean; stats: ClientStats }

export interface RoomState {
  /** The room object; null while rendering on a server. */
  room: Room | null;
  name: string;
  joined: boolean;
  members: Member[];
  memberCount: number;
  /** The newest messages, oldest first (the join's missed ones included). */
  messages: MessageFrame[];
  error: RoomError | Error | null;
  publish(event: string, data?: unknown, options?: { echo?: boolean; priority?: Priority }): Promise<PublishReply>;
  history(options?: { limit?: number }): Promise<HistoryReply>;
  presence(): Promise<MembersReply>;
}

/** The shared client for `config.url` (one socket per URL), or the provider's without config. */
export function useBrolostackWebSocket(config?: ClientConfig): BrolostackWebSocket;

/** Gives the components below one client: one you made, or a shared one for `config`. */
export function BrolostackProvider(props: {
  client?: BrolostackWSClientside;
  config?: ClientConfig;
  children?: unknown;
  // `any`, not React's own types: React is an optional peer, and these
  // types must also load where @types/react is not installed.
}): any;

/** The provider's client; null outside a provider and on a server. */
export function useBrolostackClient(): BrolostackWSClientside | null;

/** A slice of the client's state; re-renders only when it changes (shallowly). */
export function useBrolostackState<T>(selector: (snapshot: BrolostackSnapshot) => T, config?: ClientConfig): T;

/** Calls the newest `handler` for each `event` while mounted. */
export function useEvent(event: string, handler: (data: any, extra?: any) => void, config?: ClientConfig): void;

/** One room while mounted: joined on mount, left when its last user unmounts. */
export function useRoom(
  name: string,
  options?: { title?: string; info?: Record<string, unknown>; keep?: number; config?: ClientConfig },
): RoomState;
