// brolostack/react and the package entries, resolved by name through the
// package's `exports` as a user's project resolves them.
import { useBrolostackWebSocket } from 'brolostack/react';
import { BrolostackWSClientside, useBrolostackWebSocket as asInTheSeed } from 'brolostack';

// The seed imports the hook from the package itself.
const { connected: seedConnected, send } = asInTheSeed({ url: 'wss://your-server.com', autoConnect: true });
void send('start-task', { id: 'task-1', type: 'data-analysis', collaborationMode: 'parallel' });
void seedConnected;

export function useChat(room: string) {
  const { ws, connected, stats, joinRoom, sendToRoom, on } = useBrolostackWebSocket({ url: 'wss://example.com/ws', environment: 'production' });
  const client: BrolostackWSClientside | null = ws;
  void client;
  void joinRoom(room, 'Chat', { name: 'Ada' });
  void sendToRoom(room, 'message', { content: 'hi' }).then((reply) => reply.offset.toFixed());
  const dispose: () => void = on('message', (frame) => frame.room.toUpperCase());
  const rooms: string[] | undefined = stats.rooms;
  return { connected, dispose, rooms };
}

// @ts-expect-error the room id must be a string
void useBrolostackWebSocket().joinRoom(7);
// @ts-expect-error unknown option
useBrolostackWebSocket({ reconect: true });
