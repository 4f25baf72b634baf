// The CommonJS entry's types, as `require` users get them.
import brolostack = require('brolostack');
import react = require('brolostack/react');

const client = new brolostack.BrolostackWSClientside({ url: 'ws://localhost:3001/ws' });
void client.sendToRoom('general', 'message', { content: 'hi' });
void react.useBrolostackWebSocket;
const same: typeof react.useBrolostackWebSocket = brolostack.useBrolostackWebSocket;
void same;
// @ts-expect-error sendToRoom needs an event name
void client.sendToRoom('general');
