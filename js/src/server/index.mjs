// brolostack/server: the seed's server side for Node (also exported by the
// package's main entry under Node). Not for browsers: it runs processes.
export { BrolostackWSMultiagent } from './multiagent.mjs';
export { BrolostackNodeJSIntegration } from './integration.mjs';
export { ServerSession } from './session.mjs';
export { ServerStartError } from './supervisor.mjs';
export { mintToken } from './token.mjs';
export { signature as webhookSignature, verifySignature as verifyWebhookSignature } from './webhook.mjs';
