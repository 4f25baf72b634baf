export { BrolostackWSClientside, BrolostackError, endpointUrl } from './client.mjs';
export { Room } from './room.mjs';
export { ARGSProtocolHandler, ARGS_TYPES } from './args.mjs';
export { loadCore } from './core.mjs';
export { PROFILES, defaultEndpoint, detectEnvironment } from './profiles.mjs';
export { registerAgent } from './agent.mjs';
