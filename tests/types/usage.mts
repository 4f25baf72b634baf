// Compiled with `tsc --noEmit` in make test: right calls type-check, and
// each @ts-expect-error line must be an error, or tsc fails.
import { BrolostackWSClientside, type MessageFrame } from '../../js/src/index.mjs';

const client = new BrolostackWSClientside({ url: 'wss://example.com/ws', autoConnect: true, messageQueue: { enabled: true, persistOffline: true } });
void client.connect();
void client.joinRoom('collaboration-room', 'Collaboration', { name: 'Ada' });
void client.send('message', { content: 'Hello World!' });
void client.sendToRoom('general', 'message', { type: 'text', content: 'Hello team!' }).then((r) => r.offset.toFixed());
client.on('message', (frame: MessageFrame) => frame.room.toUpperCase());
client.on('latency-updated', ({ latency, average }) => latency + average);
const stats = client.getStats();
const connected: boolean = stats.connected;
void connected;

// @ts-expect-error the room id must be a string
void client.joinRoom(42);
// @ts-expect-error unknown option
new BrolostackWSClientside({ urll: 'x' });
// @ts-expect-error priority is one of low | medium | high | critical
void client.send('e', {}, { priority: 'urgent' });

import { ARGSProtocolHandler } from '../../js/src/index.mjs';
const argsHandler = new ARGSProtocolHandler();
const agentMessage = argsHandler.createMessage('AGENT_REGISTER', 'session-1', {
  id: 'agent-1', type: 'data-processor', capabilities: ['data-analysis', 'ml-inference'],
});
void agentMessage.id.length;
argsHandler.onMessage('TASK_START', async (message) => message.sessionId);
// @ts-expect-error not an ARGS type
argsHandler.createMessage('TASK_STARTED', 'session-1', {});

// The browser's own storage and locks fit the options as they are.
declare const page: { localStorage: Storage; locks: LockManager };
new BrolostackWSClientside({ storage: page.localStorage, locks: page.locks, messageQueue: { persistOffline: true } });
// @ts-expect-error storage needs the Web Storage interface
new BrolostackWSClientside({ storage: { getItem: () => null } });
