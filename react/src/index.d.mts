// Types of brolostack/react.
import type { BrolostackWSClientside, ClientConfig, ClientStats } from '../../js/src/index.mjs';

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

export function useBrolostackWebSocket(config?: ClientConfig): BrolostackWebSocket;
